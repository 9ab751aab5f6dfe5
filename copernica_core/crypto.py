"""Encryption at rest: Fernet with a key from COPERNICA_SECRET_KEY or a key file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from .config import ConfigError
from .secret import Secret


class Vault:
    """Encrypts and decrypts secrets. Holds the only copy of the key in memory."""

    def __init__(self, key: str) -> None:
        self.key = key
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(
                "COPERNICA_SECRET_KEY is not a valid Fernet key (32 url-safe base64-encoded "
                "bytes). Generate one with: python -m copernica_core new-key"
            ) from None

    def encrypt(self, secret: Secret) -> str:
        return self._fernet.encrypt(secret.reveal().encode()).decode()

    def decrypt(self, ciphertext: str) -> Secret:
        try:
            return Secret(self._fernet.decrypt(ciphertext.encode()).decode())
        except (InvalidToken, ValueError):
            raise ConfigError(
                "Stored secrets cannot be decrypted with this key: COPERNICA_SECRET_KEY (or the "
                "key file beside the database) is not the key the data was written with. "
                "Nothing was changed; restore the original key."
            ) from None

    def can_decrypt(self, ciphertext: str) -> bool:
        try:
            self._fernet.decrypt(ciphertext.encode())
        except (InvalidToken, ValueError):
            return False
        return True


def new_key() -> str:
    return Fernet.generate_key().decode()


def load_key(configured: str, key_file: Path, *, has_data: bool) -> str:
    """Return the configured key, else the key file's, creating the file (mode 0600) only
    when there is no encrypted data yet that an old key would be needed for."""
    if configured:
        return configured
    try:
        return key_file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    except OSError as error:
        raise ConfigError(f"The key file {key_file} cannot be read ({error.strerror}).") from None
    if has_data:
        raise ConfigError(
            f"The database holds encrypted secrets but there is no key: set "
            f"COPERNICA_SECRET_KEY or restore {key_file}. Nothing was changed."
        )
    key = new_key()
    try:
        write_key_file(key_file, key)
    except FileExistsError:  # another process starting at the same moment made it first
        return key_file.read_text(encoding="ascii").strip()
    return key


def write_key_file(path: Path, key: str) -> None:
    """Create a key file readable by its owner only, complete and on disk before it appears
    under its name (written aside, then hard-linked). Never replaces one (FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        os.unlink(temporary)


def pending_key_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".new")


def finish_key_rotation(key_file: Path, samples: list[str]) -> None:
    """A rotation that crashed between its commit and moving the new key file in place is
    finished here; one that crashed before its commit leaves a key file that is discarded."""
    pending = pending_key_file(key_file)
    if not pending.exists():
        return
    candidate = pending.read_text(encoding="ascii").strip()
    try:
        committed = any(Vault(candidate).can_decrypt(c) for c in samples)
    except ConfigError:
        committed = False
    if committed:
        os.replace(pending, key_file)
    else:
        pending.unlink()
