"""Connect links: an admin makes a link; the client opens it without signing in, goes to
Copernica's consent once, and its account is connected (docs/architecture.md, "Connect
links"). The link's secret is 32 random bytes, stored only as a hash; a link is single use,
expires, and can be revoked."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from .db import iso, parse_iso

SECRET_BYTES = 32
DEFAULT_EXPIRES = timedelta(days=7)
LINK_ACTOR = "client via link"  # who a link's use is recorded as (with its number)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(b"copernica-connections invitation\0" + secret.encode()).hexdigest()


@dataclass(frozen=True)
class Invitation:
    id: int
    application_id: int
    client: str
    connection_id: int | None  # None: a new connection; else the one it reconnects
    allow_replace: bool
    made_by: str
    created_at: str
    expires_at: str
    used_at: str | None
    used_connection_id: int | None
    revoked_at: str | None
    sent_to: str | None = None  # the client contact it was sent to (a reconnect link sent by the alert rules)

    @property
    def until(self) -> str:
        """Its expiry as read: "2026-12-10 12:00 UTC"."""
        return f"{self.expires_at[:16].replace('T', ' ')} UTC"

    @property
    def actor(self) -> str:
        return f"{LINK_ACTOR} #{self.id}"

    def state(self, now: datetime) -> str:
        """Where it stands, in a few words: "open until …", "used 2026-12-03 14:02 UTC (#12)", …"""
        def at(moment: str) -> str:
            return f"{moment[:16].replace('T', ' ')} UTC"
        if self.revoked_at:
            return f"withdrawn {at(self.revoked_at)}"
        if self.used_at:
            return f"used {at(self.used_at)}" + (f" (#{self.used_connection_id})" if self.used_connection_id else "")
        if parse_iso(self.expires_at) <= now:
            return f"expired {self.until}"
        return f"open until {self.until}"

    def refusal(self, now: datetime) -> str:
        """Why this link cannot be used now ('' when it can), calmly."""
        if self.revoked_at:
            return "This link was withdrawn by the agency that sent it. Ask them for a new one."
        if self.used_at:
            return "This link was already used: the account is connected. Nothing more to do here."
        if parse_iso(self.expires_at) <= now:
            return "This link has expired. Ask the agency that sent it for a new one."
        return ""


def _invitation(row: dict) -> Invitation:
    return Invitation(**{**{k: row[k] for k in Invitation.__dataclass_fields__},
                         "allow_replace": bool(row["allow_replace"])})


def make(db: sqlite_utils.Database, *, application_id: int, client: str, connection_id: int | None,
         made_by: str, now: datetime, expires: timedelta, allow_replace: bool = False, sent_to: str | None = None
         ) -> tuple[str, Invitation]:
    """A new link's secret (shown once, never stored) and its row; call inside a transaction."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    cursor = db.execute(
        "INSERT INTO invitations (secret_hash, application_id, client, connection_id, allow_replace, made_by, "
        "created_at, expires_at, sent_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [secret_hash(secret), application_id, client, connection_id, int(allow_replace), made_by, iso(now),
         iso(now + expires), sent_to])
    return secret, get(db, cursor.lastrowid)


def get(db: sqlite_utils.Database, invitation_id: int) -> Invitation | None:
    rows = list(db.query("SELECT * FROM invitations WHERE id = ?", [invitation_id]))
    return _invitation(rows[0]) if rows else None


def find(db: sqlite_utils.Database, secret: str) -> Invitation | None:
    rows = list(db.query("SELECT * FROM invitations WHERE secret_hash = ?", [secret_hash(secret)]))
    return _invitation(rows[0]) if rows else None


def listed(db: sqlite_utils.Database, *, open_only: bool, now: datetime) -> list[Invitation]:
    where = " WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ?" if open_only else ""
    return [_invitation(r) for r in db.query("SELECT * FROM invitations" + where + " ORDER BY id DESC",
                                            [iso(now)] if open_only else [])]


def sent(db: sqlite_utils.Database) -> dict[int, Invitation]:
    """The latest link sent to a client's contact, by the connection it reconnects."""
    return {r["connection_id"]: _invitation(r) for r in db.query(
        "SELECT * FROM invitations WHERE id IN (SELECT max(id) FROM invitations WHERE sent_to IS NOT NULL "
        "AND connection_id IS NOT NULL GROUP BY connection_id)")}


def revoke(db: sqlite_utils.Database, invitation_id: int, *, now: datetime) -> bool:
    return db.execute("UPDATE invitations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND used_at IS NULL",
                      [iso(now), invitation_id]).rowcount > 0


def mark_used(db: sqlite_utils.Database, invitation_id: int, *, connection_id: int, now: datetime) -> bool:
    """Use the link once: False when it was used, revoked or expired meanwhile."""
    return db.execute(
        "UPDATE invitations SET used_at = ?, used_connection_id = ? WHERE id = ? AND used_at IS NULL "
        "AND revoked_at IS NULL AND expires_at > ?", [iso(now), connection_id, invitation_id, iso(now)]).rowcount > 0


class LookupLimit:
    """Unknown links looked up too often (someone guessing) are answered without looking:
    at most `allowed` misses per `window` seconds in this process."""

    def __init__(self, allowed: int = 20, window: float = 60.0) -> None:
        self.allowed, self.window = allowed, window
        self._misses: deque[float] = deque()
        self._lock = threading.Lock()

    def _recent(self, now: float) -> int:
        while self._misses and self._misses[0] < now - self.window:
            self._misses.popleft()
        return len(self._misses)

    def blocked(self) -> bool:
        with self._lock:
            return self._recent(time.monotonic()) >= self.allowed

    def missed(self) -> None:
        with self._lock:
            self._misses.append(time.monotonic())


LOOKUPS = LookupLimit()
