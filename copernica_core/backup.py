"""Backups: a consistent copy of the database taken while the watcher writes, and a restore
that refuses a file the key at hand cannot open, or one that was changed after it was made
(docs/architecture.md, "Backups").

A backup holds ciphertexts only; the key stays apart (COPERNICA_SECRET_KEY or the key file),
and each backup names the id of the key that opens it. It is sealed: an HMAC, with a key
derived from the encryption key, over its schema and every row, so an edited file (a trigger
added with `sqlite3`, a row changed) is refused. Both directions use SQLite's online backup
API: the copy is one read transaction of the source, so a check-all or a watcher writing at
the same moment ends up wholly in it or wholly not.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlite_utils

from . import watch
from .clock import iso
from .config import Settings
from .crypto import SECRET_COLUMNS, Vault, keys_at_hand
from .errors import BadInput, Busy, ConfigError, DamagedSecret
from .store import MIGRATIONS, connect_links, immediate, keys, lease, open_database, states, whole

SEAL = "backup_seal"  # the name of the seal's row in the backup's `meta`


@dataclass(frozen=True)
class Contents:
    """What a database or backup holds, counted; `key_id` names the key that opens it."""

    schema: int
    key_id: str | None
    applications: int
    connections: int
    targets: int

    @property
    def empty(self) -> bool:
        return not (self.applications or self.connections or self.targets)

    def __str__(self) -> str:
        return ", ".join(f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in (
            (self.applications, "application"), (self.connections, "connection"), (self.targets, "alert target")))


def contents(conn: sqlite3.Connection) -> Contents:
    tables = set(whole.table_names(conn))

    def count(table: str) -> int:
        return whole.row_count(conn, table) if table in tables else 0

    return Contents(whole.schema_version(conn), whole.meta_value(conn, keys.KEY_ID),
                    count("applications"), count("connections"), count("notify_targets"))


def seal(conn: sqlite3.Connection, vault: Vault) -> str:
    """The HMAC of a database's schema and rows (its own seal left out), keyed from `vault`'s key."""
    key = hmac.new(vault.key.reveal().encode(), b"copernica-connections backup seal", hashlib.sha256).digest()
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for row in whole.everything(conn, leave_out_meta=SEAL):
        mac.update(repr(row).encode() + b"\n")
    return mac.hexdigest()


def backup(db: sqlite_utils.Database, destination: Path, *, at_hand: list[Vault], sealed: bool = True) -> Contents:
    """Copy the database to `destination`, a new file (never replaced), readable by its owner
    only, sealed with the key it records (one of `at_hand`; unless not `sealed`, when that key is
    not at hand) and complete before it appears under its name. SQLite only: PostgreSQL's own
    tools do this there (`postgres_instead`)."""
    if db.engine != "sqlite":
        raise ConfigError(postgres_instead(db.name, restoring=False))
    destination = Path(destination)
    if destination.exists():
        raise BadInput({"file": f"{destination} already exists; a backup never overwrites a file. "
                                "Give a new name (with the date, say)."})
    if not destination.parent.is_dir():
        raise BadInput({"file": f"The folder {destination.parent} does not exist."})
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        whole.copy(db.conn, partial)  # all pages in one step: one consistent read of the source
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            made = contents(copy)
            vault = next((k for k in at_hand if k.id == made.key_id), None)
            if vault is not None:
                whole.set_meta(copy, SEAL, seal(copy, vault))
            elif sealed:
                raise BadInput({"key": "The key at hand is not the one this database records, so the backup "
                                       "cannot be sealed. Nothing was written."})
        finally:
            copy.close()
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.link(partial, destination)  # fails rather than replace a file made meanwhile
    except FileExistsError:
        raise BadInput({"file": f"{destination} already exists; a backup never overwrites a file."}) from None
    except OSError as error:
        raise BadInput({"file": f"Cannot write {destination}: {error.strerror or error}. Nothing was "
                                "written."}) from None
    finally:
        partial.unlink(missing_ok=True)
    return made


@dataclass(frozen=True)
class Restored:
    contents: Contents
    kept_aside: Path | None  # the database that was replaced, kept under this name
    withdrawn_links: int = 0  # connect links open in the backup, withdrawn: they may have been used since
    sealed: bool = True  # False: an unsealed backup restored on request (made before backups were sealed)

    @property
    def notes(self) -> str:
        """What else the restore did, each part after "; "."""
        aside = f"; the database that was there is kept as {self.kept_aside}" if self.kept_aside else ""
        links = (f"; {self.withdrawn_links} connect link{'s' if self.withdrawn_links != 1 else ''} open in the "
                 "backup withdrawn (used or withdrawn since, perhaps): make new ones" if self.withdrawn_links else "")
        return aside + links + ("" if self.sealed else "; the backup was not sealed, so not checked for changes")

    def __str__(self) -> str:
        return f"{self.contents}{self.notes}"


def postgres_instead(url: str, *, restoring: bool) -> str:
    """What to run on PostgreSQL instead of `backup` or `restore`: its own tools take a
    consistent snapshot (pg_dump) and put one back (pg_restore); the secrets in a dump are
    encrypted as in the database, so the key is kept apart just the same. `url` without its password."""
    if restoring:
        return ("restore works on SQLite files only. On PostgreSQL, stop the dashboards and watchers, then run: "
                f"pg_restore --clean --if-exists --no-owner --dbname '{url}' FILE.dump, and start them again "
                "(the key the dump was written with must be at hand). Nothing was changed.")
    return ("backup writes SQLite files only. On PostgreSQL, run: "
            f"pg_dump --format=custom --file FILE.dump '{url}' (one consistent snapshot while others write; the "
            "secrets in it stay encrypted: keep the key apart from the dump). Nothing was written.")


def restore(settings: Settings, source: Path, *, replace: bool, now: datetime, unsealed: bool = False) -> Restored:
    """Put the backup `source` in place of the database at `settings.db_path`.

    Refuses, changing nothing and creating no file: a file that is not a sound backup of
    this program, one with an object its schema version does not have (a trigger added by
    hand), one the key at hand cannot open (saying which key it needs), one whose seal does
    not match (edited since it was made; an unsealed one only with `unsealed`), a database
    that holds data unless `replace` (which keeps it aside first), and a database whose
    watcher is running. Connect links open in the backup are withdrawn in the restored one."""
    if settings.on_postgres:
        raise ConfigError(postgres_instead(settings.database_name, restoring=True))
    source = Path(source)
    if not source.is_file():
        raise BadInput({"file": f"There is no file {source}."})
    try:
        backup_conn = whole.open_read_only(source)
    except sqlite3.Error as error:
        raise BadInput({"file": f"{source} cannot be opened ({error})."}) from None
    try:
        held = _sound_backup(backup_conn, source)
        _known_objects_only(backup_conn, held.schema, source)
        vault = _check_the_key(backup_conn, held, settings, source)
        sealed = _check_the_seal(backup_conn, vault, source, unsealed=unsealed)
        kept_aside = _make_room(settings, replace=replace, now=now)
        target_path = settings.db_path
        target_path.parent.mkdir(parents=True, exist_ok=True)
        whole.copy_into(backup_conn, target_path)
    finally:
        backup_conn.close()
    restored = open_database(target_path)  # the program's journal mode, and migrations of an older backup
    try:
        with immediate(restored):
            withdrawn = connect_links.withdraw_all_open(restored, now=now, why="a backup was restored")
            states.end_all_waiting(restored, at=iso(now))  # they belong to the database that was replaced
            whole.forget_meta(restored, SEAL)
    finally:
        restored.close()
    return Restored(held, kept_aside, withdrawn, sealed)


def _sound_backup(conn: sqlite3.Connection, source: Path) -> Contents:
    try:
        if not whole.quick_check(conn):
            raise BadInput({"file": f"{source} is damaged (SQLite's quick_check fails); nothing was changed. "
                                    "Use another backup."})
        held = contents(conn)
    except sqlite3.DatabaseError as error:
        raise BadInput({"file": f"{source} is not a Copernica Connections backup ({error}); nothing was "
                                "changed."}) from None
    if not {"applications", "connections"} <= set(whole.table_names(conn)):
        raise BadInput({"file": f"{source} is an SQLite file but not a Copernica Connections backup; nothing "
                                "was changed."})
    if held.schema > len(MIGRATIONS):
        raise BadInput({"file": f"{source} was written by a newer version of this program (schema "
                                f"{held.schema}, this one knows {len(MIGRATIONS)}): upgrade it first."})
    return held


def _known_objects(version: int) -> set[tuple]:
    """The tables, indexes and triggers the migrations up to `version` create."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db = sqlite_utils.Database(conn)
        for step in MIGRATIONS[:version]:
            step(db)
        return whole.objects(conn)
    finally:
        conn.close()


