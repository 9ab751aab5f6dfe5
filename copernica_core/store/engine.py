"""The SQLite engine: opening a database (WAL, foreign keys, a busy timeout), migrating it, and
the write transaction every read-then-write step runs in (docs/architecture.md, "Data")."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from ..errors import ConfigError
from .schema import MIGRATIONS

BUSY_TIMEOUT_MS = 30_000


def has_column(conn: sqlite3.Connection | sqlite_utils.Database, table: str, column: str) -> bool:
    """Whether `table` has `column` (a database of an older schema may not)."""
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database at `path`."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: transactions are explicit (see `immediate`), so that a
    # read-then-write step holds the write lock from its first read.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. On a new file several openers race for this switch, and SQLite answers
    "database is locked" at once (without the busy handler) to all but one: wait for it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the write lock at once (BEGIN IMMEDIATE)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database has not had yet, each in its own transaction."""
    if schema_version(db) == len(MIGRATIONS):
        return len(MIGRATIONS)  # the usual case: no write lock needed to find out
    while True:
        with immediate(db):
            version = schema_version(db)
            if version > len(MIGRATIONS):
                raise ConfigError(
                    f"The database is at schema version {version}, newer than this program "
                    f"knows ({len(MIGRATIONS)}). Upgrade the program."
                )
            if version == len(MIGRATIONS):
                return version
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
