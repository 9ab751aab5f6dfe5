"""Encryption at rest: Fernet with a key from COPERNICA_SECRET_KEY or a key file, and key
rotation that no other process can break (docs/architecture.md, "Keys").

The database records which key its secrets are written with (`meta.key_id`, a hash that
reveals nothing about the key). Every process compares that record with its own key inside
each write transaction, so a secret is never written with a key the database has moved on
from. A rotation holds an exclusive lock for its whole duration; the new key waits in
`secret.key.new` until the re-encryption has committed, and nothing but a rotation holding
that lock ever moves or removes that file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from .config import Settings
from .errors import ConfigError, DamagedSecret
from .secret import Secret
from .store import immediate, keys
from .store.engine import Database

_OPENED_MAX = 20_000  # as many as `secret` keeps for scrubbing
# Every (table, column) that holds a ciphertext.
SECRET_COLUMNS = (("applications", "client_secret_enc"), ("connections", "token_enc"), ("connections", "jwt_enc"),
                   ("notify_targets", "url_enc"), ("client_contacts", "contact_enc"),
                   ("notifications", "link_enc"), ("hash_keys", "key_enc"), ("invitations", "secret_enc"))


def key_id(key: Secret) -> str:
    """A stable name for a key that reveals nothing about it."""
    return hashlib.sha256(b"copernica-connections key id\0" + key.reveal().encode()).hexdigest()[:16]


class Vault:
    """Encrypts and decrypts with one key."""

    def __init__(self, key: Secret, *, source: str = "COPERNICA_SECRET_KEY") -> None:
        self.key = key
        self.id = key_id(key)
        # Ciphertexts this key opened, with what they hold: the secrets are in this process's
        # memory anyway (Secret registers each one for `scrub`); Fernet is a check's costliest step.
        self._opened: dict[str, str] = {}
        try:
            self._fernet = Fernet(key.reveal().encode())
        except (ValueError, TypeError):
            raise ConfigError(
                f"{source} is not a valid Fernet key (32 url-safe base64-encoded bytes). "
                "Generate one with: python -m copernica_core new-key"
            ) from None

    def encrypt(self, secret: Secret) -> str:
        ciphertext = self._fernet.encrypt(secret.reveal().encode()).decode()
        self._remember(ciphertext, secret.reveal())  # a JWT stored in one check-all is read in the next
        return ciphertext

    def _remember(self, ciphertext: str, plain: str) -> None:
        if len(self._opened) >= _OPENED_MAX:
            self._opened.clear()
        self._opened[ciphertext] = plain

    def decrypt(self, ciphertext: str) -> Secret:
        plain = self._opened.get(ciphertext)
        if plain is not None:  # a ciphertext opened before (each check-all opens every token again)
            return Secret(plain)
        try:
            plain = self._fernet.decrypt(ciphertext.encode()).decode()
        except (InvalidToken, ValueError, TypeError, AttributeError):
            raise DamagedSecret(
                "A stored secret cannot be decrypted with the database's key: that row was "
                "altered or damaged. Nothing was changed."
            ) from None
        self._remember(ciphertext, plain)
        return Secret(plain)

    def can_decrypt(self, ciphertext: str) -> bool:
        try:
            self.decrypt(ciphertext)
        except DamagedSecret:
            return False
        return True


def new_key() -> Secret:
    return Secret(Fernet.generate_key().decode())


def pending_key_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".new")


def lock_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".lock")


def write_key_file(path: Path, key: Secret) -> None:
    """Create a key file readable by its owner only, complete and on disk before it appears
    under its name (written aside, then hard-linked). Never replaces one (FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.reveal() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _read_key_file(path: Path) -> Vault | None:
    """The key in `path`, or None if there is no such file."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not a key"
        raise ConfigError(f"The key file {path} cannot be read ({reason}).") from None
    if not text:
        raise ConfigError(f"The key file {path} is empty. Restore it from a backup, or delete it "
                          "if the database holds no secrets yet.")
    return Vault(Secret(text), source=f"The key file {path}")


@contextlib.contextmanager
def rotation_lock(key_file: Path, *, wait: bool) -> Iterator[bool]:
    """An exclusive lock held by a rotation for its whole duration. Yields whether it was
    taken (with `wait=False` it is not taken while another process holds it)."""
    path = lock_file(key_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


recorded_key_id = keys.recorded_key_id


def _record_key_id(db: Database, vault: Vault) -> None:
    keys.record_key_id(db, vault.id)


def keys_at_hand(settings: Settings) -> list[Vault]:
    """The keys this process can reach, creating none: the configured one, else the pending
    key file (read first: a rotation moves it over the key file atomically) and the key file."""
    if settings.secret_key:
        return [Vault(settings.secret_key)]
    key_file = settings.key_file
    return [v for v in (_read_key_file(pending_key_file(key_file)), _read_key_file(key_file)) if v]


class Keyring:
    """The key of one database, kept in step with rotations made by other processes.

    Use it where a `Vault` is expected. `encrypt` must run inside a write transaction: it
    checks there that the database still records this key, and otherwise loads the new one
    (or refuses), so that no write stores a ciphertext the database's key cannot open."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self.vault = self._open()

    @property
    def key(self) -> Secret:
        return self.vault.key

    def encrypt(self, secret: Secret) -> str:
        return self._current().encrypt(secret)

    def decrypt(self, ciphertext: str) -> Secret:
        vault = self.vault
        try:
            return vault.decrypt(ciphertext)
        except DamagedSecret:
            if self._current() is vault:
                raise
            return self.vault.decrypt(ciphertext)  # written after a rotation by another process

    def _current(self) -> Vault:
        recorded = recorded_key_id(self.db)
        if recorded is not None and recorded != self.vault.id:
            self.vault = self._vault_for(recorded)
        return self.vault

    # -- opening ----------------------------------------------------------------------------

    def _candidates(self) -> list[Vault]:
        return keys_at_hand(self.settings)

    def _vault_for(self, recorded: str) -> Vault:
        """The key the database records. Outside a write transaction a rotation may commit
        and move its key file between our reads: then the record has changed, so read again."""
        for _ in range(10):
            candidates = self._candidates()
            for vault in candidates:
                if vault.id == recorded:
                    return vault
            now_recorded = recorded_key_id(self.db)
            if now_recorded == recorded:
                break
            recorded = now_recorded
        if not candidates:
            raise self._no_key(has_candidates=False)
        if self.settings.secret_key:
            raise ConfigError(
                "COPERNICA_SECRET_KEY is not the key the data in "
                f"{self.settings.database_name} is encrypted with (was it rotated with rotate-key? then "
                "set it to the new key). Nothing was changed."
            )
        raise ConfigError(
            f"The key file {self.settings.key_file} does not hold the key the data in "
            f"{self.settings.database_name} is encrypted with: restore the right key file (or set "
            "COPERNICA_SECRET_KEY to that key). Nothing was changed."
        )

    def _open(self) -> Vault:
        recorded = recorded_key_id(self.db)
        if recorded is not None:
            vault = self._vault_for(recorded)
            self._finish_interrupted_rotation(vault)
            return vault
        # A database written before keys were recorded, or a new one.
        samples = keys.sample_ciphertexts(self.db)
        candidates = self._candidates()
        if samples:
            vault = next((v for v in candidates if any(v.can_decrypt(c) for c in samples)), None)
            if vault is None:
                raise self._no_key(has_candidates=bool(candidates))
        elif candidates:
            vault = candidates[-1]  # the key file (or the configured key)
        else:
            vault = self._create_key_file()
        with immediate(self.db):
            recorded = recorded_key_id(self.db)
            if recorded is None:
                _record_key_id(self.db, vault)
                return vault
        return self._vault_for(recorded)  # another process recorded its key first

    def _no_key(self, *, has_candidates: bool) -> ConfigError:
        if has_candidates:
            return ConfigError(
                "The encryption key does not match the data in "
                f"{self.settings.database_name}: set COPERNICA_SECRET_KEY (or restore {self.settings.key_file}) "
                "to the key it was written with. Nothing was changed."
            )
        return ConfigError(
            f"The database holds encrypted secrets but there is no key: set "
            f"COPERNICA_SECRET_KEY or restore {self.settings.key_file}. Nothing was changed."
        )

    def _create_key_file(self) -> Vault:
        key_file = self.settings.key_file
        vault = Vault(new_key())
        try:
            write_key_file(key_file, vault.key)
        except FileExistsError:  # another process starting at the same moment made it first
            return _read_key_file(key_file)
        return vault

    def _finish_interrupted_rotation(self, vault: Vault) -> None:
        """A rotation that died after its commit left the database's key in the pending file:
        move it in place, but only while holding the rotation lock (so never under a live
        rotation's feet). Otherwise leave every file as it is."""
        if self.settings.secret_key:
            return
        key_file = self.settings.key_file
        pending = pending_key_file(key_file)
        if not pending.exists():
            return
        with rotation_lock(key_file, wait=False) as locked:
            if not locked:
                return
            on_disk = _read_key_file(pending)
            if on_disk is not None and on_disk.id == vault.id == recorded_key_id(self.db):
                os.replace(pending, key_file)

    # -- rotation ---------------------------------------------------------------------------

    def rotate(self, new: Secret | None = None, *, on_event=None) -> int:
        """Re-encrypt every secret with a new key in one transaction; returns how many.

        With a key file: a new key is written to `secret.key.new`, the re-encryption commits
        together with the new key id, then the file is moved over `secret.key`. A crash before
        the commit leaves the old key in charge; after it, the pending file is the key (the next
        open moves it in place). With COPERNICA_SECRET_KEY, `new` is required and the caller
        sets the variable to it afterwards."""
        env_key = bool(self.settings.secret_key)
        if env_key and not new:
            raise ConfigError("COPERNICA_SECRET_KEY is set: give the new key (COPERNICA_NEW_SECRET_KEY) "
                              "and set COPERNICA_SECRET_KEY to it afterwards.")
        new_vault = Vault(new or new_key(), source="The new key")
        key_file = self.settings.key_file
        pending = pending_key_file(key_file)
        with rotation_lock(key_file, wait=False) as locked:
            if not locked:
                raise ConfigError("Another rotate-key is running on this database; wait until it has "
                                  "finished, then run it again if you still want a new key. Nothing was changed.")
            current = self._current()
            if not env_key:
                self._finish_interrupted_rotation(current)
                if pending.exists():  # left by a rotation that died before its commit: never used
                    os.replace(pending, pending.with_name(pending.name + ".abandoned"))
                write_key_file(pending, new_vault.key)
            try:
                count = self._re_encrypt(new_vault, on_event=on_event)
            except BaseException:
                if not env_key:
                    pending.unlink(missing_ok=True)  # ours, and the commit did not happen
                raise
            if not env_key:
                os.replace(pending, key_file)
        self.vault = new_vault
        return count

    def _re_encrypt(self, new_vault: Vault, *, on_event) -> int:
        count = 0
        with immediate(self.db):
            old = self._current()
            for table, column in SECRET_COLUMNS:
                for row_id, ciphertext in keys.ciphertexts(self.db, table, column):
                    try:
                        plain = old.decrypt(ciphertext)
                    except DamagedSecret:
                        raise ConfigError(f"{table} row {row_id} cannot be decrypted ({column}); nothing "
                                          "was changed. Repair or delete that row first.") from None
                    keys.replace_ciphertext(self.db, table, column, row_id, new_vault.encrypt(plain))
                    count += 1
            _record_key_id(self.db, new_vault)
            if on_event:
                on_event(count)
        return count
