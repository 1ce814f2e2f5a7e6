"""The e2e stack (bot + CRM + fake Graph) for the editable texts."""

from tests.e2e.conftest import stack

__all__ = ["stack"]
