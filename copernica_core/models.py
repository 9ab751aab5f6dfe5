"""Plain records of the domain: Application, Connection, Check, Event, and check outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from .secret import Secret
from .vocabulary import Words, words


class Outcome(StrEnum):
    """A check's outcome, and so a connection's status (UNCHECKED: no check yet). Members are
    declared worst first: that order is their severity, everywhere."""

    ACCOUNT_CHANGED = "account_changed"
    INVALID_TOKEN = "invalid_token"
    UNAVAILABLE = "unavailable"
    RATE_LIMITED = "rate_limited"
    UNEXPECTED = "unexpected"
    UNCHECKED = "unchecked"
    VALID = "valid"

    @property
    def severity(self) -> int:
        """0 for the worst (account changed) up to the best (valid): sort by it, worst first."""
        return list(Outcome).index(self)

    @property
    def needs_a_person(self) -> bool:
        """Someone has to re-authorize or investigate; waiting does not help."""
        return self in (Outcome.ACCOUNT_CHANGED, Outcome.INVALID_TOKEN)

    @property
    def other_problem(self) -> bool:
        """Not working, but not for a person to fix: Copernica or the network, or an odd answer."""
        return self in (Outcome.UNAVAILABLE, Outcome.RATE_LIMITED, Outcome.UNEXPECTED)

    @property
    def words(self) -> Words:
        """Every word, colour and icon of this status (vocabulary.py)."""
        return words(self)

    @property
    def hint(self) -> str:
        """The general next step; `advice.what_to_do` says it for one connection and reader."""
        return words(self).hint

    @property
    def summary(self) -> str:
        """What this status means, in a marketing user's words (no HTTP, no JWT)."""
        return words(self).summary

    @property
    def retryable(self) -> bool:
        return self in (Outcome.UNAVAILABLE, Outcome.RATE_LIMITED)

    @classmethod
    def of(cls, status: str) -> Outcome:
        """A stored status as an Outcome; one this version does not know counts as unexpected."""
        try:
            return cls(status)
        except ValueError:
            return cls.UNEXPECTED


@dataclass(frozen=True)
class StatusChange:
    """A connection's status before and after a check was written."""

    connection_id: int
    before: Outcome
    after: Outcome

    @property
    def changed(self) -> bool:
        return self.before is not self.after


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
    status: Outcome  # what its last check found (a token verdict outlives an outage: store.py)
    status_message: str
    last_checked_at: str | None
    last_ok_at: str | None
    last_http_status: int | None
    last_latency_ms: float | None
    created_at: str
    updated_at: str
    stale: bool = False
    duplicate_of: tuple[int, ...] = ()
    client: str = ""  # the agency's customer it serves; "" when none is set
    unanswered_since: str | None = None  # since when Copernica has not answered its checks (unavailable)


@dataclass(frozen=True)
class Verdict:
    """What one inspection found: its outcome in plain words, with the technical detail. A
    stored Verdict becomes a `Check` row."""

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
    """A stored check: one row of a connection's history."""

    id: int
    connection_id: int
    checked_at: str
    outcome: str
    http_status: int | None
    latency_ms: float | None
    account_seen: str | None
    detail: str


@dataclass(frozen=True)
class Uptime:
    """How long a connection was seen working, of how long it was watched, in seconds."""

    valid_seconds: float = 0.0
    observed_seconds: float = 0.0


@dataclass(frozen=True)
class Event:
    id: int
    at: str
    actor: str
    action: str
    application_id: int | None
    connection_id: int | None
    detail: str


# What the watcher has said so far (the alert rules read and write it; store keeps it).
@dataclass(frozen=True)
class AlertState:
    """What has been said about one connection so far."""

    broken_since: datetime | None = None  # when it stopped being valid; None while valid
    alerted_status: str | None = None  # the status last alerted about; None: nothing said
    notified_at: datetime | None = None  # when the last alert or reminder about it went out


@dataclass(frozen=True)
class OutageState:
    since: datetime | None = None  # when most connections became unavailable
    notified_at: datetime | None = None  # when "looks down" (or its reminder) went out


# Fetch a new JWT this long before the cached one expires.
JWT_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class CachedJwt:
    jwt: Secret
    expires_at: datetime

    def usable(self, now: datetime) -> bool:
        return self.expires_at - JWT_MARGIN > now
