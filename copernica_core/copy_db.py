"""`copy-db --to TARGET`: the configured database (SQLite or PostgreSQL) copied into an empty one
of either engine, as a move from one machine to several (docs/architecture.md, "Two engines").

Every secret is opened with the key at hand before anything is written (a copy whose tokens
cannot be opened is no copy); the ciphertexts travel as they are, so the target opens with the
same key. A target that holds data is refused and left as it was; the copy is one transaction,
so a failure leaves the target empty."""

from __future__ import annotations

from dataclasses import dataclass

from .crypto import SECRET_COLUMNS, Keyring
from .errors import BadInput, DamagedSecret
from .store import engine, immediate, keys, open_database, transfer


@dataclass(frozen=True)
class Copied:
    target: str  # named without its password
    rows: dict[str, int]  # copied per table
    secrets: int  # ciphertexts opened with the key at hand

    def __str__(self) -> str:
        shown = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in self.rows.items() if n)
        return f"{shown or 'nothing'}; {self.secrets} secrets open with the key at hand"


def copy_database(source: engine.Database, vault: Keyring, target: str) -> Copied:
    """Copy `source` (opened with `vault`) into the empty database at `target` (a path or a
    postgresql:// URL)."""
    name = engine.shown_url(target) if engine.is_url(target) else target
    db = open_database(target)
    try:
        unknown = set(db.table_names()) - set(transfer.TABLES) - set(transfer.NOT_COPIED)
        if unknown:  # a table added by a migration and not to store/transfer.py: copy nothing rather than half
            raise BadInput({"to": f"copy-db does not know the tables {', '.join(sorted(unknown))}. Nothing was "
                                  "changed."})
        held = {t: n for t, n in transfer.rows_held(db).items() if n and t not in transfer.BOOKKEEPING}
        if held:
            raise BadInput({"to": f"{name} already holds data ({', '.join(f'{n} in {t}' for t, n in held.items())}): "
                                  "copy-db copies into an empty database only. Nothing was changed."})
        theirs, ours = transfer.key_id_of(db), transfer.key_id_of(source)
        if theirs is not None and theirs != ours:
            raise BadInput({"to": f"{name} was opened with another encryption key: copy-db copies into an empty "
                                  "database that no other key has opened. Nothing was changed."})
        with engine.snapshot(source), immediate(db):
            secrets = _open_every_secret(source, vault)
            rows = {table: transfer.copy_table(source, db, table) for table in transfer.TABLES}
    finally:
        db.close()
    return Copied(name, rows, secrets)


def _open_every_secret(db: engine.Database, vault: Keyring) -> int:
    opened = 0
    for table, column in SECRET_COLUMNS:
        for row_id, ciphertext in keys.ciphertexts(db, table, column):
            try:
                vault.decrypt(ciphertext)
            except DamagedSecret:
                raise BadInput({"from": f"The secret in {table}.{column} of row {row_id} does not open with the "
                                        "key at hand: fix that first (rotate-key names such rows). Nothing was "
                                        "copied."}) from None
            opened += 1
    return opened
