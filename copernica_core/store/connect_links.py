"""The rows of connect links (table `invitations`): an admin makes a link; the client opens it
without signing in, goes to Copernica's consent once, and its account is connected
(docs/architecture.md, "Connect links"). A link's secret is 32 random bytes. It is found by a
keyed hash (HMAC with a key of the database's own, itself stored encrypted), so a row written by
someone without the key opens nothing; the secret itself is kept encrypted, so that a
connection's one open link can be shown and sent again. A link is single use, expires, and can
be withdrawn."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import iso, parse_iso
from ..secret import Cipher, Secret
from .engine import Database

SECRET_BYTES = 32
DEFAULT_EXPIRES = timedelta(days=7)
LINK_ACTOR = "client via link"  # who a link's use is recorded as (with its number)
REFUSAL_TOLD_EVERY = timedelta(hours=1)  # a refused link's views are recorded at most this often
HASH_KEY_PURPOSE = "connect links"


def _hash_key(db: Database, vault: Cipher, *, create: bool) -> bytes | None:
    """The database's own key for link hashes (32 random bytes, stored encrypted); made on
    first use when `create` (inside a write transaction)."""
    row = db.execute("SELECT key_enc FROM hash_keys WHERE purpose = ?", [HASH_KEY_PURPOSE]).fetchone()
    if row is not None:
        return bytes.fromhex(vault.decrypt(row[0]).reveal())
    if not create:
        return None
    key = secrets.token_bytes(32)
    db.execute("INSERT INTO hash_keys (purpose, key_enc) VALUES (?, ?)",
               [HASH_KEY_PURPOSE, vault.encrypt(Secret(key.hex()))])
    return key


def secret_hash(key: bytes, secret: str) -> str:
    return hmac.new(key, b"copernica-connections invitation\0" + secret.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ConnectLink:
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
    withdrawn_why: str | None = None  # why it was withdrawn, when not by a person ("the connection works again")
    refusal_told_at: str | None = None  # when a refused view of it was last recorded
    reminded: bool = False  # (`sent` only) the alert rules reminded of its connection after it was sent

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
            return f"withdrawn {at(self.revoked_at)}" + (f" ({self.withdrawn_why})" if self.withdrawn_why else "")
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


def _invitation(row: dict) -> ConnectLink:
    return ConnectLink(**{**{k: row[k] for k in ConnectLink.__dataclass_fields__ if k in row},
                         "allow_replace": bool(row["allow_replace"]), "reminded": bool(row.get("reminded"))})


def make(db: Database, vault: Cipher, *, application_id: int, client: str, connection_id: int | None,
         made_by: str, now: datetime, expires: timedelta, allow_replace: bool = False, sent_to: str | None = None
         ) -> tuple[str, ConnectLink]:
    """A new link's secret (stored only encrypted and as a keyed hash) and its row; call inside
    a transaction."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    cursor = db.execute(
        "INSERT INTO invitations (secret_hash, secret_enc, application_id, client, connection_id, allow_replace, "
        "made_by, created_at, expires_at, sent_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [secret_hash(_hash_key(db, vault, create=True), secret), vault.encrypt(Secret(secret)), application_id,
         client, connection_id, int(allow_replace), made_by, iso(now), iso(now + expires), sent_to])
    return secret, get(db, cursor.lastrowid)


def secret_of(db: Database, vault: Cipher, invitation_id: int) -> str | None:
    """The secret of a link, to show or send it again (None for a link made before secrets were kept)."""
    row = db.execute("SELECT secret_enc FROM invitations WHERE id = ?", [invitation_id]).fetchone()
    return vault.decrypt(row[0]).reveal() if row and row[0] else None


def open_reconnect_link(db: Database, connection_id: int, *, now: datetime) -> ConnectLink | None:
    """The open link that renews this connection (there is at most one)."""
    rows = list(db.query("SELECT * FROM invitations WHERE connection_id = ? AND used_at IS NULL AND revoked_at IS NULL "
                         "AND expires_at > ? ORDER BY id DESC LIMIT 1", [connection_id, iso(now)]))
    return _invitation(rows[0]) if rows else None


def open_link_of(db: Database, vault: Cipher, connection_id: int, *, now: datetime
                 ) -> tuple[str, ConnectLink] | None:
    """The secret and row of the open link that renews this connection, to give it again (None
    when there is none, or it was made before secrets were kept)."""
    link = open_reconnect_link(db, connection_id, now=now)
    secret = secret_of(db, vault, link.id) if link is not None else None
    return (secret, link) if secret else None


