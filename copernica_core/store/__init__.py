"""Storage: every SQL statement of the program, one module per family of tables, behind one
package (docs/architecture.md, "Data"). Nothing outside it writes SQL (tests/test_layers.py).
What it offers is re-exported here: callers write `store.list_connections(...)`.

- engine: opening a database (SQLite or PostgreSQL), migrating it, the write transaction (`immediate`)
- postgres: PostgreSQL's pool and its reading of the package's SQL
- schema: the migrations
- connections: applications, connections, their checks, events, alert states, billed calls
"""

from .connections import *  # noqa: F403 (the family's functions, as store.NAME)
from .engine import (
    BUSY_TIMEOUT_MS,
    DATABASE_ERRORS,
    has_column,
    immediate,
    is_url,
    migrate,
    open_database,
    schema_version,
)
from .schema import MIGRATIONS

__all__ = ["BUSY_TIMEOUT_MS", "DATABASE_ERRORS", "MIGRATIONS", "has_column", "immediate", "is_url", "migrate",
           "open_database", "schema_version"]
