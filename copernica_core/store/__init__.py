"""Storage: every SQL statement of the program, one module per family of tables, behind one
package (docs/architecture.md, "Data"). Nothing outside it writes SQL (tests/test_layers.py).
What it offers is re-exported here: callers write `store.list_connections(...)`.

- engine: opening a database, migrating it, the write transaction (`immediate`)
- schema: the migrations
- connections: applications, connections, their checks, events, alert states, billed calls
"""

from .connections import *  # noqa: F403 (the family's functions, as store.NAME)
from .engine import BUSY_TIMEOUT_MS, has_column, immediate, migrate, open_database, schema_version
from .schema import MIGRATIONS

__all__ = ["BUSY_TIMEOUT_MS", "MIGRATIONS", "has_column", "immediate", "migrate", "open_database", "schema_version"]
