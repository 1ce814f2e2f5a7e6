"""The e2e stack (bot + CRM + fake Graph) for attacks on the whole product."""

from tests.e2e.conftest import stack

__all__ = ["stack"]
