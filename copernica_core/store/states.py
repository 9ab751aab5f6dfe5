"""Pending authorizations (table `pending_authorizations`): a state's hash, what it was issued
for, who started it (and in which browser, for a connect link), its expiry and its result. The
flow's rules are oauth.py's; each function runs inside the caller's transaction. Consuming a
state is a read then a write in one `immediate` transaction (its write lock, SQLite's own or
PostgreSQL's advisory lock, makes it atomic)."""

from __future__ import annotations

from .engine import Database


def insert(db: Database, *, state_hash: str, application_id: int, redirect_uri: str,
           connection_id: int | None, expected_account_id: str | None, created_at: str, expires_at: str,
           started_by: str, client: str | None, invitation_id: int | None, browser_hash: str | None,
           forget_before: str) -> None:
    """A new state; states that expired before `forget_before` are deleted (useless, and the table stays small)."""
    db.execute(
        "INSERT INTO pending_authorizations (state_hash, application_id, redirect_uri, connection_id, "
        "expected_account_id, created_at, expires_at, started_by, client, invitation_id, browser_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [state_hash, application_id, redirect_uri, connection_id, expected_account_id, created_at, expires_at,
         started_by, client, invitation_id, browser_hash])
    db.execute("DELETE FROM pending_authorizations WHERE expires_at < ?", [forget_before])


def get(db: Database, state_hash: str) -> dict | None:
    return next(db.query("SELECT * FROM pending_authorizations WHERE state_hash = ?", [state_hash]), None)


def waiting(db: Database, state_hash: str, *, now: str) -> dict | None:
    """The state's row while it waits to be used (unused, unexpired)."""
    return next(db.query("SELECT * FROM pending_authorizations WHERE state_hash = ? AND used_at IS NULL "
                         "AND expires_at > ?", [state_hash, now]), None)


def mark_used(db: Database, state_hash: str, *, at: str) -> None:
    db.execute("UPDATE pending_authorizations SET used_at = ? WHERE state_hash = ?", [at, state_hash])


def set_result(db: Database, state_hash: str, result_json: str) -> None:
    db.execute("UPDATE pending_authorizations SET result = ? WHERE state_hash = ?", [result_json, state_hash])


def end_all_waiting(db: Database, *, at: str) -> None:
    """Every authorization under way ends (a restored database: they belong to the one replaced)."""
    db.execute("UPDATE pending_authorizations SET used_at = ? WHERE used_at IS NULL", [at])
