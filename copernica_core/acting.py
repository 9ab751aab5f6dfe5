"""What an operation needs from a workspace once it has checked who acts: the database and its
key, the settings and clock, and a way to record an event as that person. The modules a
Workspace delegates to (links.py, messages.py) take one; opening a database with its key is
here too, for the Workspace and the look-ups made before anyone is known (doorstep.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .config import Settings
from .crypto import Keyring
from .errors import ConfigError
from .store import open_database
from .store.engine import Database


def open_with_key(settings: Settings) -> tuple[Database, Keyring]:
    """The database (COPERNICA_DB, or COPERNICA_DATABASE_URL), migrated, and the key its
    secrets are written with; a ConfigError that says what to do when either cannot be opened."""
    try:
        db = open_database(settings.database)
    except sqlite3.DatabaseError as error:
        raise ConfigError(f"The database {settings.database_name} cannot be opened: {error}.") from None
    # (a DatabaseFault, PostgreSQL not answering, goes up as it is: an outage, not a setting)
    try:
        return db, Keyring(db, settings)
    except BaseException:
        db.close()
        raise


@dataclass
class Acting:
    """A workspace's database, key, settings and clock, as one acting person (`who`), who
    records events through `record_event`."""

    db: Database
    vault: Keyring
    settings: Settings
    clock: Callable[[], datetime]
    record_event: Callable[..., None]
    who: str
