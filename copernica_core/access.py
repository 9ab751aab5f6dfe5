"""Who is acting, and what their role lets them do (the way datasette's `ensure_permission`
works): every Workspace operation checks the acting person before it does anything."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from enum import StrEnum

from .errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"
    COMMAND_LINE = "command line"  # someone with the database file and its key: everything
    NOBODY = "no access"  # not signed in, or signed in without a role


class Action(StrEnum):
    """What an operation needs, named for the refusal message."""

    READ = "see connections and their history"
    CHECK = "check connections"
    MANAGE = "change applications and connections"
    REVEAL = "reveal an access token"
    AUDIT = "read the activity log"


_ALLOWED = {
    Role.ADMIN: set(Action),
    Role.COMMAND_LINE: set(Action),
    Role.VIEWER: {Action.READ, Action.CHECK},
    Role.NOBODY: set(),
}


@dataclass(frozen=True)
class Actor:
    """The acting person: who (recorded with every event) and which role."""

    who: str
    role: Role

    def may(self, action: Action) -> bool:
        return action in _ALLOWED[self.role]

    def ensure(self, action: Action) -> None:
        if not self.may(action):
            raise Forbidden(f"{self.who} ({self.role}) may not {action}; ask an admin.")

    @classmethod
    def signed_in(cls, email: str, *, admins: tuple[str, ...], viewers: tuple[str, ...]) -> Actor | None:
        """The signed-in person with the role the lists give them, or None: no access."""
        role = role_for(email, admins=admins, viewers=viewers)
        return cls(email.strip().lower(), role) if role else None

    @classmethod
    def nobody(cls, who: str = "anonymous") -> Actor:
        return cls(who, Role.NOBODY)

    @classmethod
    def local_dashboard(cls) -> Actor:
        """The person at this machine, when the dashboard has no sign-in."""
        return cls("dashboard", Role.ADMIN)

    @classmethod
    def command_line(cls) -> Actor:
        try:
            return cls(f"cli:{getpass.getuser()}", Role.COMMAND_LINE)
        except (KeyError, OSError):
            return cls("cli", Role.COMMAND_LINE)


def role_for(email: str | None, *, admins: tuple[str, ...], viewers: tuple[str, ...]) -> Role | None:
    """Admin or viewer by address or @domain (admin wins); None for anyone else."""
    email = (email or "").strip().lower()
    if "@" not in email:
        return None
    domain = "@" + email.rsplit("@", 1)[1]
    for role, entries in ((Role.ADMIN, admins), (Role.VIEWER, viewers)):
        if email in entries or domain in entries:
            return role
    return None