def _known_objects_only(conn: sqlite3.Connection, version: int, source: Path) -> None:
    """Refuse a backup holding a table, index, trigger or view that this program's migrations
    of its version do not create, or one of theirs in another form: a trigger added with
    `sqlite3` could make a single-use link work twice, or erase events as they are written."""
    unknown = sorted(whole.objects(conn) - _known_objects(version), key=lambda o: (o[0], o[1]))
    if unknown:
        named = ", ".join(f"{kind} {name}" for kind, name, _, _ in unknown[:5])
        raise BadInput({"file": f"{source} holds what this program never creates ({named}): it was changed "
                                "after it was made. Nothing was changed; use another backup."})


def _check_the_seal(conn: sqlite3.Connection, vault: Vault | None, source: Path, *, unsealed: bool) -> bool:
    """Whether the backup is sealed (and the seal matches: else refused); an unsealed one
    only when `unsealed` says so."""
    sealed = whole.meta_value(conn, SEAL)
    if sealed is None:
        if unsealed:
            return False
        raise BadInput({"file": f"{source} is not sealed, so nobody can tell whether it was changed since it was "
                                "made. Backups made by versions before sealing were not; if you made this one "
                                "yourself, restore it with --unsealed. Nothing was changed."})
    if vault is None or not hmac.compare_digest(sealed, seal(conn, vault)):
        raise BadInput({"file": f"{source} was changed after it was made (its seal does not match). Nothing was "
                                "changed; use another backup."})
    return True


