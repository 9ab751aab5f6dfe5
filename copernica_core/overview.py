"""The fleet at a glance: counts by state, what needs a person, and filtering."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cached_property

from .alerts import OUTAGE_MIN_CONNECTIONS
from .models import Connection, Outcome


@dataclass(frozen=True)
class Attention:
    """A connection a person has to look at, and why, in plain words (what to do depends on
    who reads it: `advice.what_to_do`)."""

    connection: Connection
    severity: str  # "error" or "warning"
    reason: str


@dataclass(frozen=True)
class Summary:
    total: int
    valid: int
    need_a_person: int
    other_problems: int  # unavailable, rate limited, unexpected
    stale: int
    attention: list[Attention]  # broken connections, worst first
    duplicates: list[Attention] = ()  # connections that reach an account another one reaches too


@dataclass(frozen=True)
class ClientSummary:
    client: str  # "" for connections without a client
    connections: int
    valid: int
    need_a_person: int

    @property
    def not_valid(self) -> int:
        return self.connections - self.valid


@dataclass(frozen=True)
class Outage:
    """Copernica not answering most connections' checks (the same rule as the alert rules':
    more than half of at least three checked connections)."""

    since: str  # the earliest unanswered check of the current run of them
    unanswered: int
    checked: int
    need_a_person: int  # verdicts from before, kept through the outage


def outage(connections: list[Connection]) -> Outage | None:
    checked = [c for c in connections if c.last_checked_at]
    unanswered = [c for c in checked if c.unanswered_since]
    if len(checked) < OUTAGE_MIN_CONNECTIONS or len(unanswered) * 2 <= len(checked):
        return None
    return Outage(min(c.unanswered_since for c in unanswered), len(unanswered), len(checked),
                  sum(c.status.needs_a_person for c in connections))


def worst_first(connections: list[Connection]) -> list[Connection]:
    """By severity (account changed, invalid token, unavailable, …, valid), then by name."""
    return sorted(connections, key=lambda c: (c.status.severity, c.label.casefold(), c.id))


def client_summaries(connections: list[Connection]) -> list[ClientSummary]:
    """Per client: how many connections, how many valid, how many need a person; worst first."""
    by_client: dict[str, list[Connection]] = {}
    for c in connections:
        by_client.setdefault(c.client, []).append(c)
    rows = [ClientSummary(client, len(group), sum(c.status is Outcome.VALID for c in group),
                          sum(c.status.needs_a_person for c in group)) for client, group in by_client.items()]
    return sorted(rows, key=lambda r: (-r.need_a_person, -r.not_valid, r.client == "", r.client.casefold()))


def summarize(connections: list[Connection]) -> Summary:
    """Counts by kind of state, and the connections that need a person."""
    attention, duplicates = [], []
    for c in worst_first(connections):
        if c.status is Outcome.ACCOUNT_CHANGED:
            attention.append(Attention(c, "error", "The token now reaches another Copernica account."))
        elif c.status is Outcome.INVALID_TOKEN:
            attention.append(Attention(c, "error", "Copernica refused the token (revoked or wrong)."))
        if c.duplicate_of:
            others = ", ".join(f"#{i}" for i in c.duplicate_of)
            duplicates.append(Attention(c, "warning", f"reaches the same Copernica account ({c.account.name}, id "
                                                      f"{c.account.id}) as connection(s) {others}."))
    outcomes = [c.status for c in connections]
    return Summary(
        total=len(connections), valid=outcomes.count(Outcome.VALID),
        need_a_person=sum(o.needs_a_person for o in outcomes),
        other_problems=sum(o.other_problem for o in outcomes),
        stale=sum(c.stale for c in connections), attention=attention, duplicates=duplicates,
    )


class Snapshot:
    """Every connection at one moment, with what the Overview derives from them, each worked
    out once: a snapshot that stays valid until a connection or application changes, so it
    is shared by every page and session that reads the same state (Workspace.snapshot)."""

    def __init__(self, connections: list[Connection]):
        self.connections = connections

    @cached_property
    def summary(self) -> Summary:
        return summarize(self.connections)

    @cached_property
    def clients(self) -> list[ClientSummary]:
        return client_summaries(self.connections)

    @cached_property
    def worst_first(self) -> list[Connection]:
        return worst_first(self.connections)

    @cached_property
    def outage(self) -> Outage | None:
        return outage(self.connections)

    @cached_property
    def unchecked(self) -> int:
        return sum(c.status is Outcome.UNCHECKED for c in self.connections)


def filter_connections(
    connections: list[Connection], *, statuses: Collection[str] | None = None, search: str | None = None,
    clients: Collection[str] | None = None,
) -> list[Connection]:
    """Those with one of `statuses` and one of `clients` ("" for none; all if not given)
    whose label, client, account, company, application or account id contains `search`
    (ignoring case)."""
    if not statuses and not clients and not (search or "").strip():
        return list(connections)
    rows = [c for c in connections if (not statuses or c.status in statuses) and (not clients or c.client in clients)]
    needle = (search or "").strip().casefold()
    if needle:
        rows = [c for c in rows if needle in " ".join((
            c.label, c.client, c.account.id, c.account.name, c.account.company, c.application_label or "",
        )).casefold()]
    return rows


# The latest Snapshot in this process, by database name: (its key, the snapshot).
_SNAPSHOTS: dict[str, tuple[object, Snapshot]] = {}
_SNAPSHOTS_LOCK = threading.Lock()


def shared_snapshot(database: str, key: object, load: Callable[[], list[Connection]]) -> Snapshot:
    """The snapshot of `database` as of `key` (its change counter and the minute), shared by
    every run and session of this process; made from `load()` when the key moved."""
    with _SNAPSHOTS_LOCK:
        cached = _SNAPSHOTS.get(database)
    if cached is not None and cached[0] == key:
        return cached[1]
    snapshot = Snapshot(load())
    with _SNAPSHOTS_LOCK:
        _SNAPSHOTS.clear()  # one database per process in practice: keep only the latest
        _SNAPSHOTS[database] = (key, snapshot)
    return snapshot
