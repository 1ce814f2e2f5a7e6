"""Roles, each allowed what the one below is plus its own.

operator: the inbox, taking a conversation over, replying. supervisor: everything in conversations
and campaigns, starting contacts, exports. admin: users, and erasing a debtor's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["operator", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("operator", "supervisor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (by username) or a machine client holding the service key."""

    actor: str
    role: Role
    kind: Literal["user", "service"]

    def allows(self, needed: Role) -> bool:
        return RANK[self.role] >= RANK[needed]


SERVICE = Principal(actor="service-key", role="admin", kind="service")
