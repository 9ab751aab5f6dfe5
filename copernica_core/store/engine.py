"""Opening the database (SQLite at COPERNICA_DB, or PostgreSQL at COPERNICA_DATABASE_URL),
migrating it, and the write transaction every read-then-write step runs in
(docs/architecture.md, "Data" and "Two engines"). Both engines offer the same few calls
(`execute`, `query`, `executemany`, `begin`/`commit`/`rollback`, `close`) and say which they
are (`engine`); PostgreSQL's are in postgres.py, loaded only when it is used."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import sqlite_utils

from ..errors import ConfigError, DatabaseFault
from .schema import MIGRATIONS

BUSY_TIMEOUT_MS = 30_000
# What a statement may raise on either engine (psycopg's errors arrive as DatabaseFault).
DATABASE_ERRORS = (sqlite3.DatabaseError, DatabaseFault)


class Database(Protocol):
    """What the storage modules use of a database, on either engine."""

    engine: str

    def execute(self, sql: str, params=None): ...
    def query(self, sql: str, params=None) -> Iterator[dict]: ...
    def executemany(self, sql: str, rows) -> None: ...
    def begin(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...
    def table_names(self) -> list[str]: ...


class SqliteDatabase(sqlite_utils.Database):
    """sqlite-utils' Database with the calls both engines offer."""

    engine = "sqlite"

    def executemany(self, sql: str, rows) -> None:
        self.conn.executemany(sql, rows)

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def user_version(self) -> int:
        return self.execute("PRAGMA user_version").fetchone()[0]

    def set_user_version(self, version: int) -> None:
        self.execute(f"PRAGMA user_version = {int(version)}")

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.execute(f"PRAGMA table_info({table})")]


def shown_url(url: str) -> str:
    """A postgresql:// URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    netloc = f"{parts.username or ''}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def is_url(where: Path | str) -> bool:
    return isinstance(where, str) and where.startswith(("postgresql://", "postgres://"))


def has_column(db, table: str, column: str) -> bool:
    """Whether `table` has `column` (a database of an older schema may not)."""
    if isinstance(db, sqlite3.Connection):
        return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))
    return column in db.columns(table)


def open_database(where: Path | str):
    """Open (creating if needed) and migrate the database at `where`: a path (SQLite) or a
    postgresql:// URL."""
    if is_url(where):
        from .postgres import PgDatabase

        db = PgDatabase(where)
        try:
            migrate(db)
        except BaseException:
            db.close()
            raise
        return db
    path = where
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode: transactions are explicit (see `immediate`), so that a
    # read-then-write step holds the write lock from its first read.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = SqliteDatabase(conn)
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
def immediate(db) -> Iterator[None]:
    """A write transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: an advisory lock every write transaction takes first)."""
    db.begin()
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()


@contextmanager
def snapshot(db) -> Iterator[None]:
    """Reads that all see the database at one moment, while others write (a copy of it)."""
    db.execute("BEGIN" if db.engine == "sqlite" else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        yield
    finally:
        db.execute("COMMIT")


def schema_version(db) -> int:
    return db.user_version()


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
            db.set_user_version(version + 1)
