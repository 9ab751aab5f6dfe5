"""The errors the core raises on purpose, with one root (the way requests does it). Each
message says what to do; callers catch a type instead of inspecting return values."""

from __future__ import annotations


class CopernicaError(Exception):
    """Root of every error the core raises on purpose."""


class ConfigError(CopernicaError):
    """A setting or the key is missing or wrong; the message names it and what to do."""


class DamagedSecret(CopernicaError):
    """One stored ciphertext cannot be opened with the database's key (damaged data)."""


class NotFound(CopernicaError):
    """The application or connection does not exist (any more)."""


class Forbidden(CopernicaError):
    """The acting person's role does not allow this operation."""


class BadInput(CopernicaError):
    """Input that was refused; nothing was stored. `errors` maps a field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors

    @property
    def message(self) -> str:
        return str(self)


class Busy(CopernicaError):
    """Another process holds what this operation needs (the watcher's lease)."""


class LeaseLost(Busy):
    """This watcher's lease was taken over (it was paused or too slow): it must write and send nothing more."""


class DatabaseFault(CopernicaError):
    """The database server did not answer, or refused a statement (PostgreSQL: psycopg's errors
    never leave the storage package). The message names the database, never its password."""

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
