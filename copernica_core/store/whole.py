"""The database as a whole, for backups, restores and `health`: opening it read-only, its
schema version and objects, row counts, every row of every table (a backup's seal), a copy
with SQLite's online backup API, and the rows a restore must end. These work on a plain
sqlite3 connection: a backup is looked at before it is opened as the program's database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path


def open_read_only(path: Path) -> sqlite3.Connection:
    """The file at `path`, read only (never created)."""
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def quick_check(conn: sqlite3.Connection) -> bool:
    return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def table_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def row_count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def objects(conn: sqlite3.Connection) -> set[tuple]:
    """(type, name, table, SQL) of every table, index, trigger and view the program could have made."""
    return set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


def everything(conn: sqlite3.Connection, *, leave_out_meta: str) -> Iterator[tuple]:
    """The schema (every object) then every row of every table in a fixed order, as tuples;
    the `meta` row named `leave_out_meta` left out."""
    yield from conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    for table in table_names(conn):
        yield ("table", table)
        rest = " WHERE name != ?" if table == "meta" else ""
        yield from conn.execute(f'SELECT * FROM "{table}"{rest}', [leave_out_meta] if rest else [])


def meta_value(conn: sqlite3.Connection, name: str) -> str | None:
    if "meta" not in table_names(conn):
        return None
    found = conn.execute("SELECT value FROM meta WHERE name = ?", [name]).fetchone()
    return found[0] if found else None


def set_meta(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", [name, value])


def forget_meta(conn, name: str) -> None:
    conn.execute("DELETE FROM meta WHERE name = ?", [name])


def copy(source: sqlite3.Connection, target_path: Path) -> None:
    """Every page of `source` into the file at `target_path` in one step (one consistent read of
    the source), that file left as one self-contained file (a rollback journal, no -wal)."""
    target = sqlite3.connect(target_path, isolation_level=None)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()


def copy_into(source: sqlite3.Connection, target_path: Path) -> None:
    """Every page of `source` into the database at `target_path` (a restore: that database's
    other connections see it at their next read)."""
    target = sqlite3.connect(target_path, isolation_level=None)
    try:
        source.backup(target)
    finally:
        target.close()
