"""What is looked up before anyone is known: the connect link a visitor opened, the link or the
person a Copernica redirect belongs to. A run of the dashboard asks here to decide who acts;
only then does it open a `Workspace` for that person (docs/architecture.md, "Connect links").

Nothing here needs a role, so nothing here reveals more than its caller already holds: a link's
own row for its secret, and who started an authorization for its state. The one write is the
record of a refused link, at most once an hour per link (`connect_links.note_refusal`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import oauth, store
from .acting import open_with_key
from .clock import utcnow
from .config import Settings
from .store import connect_links, immediate

UNKNOWN_LINK = "This link is not known here. Check that you copied all of it, or ask for a new one."


def find_link(db, vault, secret: str, *, now: datetime) -> connect_links.ConnectLink | str:
    """The connect link behind `secret`, or why it cannot be used (calm words). Always looked
    up: a 256-bit secret cannot be guessed, and no number of wrong ones may lock out a real
    one. A refused link's views are recorded at most once an hour (a used one's are not: its page
    says that it worked)."""
    link = connect_links.find(db, vault, secret) if secret and len(secret) <= 100 else None
    if link is None:
        return UNKNOWN_LINK
    if why := link.refusal(now):
        if link.used_at:  # its client looking again at how it ended (a reload after success): nothing to tell
            return why
        with immediate(db):
            if connect_links.note_refusal(db, link.id, now=now):
                store.add_event(db, actor=link.actor, action="connect link refused", now=now,
                                connection_id=link.connection_id, detail=f"link #{link.id}: {why}")
        return why
    return link


class Doorstep:
    """The database and its key, for the look-ups made before anyone is known. Close it."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.vault = open_with_key(settings)
        self.clock = clock

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Doorstep:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def link(self, secret: str) -> connect_links.ConnectLink | str:
        """The connect link a visitor opened (`?invite=`), or why it cannot be used."""
        return find_link(self.db, self.vault, secret, now=self.clock())

    def visit(self, secret: str) -> tuple[connect_links.ConnectLink | None, str]:
        """The connect link a visitor opened, also when it cannot be used any more (its page
        then says why, and a used one that it worked), and why not ('' when it can)."""
        found = self.link(secret)
        if not isinstance(found, str):
            return found, ""
        link = connect_links.find(self.db, self.vault, secret) if found != UNKNOWN_LINK else None
        return link, found

    def link_of_state(self, state: str) -> str | None:
        """The actor of the connect link whose authorization this state is, while it waits to be
        used ("client via link #7"), else None."""
        if not state or len(state) > 200:
            return None
        invitation_id = oauth.waiting_link(self.db, state, now=self.clock())
        return f"{connect_links.LINK_ACTOR} #{invitation_id}" if invitation_id is not None else None

    def starter_of(self, state: str) -> str | None:
        """Who started the authorization of this state, while it waits to be used: with sign-in
        on, Copernica's redirect completes for that person even when the sign-in cookie was lost
        on the way."""
        return oauth.started_by(self.db, state, now=self.clock()) if state and len(state) <= 200 else None
