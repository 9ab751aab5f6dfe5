"""Plain records of the domain: Application, Connection, Check, Event, and check outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    VALID = "valid"
    INVALID_TOKEN = "invalid_token"
    ACCOUNT_CHANGED = "account_changed"
    UNAVAILABLE = "unavailable"
    RATE_LIMITED = "rate_limited"
    UNEXPECTED = "unexpected"

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self][0]

    @property
    def hint(self) -> str:
        return _EXPLANATIONS[self][1]

    @property
    def retryable(self) -> bool:
        return self in (Outcome.UNAVAILABLE, Outcome.RATE_LIMITED)


_EXPLANATIONS = {
    Outcome.VALID: (
        "Copernica answered with the expected account.",
        "Nothing to do.",
    ),
    Outcome.INVALID_TOKEN: (
        "Copernica rejected the access token: it was revoked or is wrong.",
        "Re-authorize this connection on the Authorize page (or paste a new token).",
    ),
    Outcome.ACCOUNT_CHANGED: (
        "The token now reaches a different Copernica account than the one stored.",
        "Critical: stop using this connection and check in Copernica who changed it; "
        "then re-authorize the right account.",
    ),
    Outcome.UNAVAILABLE: (
        "Copernica or the network did not answer properly (server error, timeout or "
        "connection failure). This is not the token's fault.",
        "Retry later; if it persists, check Copernica's status and this machine's network.",
    ),
    Outcome.RATE_LIMITED: (
        "Copernica asked us to slow down (HTTP 429).",
        "Wait a little and check again; lower the concurrency for large check-alls.",
    ),
    Outcome.UNEXPECTED: (
        "Copernica gave an answer this tool does not understand.",
        "Look at the detail below; if it persists, report it with the detail.",
    ),
}

UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Account:
    """A Copernica account as identity describes it."""

    id: str
    name: str = ""
    description: str = ""
    company: str = ""
    extra: dict = field(default_factory=dict)  # what v3 adds: customer, usedBy, license


@dataclass(frozen=True)
class Application:
    id: int
    label: str
    client_key: str
    redirect_uri: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Connection:
    id: int
    application_id: int | None
    application_label: str | None
    label: str
    account: Account
    token_fingerprint: str
    jwt_expires_at: str | None
    status: str
    status_message: str
    last_checked_at: str | None
    last_ok_at: str | None
    last_http_status: int | None
    last_latency_ms: float | None
    created_at: str
    updated_at: str
    stale: bool = False
    duplicate_of: tuple[int, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """One inspection's outcome, before or after it is stored."""

    outcome: Outcome
    message: str
    http_status: int | None = None
    latency_ms: float | None = None
    account: Account | None = None
    detail: str = ""
    retry_after: float | None = None
    jwt_expires_at: str | None = None
    calls: int = 0
    advice: str = ""  # what to do, when more is known than the outcome's general hint

    @property
    def hint(self) -> str:
        return self.advice or self.outcome.hint


@dataclass(frozen=True)
class Check:
    id: int
    connection_id: int
    checked_at: str
    outcome: str
    http_status: int | None
    latency_ms: float | None
    account_seen: str | None
    detail: str


@dataclass(frozen=True)
class Event:
    id: int
    at: str
    actor: str
    action: str
    application_id: int | None
    connection_id: int | None
    detail: str
