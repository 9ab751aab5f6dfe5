"""The key's bookkeeping (table `meta`: which key the secrets are written with) and the secret
columns read and rewritten as a whole (a rotation, a restore's check, `health`). Which columns
hold ciphertexts is crypto.py's `SECRET_COLUMNS`; these functions take the column they work on.
Each runs inside the caller's transaction; a rotation rewrites every secret in one. Every
encryption reads the recorded key id inside its write transaction (crypto.Keyring): SQLite's
write lock (PostgreSQL: the advisory lock every write transaction takes) keeps a rotation from
committing between that read and the write."""

from __future__ import annotations

import sqlite3

from .engine import Database, has_column

KEY_ID = "key_id"


def recorded_key_id(db: Database | sqlite3.Connection) -> str | None:
    found = db.execute("SELECT value FROM meta WHERE name = ?", [KEY_ID]).fetchone()
    return found[0] if found else None


def record_key_id(db: Database, key_id: str) -> None:
    db.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
               [KEY_ID, key_id])


def sample_ciphertexts(db: Database) -> list[str]:
    """A few stored ciphertexts (a key is right if it opens any of them: one damaged row must
    not look like a wrong key)."""
    return [r[0] for r in db.execute(
        "SELECT client_secret_enc FROM applications UNION ALL SELECT token_enc FROM connections "
        "UNION ALL SELECT url_enc FROM notify_targets LIMIT 5")]


def ciphertexts(db: Database | sqlite3.Connection, table: str, column: str, *,
                limit: int | None = None) -> list[tuple[int, str]]:
    """(row id, ciphertext) of every row of `table` whose `column` holds one; none when the
    table or column does not exist (an older schema)."""
    if not has_column(db, table, column):
        return []
    return list(db.execute(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"
                           + (f" LIMIT {int(limit)}" if limit else "")).fetchall())


def replace_ciphertext(db: Database, table: str, column: str, row_id: int, ciphertext: str) -> None:
    db.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [ciphertext, row_id])
