"""Every row of one database into another, of either engine (`copy-db`): which tables hold the
program's data, in the order their references allow, whether a database holds any, and the
rows themselves, copied with their ids. Checking the secrets and telling are copy_db.py's."""

from __future__ import annotations

from .engine import Database
from .keys import KEY_ID

# Referenced tables before the tables that reference them.
TABLES = ("applications", "connections", "pending_authorizations", "checks", "check_days", "events", "meta",
          "watcher", "alert_states", "notify_targets", "notifications", "deliveries", "usage_days", "invitations",
          "client_contacts", "hash_keys", "client_languages")
# Rows a database has before anyone used it (the watcher's row, which key it was opened with).
BOOKKEEPING = ("meta", "watcher")
# Each database's own: its schema's version, and its random name with its change counter.
NOT_COPIED = ("schema_version", "fleet_changes")
BATCH = 1000


def rows_held(db: Database) -> dict[str, int]:
    """How many rows each table of the program's data holds."""
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def key_id_of(db: Database) -> str | None:
    found = db.execute("SELECT value FROM meta WHERE name = ?", [KEY_ID]).fetchone()
    return found[0] if found else None


def copy_table(source: Database, target: Database, table: str) -> int:
    """Every row of `table`, ids kept, in batches; call inside the target's transaction. The
    watcher's lease is not copied (whoever held it watches the other database)."""
    columns = [c for c in source.columns(table) if c in set(target.columns(table))]
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    if table in BOOKKEEPING:
        target.execute(f"DELETE FROM {table}")
    copied, batch = 0, []
    for row in source.execute(f"SELECT {names} FROM {table}"):
        batch.append(tuple(row))
        if len(batch) == BATCH:
            target.executemany(insert, batch)
            copied, batch = copied + len(batch), []
    if batch:
        target.executemany(insert, batch)
        copied += len(batch)
    if table == "watcher":
        target.execute("UPDATE watcher SET holder = NULL, expires_at = NULL")
    if target.engine == "postgresql" and "id" in columns:
        # identity columns: the next id the database gives follows the copied ones
        target.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
    return copied
