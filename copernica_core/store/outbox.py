"""Notification targets and the outbox (tables `notify_targets`, `notifications`,
`deliveries`): each message once, one delivery per target with its status, attempts, error and
who claimed it. Sending is notify.py's; each function runs inside the caller's transaction.

A delivery is claimed before it is sent (`claim`), inside the caller's `immediate` transaction:
its write lock keeps two senders from claiming the same one, and on PostgreSQL the rows are also
read `FOR UPDATE SKIP LOCKED`, so a sender never waits for, or takes, a row another holds."""

from __future__ import annotations

from .engine import Database

OPEN = ("pending", "failed", "sending")  # a delivery not yet sent or given up


def targets(db: Database) -> list[dict]:
    return list(db.query("SELECT * FROM notify_targets ORDER BY label, id"))


def target_exists(db: Database, fingerprint: str) -> bool:
    return db.execute("SELECT 1 FROM notify_targets WHERE fingerprint = ?", [fingerprint]).fetchone() is not None


def add_target(db: Database, *, label: str, url_enc: str, redacted: str, fingerprint: str,
               at: str) -> int:
    return db.execute(
        "INSERT INTO notify_targets (label, url_enc, redacted, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)",
        [label, url_enc, redacted, fingerprint, at]).lastrowid


def delete_target(db: Database, target_id: int) -> bool:
    return db.execute("DELETE FROM notify_targets WHERE id = ?", [target_id]).rowcount > 0


def add_message(db: Database, *, at: str, kind: str, title: str, body: str, notify_type: str,
                fields: str | None, link_enc: str | None) -> int:
    return db.execute(
        "INSERT INTO notifications (created_at, kind, title, body, notify_type, fields, link_enc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [at, kind, title, body, notify_type, fields, link_enc]).lastrowid


def add_delivery(db: Database, notification_id: int, *, target: str, redacted: str, at: str,
                 claimed_by: str | None) -> None:
    db.execute("INSERT INTO deliveries (notification_id, target, redacted, status, updated_at, claimed_by) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               [notification_id, target, redacted, "sending" if claimed_by else "pending", at, claimed_by])


def claim(db: Database, claimant: str, *, claimed_before: str, at: str) -> list[dict]:
    """Every delivery to send now (pending, failed, or claimed before `claimed_before` by a
    sender that died), with its message, claimed for `claimant`."""
    rows = list(db.query(
        "SELECT d.*, n.title, n.body, n.notify_type, n.fields, n.link_enc FROM deliveries d "
        "JOIN notifications n ON n.id = d.notification_id "
        "WHERE d.status IN ('pending', 'failed') OR (d.status = 'sending' AND d.updated_at < ?) "
        "ORDER BY d.notification_id, d.target"
        + (" FOR UPDATE OF d SKIP LOCKED" if db.engine == "postgresql" else ""), [claimed_before]))
    for row in rows:
        db.execute("UPDATE deliveries SET status = 'sending', claimed_by = ?, updated_at = ? "
                   "WHERE notification_id = ? AND target = ?", [claimant, at, row["notification_id"], row["target"]])
    return rows


def record_attempt(db: Database, notification_id: int, target: str, *, status: str, error: str, at: str,
                   claimant: str | None) -> None:
    """How one delivery went (only by the sender that claimed it, when `claimant` is given);
    once no delivery of the message is open, the link it carried is erased."""
    db.execute("UPDATE deliveries SET status = ?, attempts = attempts + 1, error = ?, updated_at = ?, "
               "claimed_by = NULL WHERE notification_id = ? AND target = ? "
               "AND (CAST(? AS TEXT) IS NULL OR claimed_by = ?)",
               [status, error, at, notification_id, target, claimant, claimant])
    db.execute("UPDATE notifications SET link_enc = NULL WHERE id = ? AND link_enc IS NOT NULL AND NOT EXISTS ("
               "SELECT 1 FROM deliveries WHERE notification_id = ? AND status IN (?, ?, ?))",
               [notification_id, notification_id, *OPEN])


def recent(db: Database, *, limit: int) -> list[dict]:
    return list(db.query(
        "SELECT d.notification_id, n.created_at, n.kind, n.title, d.target, d.redacted, d.status, d.attempts, "
        "d.error, d.updated_at FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        "ORDER BY d.notification_id DESC, d.target LIMIT ?", [limit]))