def _check_the_key(conn: sqlite3.Connection, held: Contents, settings: Settings, source: Path) -> Vault | None:
    """The key at hand that the backup records (needed whenever it records one, secrets or
    not: the restored database opens with that key only), and every secret opens with it.
    None for a backup that records no key and holds no secret."""
    ciphertexts = [row[1] for table, column in SECRET_COLUMNS for row in keys.ciphertexts(conn, table, column)]
    if not ciphertexts and held.key_id is None:
        return None
    found_keys = keys_at_hand(settings)
    where = "COPERNICA_SECRET_KEY" if settings.secret_key else str(settings.key_file)
    vault = _matching(found_keys, held.key_id, ciphertexts)
    if vault is None:
        needs = f"the key with id {held.key_id}" if held.key_id else "the key it was written with"
        at_hand = (f"the key at hand ({where}) has id {', '.join(k.id for k in found_keys)}" if found_keys
                   else f"there is no key here (neither COPERNICA_SECRET_KEY nor {settings.key_file})")
        raise BadInput({"key": f"{source} needs {needs}, but {at_hand}. Put that key in COPERNICA_SECRET_KEY "
                               f"or {settings.key_file}, then restore again. Nothing was changed."})
    damaged = 0
    for ciphertext in ciphertexts:
        try:
            vault.decrypt(ciphertext)
        except DamagedSecret:
            damaged += 1
    if damaged:
        raise BadInput({"file": f"{damaged} of the {len(ciphertexts)} secrets in {source} cannot be decrypted "
                                "with its key: the file is damaged. Nothing was changed; use another backup."})
    return vault


def _matching(candidates: list[Vault], key_id: str | None, ciphertexts: list[str]) -> Vault | None:
    if key_id is not None:
        return next((k for k in candidates if k.id == key_id), None)
    return next((k for k in candidates if any(k.can_decrypt(c) for c in ciphertexts[:5])), None)  # before key ids


def _make_room(settings: Settings, *, replace: bool, now: datetime) -> Path | None:
    """Whether the database may be replaced; the one there is kept aside when it holds data."""
    path = settings.db_path
    if not path.exists():
        return None
    db = open_database(path)
    try:
        now_held = contents(db.conn)
        found = lease.holder_and_expiry(db)
        if watch.lease_holds(found, None, now=now) and not watch.holder_gone(found[0]):  # (a killed one is gone)
            raise Busy(f"A watcher ({found[0]}) is running on {path}: stop it, then restore. Nothing was changed.")
        if now_held.empty:
            return None
        if not replace:
            raise BadInput({"file": f"{path} already holds {now_held}. Give --replace to put the backup in its "
                                    "place (the database there now is kept aside first). Nothing was changed."})
        aside = path.with_name(f"{path.name}.before-restore-{iso(now)[:19].replace(':', '')}")
        backup(db, aside, at_hand=keys_at_hand(settings), sealed=False)  # its key may not be at hand
        return aside
    finally:
        db.close()
