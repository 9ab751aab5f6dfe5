"""Notification targets (Apprise URLs: Slack, Teams, e-mail, webhooks, …) and the outbox that
delivers each message to each target once, retrying a target that failed on the next run.

A message and one pending delivery per target are written in the same transaction as the
alert states that produced them; sending happens after the commit. A watcher killed in
between sends them on its next run: not never, and not twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import apprise
import sqlite_utils

from .crypto import Keyring
from .db import immediate, iso
from .errors import BadInput, DamagedSecret
from .secret import Secret, excerpt, scrub

log = logging.getLogger("copernica_core")
MAX_ATTEMPTS = 20
_SPLIT = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Target:
    """Where messages go. `key` names it in the outbox without revealing it."""

    key: str
    label: str
    redacted: str
    url: Secret | None  # None: a stored target whose URL cannot be decrypted
    stored_id: int | None = None  # None: from COPERNICA_NOTIFY


@dataclass(frozen=True)
class Delivery:
    notification_id: int
    created_at: str
    kind: str
    title: str
    target: str
    redacted: str
    status: str  # pending | sent | failed | dropped
    attempts: int
    error: str
    updated_at: str


def fingerprint(url: Secret) -> str:
    return hashlib.sha256(url.reveal().encode()).hexdigest()[:16]


def redact(url: str) -> str:
    """A target as it may be shown: its kind and host, never its path, tokens or query."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme in ("mailto", "mailtos") and "@" in (parts.netloc or ""):
        host = parts.netloc.rsplit("@", 1)[1]
    shown = f"{parts.scheme}://{host}" + (f":{parts.port}" if _port(parts) else "")
    return shown + ("/…" if parts.path.strip("/") or parts.query else "")


def _port(parts) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def url_problem(url: str) -> str | None:
    url = (url or "").strip()
    if not url:
        return "Enter a notification URL, such as slack://… or mailto://…"
    if len(url) > 2000 or any(ch.isspace() for ch in url):
        return "That is not a notification URL (no spaces; at most 2,000 characters)."
    if apprise.Apprise.instantiate(url) is None:
        return ("Apprise does not understand this URL. Examples: slack://TokenA/TokenB/TokenC, "
                "msteams://…, mailto://user:password@example.com, json://host/path.")
    return None


def env_targets(value: str) -> list[Target]:
    """Targets from COPERNICA_NOTIFY (whitespace or comma separated)."""
    targets = []
    for raw in (u for u in _SPLIT.split(value or "") if u):
        url = Secret(raw)
        targets.append(Target(f"env:{fingerprint(url)}", "from COPERNICA_NOTIFY", redact(raw), url))
    return targets


def stored_targets(db: sqlite_utils.Database, vault: Keyring) -> list[Target]:
    targets = []
    for row in db.query("SELECT * FROM notify_targets ORDER BY label, id"):
        try:
            url = vault.decrypt(row["url_enc"])
        except DamagedSecret:
            url = None
        targets.append(Target(f"db:{row['fingerprint']}", row["label"], row["redacted"], url, row["id"]))
    return targets


def add_target(db: sqlite_utils.Database, vault: Keyring, *, label: str, url: str, now: datetime) -> Target:
    """Store a target, encrypted; call inside a transaction."""
    secret = Secret(url.strip())
    key = fingerprint(secret)
    if db.execute("SELECT 1 FROM notify_targets WHERE fingerprint = ?", [key]).fetchone():
        raise BadInput({"url": "This target is already there."})
    cursor = db.execute(
        "INSERT INTO notify_targets (label, url_enc, redacted, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)",
        [label, vault.encrypt(secret), redact(url), key, iso(now)])
    return Target(f"db:{key}", label, redact(url), secret, cursor.lastrowid)


def delete_target(db: sqlite_utils.Database, target_id: int) -> bool:
    return db.execute("DELETE FROM notify_targets WHERE id = ?", [target_id]).rowcount > 0


def enqueue(db: sqlite_utils.Database, targets: list[Target], *, kind: str, title: str, body: str,
            now: datetime) -> int:
    """The message and one pending delivery per target; call inside the transaction that
    records what the message says."""
    notification_id = db.execute(
        "INSERT INTO notifications (created_at, kind, title, body) VALUES (?, ?, ?, ?)",
        [iso(now), kind, title, body]).lastrowid
    for target in targets:
        db.execute(
            "INSERT INTO deliveries (notification_id, target, redacted, status, updated_at) "
            "VALUES (?, ?, ?, 'pending', ?)", [notification_id, target.key, target.redacted, iso(now)])
    return notification_id


def send(target: Target, *, title: str, body: str) -> str:
    """Send one message to one target; '' when it was accepted, else why not (redacted)."""
    if target.url is None:
        return "its stored URL cannot be decrypted; enter it again"
    sender = apprise.Apprise()
    try:
        if not sender.add(target.url.reveal()):
            return "Apprise does not understand this URL"
        if sender.notify(title=title, body=body):
            return ""
        return "the target did not accept the message (see the log for its answer)"
    except Exception as error:  # a plugin's own failure must not stop the watcher
        return excerpt(f"{type(error).__name__}: {error}", 200)


def deliver_pending(db: sqlite_utils.Database, targets: list[Target], *, now) -> list[Delivery]:
    """Send every pending or failed delivery (oldest first) to its target, and record how
    each went. A target that is gone is dropped; one that keeps failing is given up after
    MAX_ATTEMPTS runs."""
    by_key = {t.key: t for t in targets}
    rows = list(db.query(
        "SELECT d.*, n.title, n.body FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        "WHERE d.status IN ('pending', 'failed') ORDER BY d.notification_id, d.target"))
    for row in rows:
        target = by_key.get(row["target"])
        if target is None:
            status, error = "dropped", "the target was removed"
        else:
            error = send(target, title=row["title"], body=row["body"])
            status = None
        with immediate(db):
            record_attempt(db, row["notification_id"], row["target"], error=error, now=now(),
                           final=row["attempts"] + 1 >= MAX_ATTEMPTS, status=status)
    return recent_deliveries(db, limit=len(rows)) if rows else []


def record_attempt(db: sqlite_utils.Database, notification_id: int, target: str, *, error: str, now: datetime,
                   final: bool, status: str | None = None) -> None:
    """How one delivery went; call inside a transaction. A failure stays `failed` (retried
    on the next run) unless this was its last attempt."""
    error = scrub(error)
    status = status or ("sent" if not error else "gave up" if final else "failed")
    if error:
        log.warning("notification %s to %s: %s", notification_id, target.split(":")[0], error)
    db.execute("UPDATE deliveries SET status = ?, attempts = attempts + 1, error = ?, updated_at = ? "
               "WHERE notification_id = ? AND target = ?", [status, error, iso(now), notification_id, target])


def recent_deliveries(db: sqlite_utils.Database, *, limit: int = 50) -> list[Delivery]:
    return [Delivery(**{k: r[k] for k in Delivery.__dataclass_fields__}) for r in db.query(
        "SELECT d.notification_id, n.created_at, n.kind, n.title, d.target, d.redacted, d.status, d.attempts, "
        "d.error, d.updated_at FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        "ORDER BY d.notification_id DESC, d.target LIMIT ?", [limit])]
