"""The fleet at a glance: counts by state, what needs a person, and filtering."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .models import Connection, Outcome


@dataclass(frozen=True)
class Alert:
    """A connection a person has to look at, and why, in plain words."""

    connection: Connection
    severity: str  # "error" or "warning"
    message: str


@dataclass(frozen=True)
class Summary:
    total: int
    valid: int
    need_a_person: int
    other_problems: int  # unavailable, rate limited, unexpected
    stale: int
    alerts: list[Alert]


def advice_for(connection: Connection) -> str:
    """What to do about this connection's status, naming the action that works for it."""
    outcome = connection.outcome
    if outcome is Outcome.INVALID_TOKEN and connection.application_id is None:
        return ("Paste a new access token of this account on the Credentials page (it replaces this "
                "connection's token and keeps its history), or revoke-and-recreate it in Marketing Suite first.")
    if outcome is Outcome.INVALID_TOKEN:
        return ("Re-authorize it on the Authorize page, choosing this connection under "
                "'Re-authorize an existing connection'.")
    return outcome.hint


def summarize(connections: list[Connection]) -> Summary:
    """Counts by kind of state, and the alerts for connections that need a person."""
    alerts = []
    for c in connections:
        if c.outcome is Outcome.ACCOUNT_CHANGED:
            alerts.append(Alert(c, "error", "the token now reaches another Copernica account. Stop using it "
                                            "and re-authorize the right account."))
        elif c.outcome is Outcome.INVALID_TOKEN:
            alerts.append(Alert(c, "error", "Copernica refused the token (revoked or wrong). " + advice_for(c)))
        if c.duplicate_of:
            others = ", ".join(f"#{i}" for i in c.duplicate_of)
            alerts.append(Alert(c, "warning", f"reaches the same Copernica account ({c.account.name}, id "
                                              f"{c.account.id}) as connection(s) {others}."))
    outcomes = [c.outcome for c in connections]
    return Summary(
        total=len(connections), valid=outcomes.count(Outcome.VALID),
        need_a_person=sum(o.needs_a_person for o in outcomes),
        other_problems=sum(not o.needs_a_person and o not in (Outcome.VALID, Outcome.UNCHECKED) for o in outcomes),
        stale=sum(c.stale for c in connections), alerts=alerts,
    )


def filter_connections(
    connections: list[Connection], *, statuses: Collection[str] | None = None, search: str | None = None,
) -> list[Connection]:
    """Those with one of `statuses` (all if none given) whose label, account, company,
    application or account id contains `search` (ignoring case)."""
    rows = [c for c in connections if not statuses or c.status in statuses]
    needle = (search or "").strip().casefold()
    if needle:
        rows = [c for c in rows if needle in " ".join((
            c.label, c.account.id, c.account.name, c.account.company, c.application_label or "",
        )).casefold()]
    return rows