def mark_sent(db: Database, invitation_id: int, *, sent_to: str) -> None:
    db.execute("UPDATE invitations SET sent_to = ? WHERE id = ?", [sent_to, invitation_id])


def get(db: Database, invitation_id: int) -> ConnectLink | None:
    rows = list(db.query("SELECT * FROM invitations WHERE id = ?", [invitation_id]))
    return _invitation(rows[0]) if rows else None


def find(db: Database, vault: Cipher, secret: str) -> ConnectLink | None:
    key = _hash_key(db, vault, create=False)
    if key is None:  # no link was ever made here
        return None
    rows = list(db.query("SELECT * FROM invitations WHERE secret_hash = ?", [secret_hash(key, secret)]))
    return _invitation(rows[0]) if rows else None


def note_refusal(db: Database, invitation_id: int, *, now: datetime) -> bool:
    """Whether a refused view of this link is to be recorded now: at most once per
    REFUSAL_TOLD_EVERY, so that nobody fills the activity log by reloading a dead link."""
    return db.execute("UPDATE invitations SET refusal_told_at = ? WHERE id = ? AND (refusal_told_at IS NULL OR "
                      "refusal_told_at <= ?)", [iso(now), invitation_id, iso(now - REFUSAL_TOLD_EVERY)]).rowcount > 0


def listed(db: Database, *, open_only: bool, now: datetime) -> list[ConnectLink]:
    where = " WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ?" if open_only else ""
    return [_invitation(r) for r in db.query("SELECT * FROM invitations" + where + " ORDER BY id DESC",
                                            [iso(now)] if open_only else [])]


def sent(db: Database) -> dict[int, ConnectLink]:
    """The latest link sent to a client's contact, by the connection it reconnects, and whether
    the alert rules reminded of that connection after it was sent (`reminded`)."""
    return {r["connection_id"]: _invitation(r) for r in db.query(
        "SELECT i.*, CASE WHEN a.notified_at > i.created_at THEN 1 ELSE 0 END AS reminded FROM invitations i "
        "LEFT JOIN alert_states a ON a.connection_id = i.connection_id WHERE i.id IN (SELECT max(id) FROM "
        "invitations WHERE sent_to IS NOT NULL AND connection_id IS NOT NULL GROUP BY connection_id)")}


def revoke(db: Database, invitation_id: int, *, now: datetime, why: str | None = None) -> bool:
    return db.execute("UPDATE invitations SET revoked_at = ?, withdrawn_why = ? WHERE id = ? AND revoked_at IS NULL "
                      "AND used_at IS NULL", [iso(now), why, invitation_id]).rowcount > 0


def withdraw_sent_to_client(db: Database, client: str, *, now: datetime, why: str) -> list[int]:
    """Withdraw the open links sent to this client's contact; returns their ids."""
    ids = [r[0] for r in db.execute("SELECT id FROM invitations WHERE client = ? AND sent_to IS NOT NULL AND "
                                    "used_at IS NULL AND revoked_at IS NULL AND expires_at > ?", [client, iso(now)])]
    for invitation_id in ids:
        revoke(db, invitation_id, now=now, why=why)
    return ids


def withdraw_all_open(db: Database, *, now: datetime, why: str) -> int:
    """Withdraw every open link (a restored database must not revive a link used or withdrawn since)."""
    return db.execute("UPDATE invitations SET revoked_at = ?, withdrawn_why = ? WHERE used_at IS NULL AND "
                      "revoked_at IS NULL AND expires_at > ?", [iso(now), why, iso(now)]).rowcount


def mark_used(db: Database, invitation_id: int, *, connection_id: int | None, now: datetime) -> bool:
    """Use the link once: False when it was used, revoked or expired meanwhile. Marked before
    its connection is stored (storing a working token withdraws the open links that renew it)."""
    return db.execute(
        "UPDATE invitations SET used_at = ?, used_connection_id = ? WHERE id = ? AND used_at IS NULL "
        "AND revoked_at IS NULL AND expires_at > ?", [iso(now), connection_id, invitation_id, iso(now)]).rowcount > 0


def set_used_connection(db: Database, invitation_id: int, connection_id: int) -> None:
    db.execute("UPDATE invitations SET used_connection_id = ? WHERE id = ?", [connection_id, invitation_id])
