"""The watcher's row (table `watcher`, one row): the lease (holder, expiry, heartbeat), the
schedule (interval, last run) and what was said of a stop. Each function runs inside the
caller's transaction; the lease's rules are watch.py's. The caller's `immediate` transaction
holds the database-wide write lock (SQLite's own; on PostgreSQL the advisory lock every write
transaction takes first), which makes take-or-renew and the fence (`holder_and_expiry`
before a write) atomic: the row is also read `FOR UPDATE` there, for any other writer."""

from __future__ import annotations

from .engine import Database


def row(db: Database) -> dict:
    """The watcher's row, made empty on first use (call inside a write transaction)."""
    db.execute("INSERT INTO watcher (id) VALUES (1) ON CONFLICT DO NOTHING")
    return next(db.query("SELECT * FROM watcher WHERE id = 1"))


def read(db: Database) -> dict | None:
    """The watcher's row, or None when no watcher ever ran (reads only)."""
    return next(db.query("SELECT * FROM watcher WHERE id = 1"), None)


def holder_and_expiry(db: Database) -> tuple[str | None, str | None] | None:
    """Who holds the lease and until when (stored text), or None without a row: the fence."""
    lock = " FOR UPDATE" if db.engine == "postgresql" else ""  # (SQLite has no row locks: its write lock is held)
    found = db.execute("SELECT holder, expires_at FROM watcher WHERE id = 1" + lock).fetchone()
    return (found[0], found[1]) if found else None


def take(db: Database, holder: str, *, expires_at: str, heartbeat_at: str, every_seconds: float) -> None:
    db.execute("UPDATE watcher SET holder = ?, expires_at = ?, heartbeat_at = ?, every_seconds = ? WHERE id = 1",
               [holder, expires_at, heartbeat_at, every_seconds])


def release(db: Database, holder: str) -> None:
    """Give the lease up; the holder stays recorded as the last watcher."""
    db.execute("UPDATE watcher SET expires_at = NULL WHERE id = 1 AND holder = ?", [holder])


def run_started(db: Database, at: str) -> None:
    db.execute("UPDATE watcher SET last_run_started_at = ? WHERE id = 1", [at])


def run_finished(db: Database, at: str, summary: str) -> None:
    db.execute("UPDATE watcher SET last_run_finished_at = ?, last_run_summary = ? WHERE id = 1", [at, summary])


def stop_told_for(db: Database) -> str | None:
    found = db.execute("SELECT stop_told_for FROM watcher WHERE id = 1").fetchone()
    return found[0] if found else None


def tell_stop(db: Database, last_run_at: str) -> None:
    db.execute("UPDATE watcher SET stop_told_for = ? WHERE id = 1", [last_run_at])
