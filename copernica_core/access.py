"""Who is acting, and what their role lets them do (the way datasette's `ensure_permission`
works): every Workspace operation checks the acting person before it does anything."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from .config import is_loopback
from .errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"
    COMMAND_LINE = "command line"  # someone with the database file and its key: everything
    CLIENT_LINK = "client via link"  # a client holding a connect link: that link's authorization only
    NOBODY = "no access"  # not signed in, or signed in without a role


class Action(StrEnum):
    """What an operation needs, named for the refusal message."""

    READ = "see connections and their history"
    CHECK = "check connections"
    MANAGE = "change applications and connections"
    REVEAL = "reveal an access token"
    AUDIT = "read the activity log"
    CONNECT_BY_LINK = "connect an account through a connect link"


_ALLOWED = {
    Role.ADMIN: set(Action),
    Role.COMMAND_LINE: set(Action),
    Role.VIEWER: {Action.READ, Action.CHECK},
    Role.CLIENT_LINK: {Action.CONNECT_BY_LINK},
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
    def client_link(cls, who: str) -> Actor:
        """A client using a connect link (`who`: "client via link #7"): it may complete that
        link's authorization and nothing else."""
        return cls(who, Role.CLIENT_LINK)

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


# Headers a proxy adds to say who the request was for; any of them means someone else's
# request passed through a proxy, and then only a loopback client and host keep it local.
_FORWARDED_ADDRESS_HEADERS = ("x-forwarded-for", "x-real-ip", "x-forwarded-host", "x-original-forwarded-for")


def is_local_request(headers: Mapping[str, str], *, peer: str | None) -> bool:
    """Whether a dashboard request comes from a browser on this machine, decided from what a
    proxy cannot make look local (docs/architecture.md, "Sign-in and roles"): the browser's
    `Origin` (a WebSocket always has one, and a proxy passes it on), the addresses a proxy
    forwards, and the connection's own peer; never from `Host`, which a proxy rewrites
    (nginx's default is the upstream's own, loopback, address). Unsure means not local.

    `headers`: the request's headers with lower-case names (values of a repeated header joined
    by commas); `peer`: the connection's remote address, or None when it is loopback."""
    if peer is not None and not is_loopback(peer):
        return False
    origin = headers.get("origin", "")
    if not origin or not is_loopback(_hostname(origin)):
        return False
    for name in _FORWARDED_ADDRESS_HEADERS:
        if name in headers and not all(is_loopback(_hostname(v)) for v in headers[name].split(",")):
            return False
    if "forwarded" in headers:  # RFC 7239: for=…;host=…, elements separated by commas
        pairs = [p.split("=", 1) for element in headers["forwarded"].split(",") for p in element.split(";")]
        named = [(k.strip().lower(), v.strip().strip('"')) for k, v in (p for p in pairs if len(p) == 2)]
        if not all(is_loopback(_hostname(v)) for k, v in named if k in ("for", "host")):
            return False
    return True


def _hostname(value: str) -> str | None:
    """The host of an origin (`http://localhost:8501`), a host with a port, or an address."""
    value = value.strip()
    if "://" not in value and value.count(":") > 1 and not value.startswith("["):  # a bare IPv6 address
        return value
    try:
        return urlsplit(value if "://" in value else f"//{value}").hostname
    except ValueError:
        return None

