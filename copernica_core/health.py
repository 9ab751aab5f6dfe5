"""`health`: is this installation working, for monitors, container health checks and systemd
(docs/architecture.md, "Monitoring the watcher").

Reads only: it opens the database read-only (never creating one), finds the key without
making one, takes no lease and calls nobody. Healthy when the database opens, the key at
hand opens a stored secret, and, when a watcher is expected (one has run before, or
COPERNICA_WATCH_EVERY is set), the last scheduled run is younger than two intervals.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from . import watch
from .clock import iso
from .config import Settings
from .crypto import SECRET_COLUMNS, keys_at_hand
from .errors import ConfigError, DatabaseFault
from .store import DATABASE_ERRORS, MIGRATIONS, connection_count, keys, schema_version, whole
from .store.engine import Database, SqliteDatabase


@dataclass
class Health:
    problems: list[str] = field(default_factory=list)
    database: str = ""
    connections: int | None = None
    watcher: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self, now: datetime) -> dict:
        return {"ok": self.ok, "problems": self.problems, "checked_at": iso(now), "database": self.database,
                "connections": self.connections, "watcher": self.watcher}


def health(settings: Settings, *, now: datetime) -> Health:
    found = Health(database=settings.database_name)
    name = settings.database_name
    db = _open(settings, found)
    if db is None:
        return found
    try:
        tables = set(db.table_names())
        if "connections" not in tables or "watcher" not in tables:
            found.problems.append(f"{name} is not a Copernica Connections database, or an old one: open it once "
                                  "with this version")
            return found
        if schema_version(db) > len(MIGRATIONS):
            found.problems.append(f"{name} was written by a newer version of this program")
        found.connections = connection_count(db)
        _check_the_key(db, settings, found)
        _check_the_watcher(db, settings, found, now)
    except DATABASE_ERRORS as error:
        found.problems.append(f"the database {name} cannot be read ({error})")
    finally:
        db.close()
    return found


def _open(settings: Settings, found: Health):
    """The database, opened to read (never created, never migrated), or None with the problem told."""
    if settings.on_postgres:
        from .store.postgres import PgDatabase

        try:
            return PgDatabase(settings.database_url.reveal())
        except DatabaseFault as error:
            found.problems.append(str(error))
            return None
    path = settings.db_path
    if not path.is_file():
        found.problems.append(f"there is no database at {path} (COPERNICA_DB)")
        return None
    try:
        return SqliteDatabase(whole.open_read_only(path))
    except sqlite3.Error as error:
        found.problems.append(f"the database {path} cannot be opened ({error})")
        return None


def _check_the_key(db: Database, settings: Settings, found: Health) -> None:
    """The key at hand opens what the dashboard opens: the key the database records (secrets
    or not: the dashboard refuses any other), and a stored secret."""
    sample = next((row[1] for table, column in SECRET_COLUMNS for row in keys.ciphertexts(db, table, column, limit=1)),
                  None)
    recorded = keys.recorded_key_id(db)
    if sample is None and recorded is None:
        return  # nothing encrypted yet and no key chosen: any key will do
    try:
        found_keys = keys_at_hand(settings)
    except ConfigError as error:
        found.problems.append(str(error))
        return
    usable = [k for k in found_keys if recorded is None or k.id == recorded]
    if not usable or (sample is not None and not any(k.can_decrypt(sample) for k in usable)):
        where = "COPERNICA_SECRET_KEY" if settings.secret_key else str(settings.key_file)
        found.problems.append(f"the key at hand ({where}) does not open the stored secrets" if found_keys
                              else f"there is no key (neither COPERNICA_SECRET_KEY nor {settings.key_file})")


def _check_the_watcher(db: Database, settings: Settings, found: Health, now: datetime) -> None:
    status = watch.status(db, now=now)
    every = status.every or settings.watch_every
    found.watcher = {
        "expected": bool(status.last_run_at or settings.watch_expected),
        "every_seconds": every.total_seconds(), "running": status.alive,
        "last_run_finished_at": iso(status.last_run_finished_at) if status.last_run_finished_at else None,
        "last_watcher": status.last_watcher or None}
    if not found.watcher["expected"]:
        return
    last = status.last_run_at
    if last is None:
        if not status.alive:
            found.problems.append(f"no scheduled run yet, and no watcher is running (COPERNICA_WATCH_EVERY is "
                                  f"{watch.duration_words(every)})")
        return
    stopped = status.stopped_for(now)
    if stopped is not None:
        who = f"; last watcher {status.last_watcher}" if status.last_watcher else ""
        stuck = " (its lease is still renewed: it is stuck)" if status.alive else ""
        found.problems.append(f"no scheduled run for {watch.duration_words(stopped)} (every "
                              f"{watch.duration_words(every)}){who}{stuck}")
