"""The watcher: check every connection on a schedule, then tell people what changed
(docs/architecture.md, "Watching and alerts").

One watcher per database: a lease row in SQLite (holder, expiry) that the active watcher
renews from a heartbeat thread. Another `watch` on the same database waits as a standby
and takes over once the lease has expired (its holder was killed). Runs are scheduled from
the last run's start, stored in the same row, so a standby that takes over never checks
twice in one period: calls are billed.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from .db import immediate, iso, open_database, parse_iso_or_none, utcnow
from .errors import LeaseLost
from .models import Outcome, StatusChange

# The lease outlives a missed heartbeat or two, not more: a killed watcher's standby takes
# over within the lease of its last heartbeat (COPERNICA_WATCH_LEASE; tests shorten it).
LEASE = timedelta(seconds=10)


def heartbeat_every(lease: timedelta) -> timedelta:
    return lease / 3


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class WatcherStatus:
    """What the dashboard shows about the watcher."""

    holder: str | None
    alive: bool  # a watcher renewed its lease recently
    every: timedelta | None
    last_run_started_at: datetime | None
    last_run_finished_at: datetime | None
    last_run_summary: str

    @property
    def next_run_at(self) -> datetime | None:
        if self.every is None or self.last_run_started_at is None:
            return None
        return self.last_run_started_at + self.every


def _row(db: sqlite_utils.Database) -> dict:
    db.execute("INSERT OR IGNORE INTO watcher (id) VALUES (1)")
    return next(db.query("SELECT * FROM watcher WHERE id = 1"))


def status(db: sqlite_utils.Database, *, now: datetime) -> WatcherStatus:
    rows = list(db.query("SELECT * FROM watcher WHERE id = 1"))
    if not rows:
        return WatcherStatus(None, False, None, None, None, "")
    row = rows[0]
    expires = parse_iso_or_none(row["expires_at"])
    every = timedelta(seconds=row["every_seconds"]) if row["every_seconds"] else None
    return WatcherStatus(row["holder"], expires is not None and expires > now, every,
                         parse_iso_or_none(row["last_run_started_at"]),
                         parse_iso_or_none(row["last_run_finished_at"]), row["last_run_summary"])


def try_lease(db: sqlite_utils.Database, holder: str, *, now: datetime, every: timedelta,
              lease: timedelta = LEASE) -> bool:
    """Take or renew the lease: free, expired, or already ours. One transaction."""
    with immediate(db):
        row = _row(db)
        expires = parse_iso_or_none(row["expires_at"])
        if row["holder"] not in (None, holder) and expires is not None and expires > now:
            return False
        db.execute("UPDATE watcher SET holder = ?, expires_at = ?, heartbeat_at = ?, every_seconds = ? WHERE id = 1",
                   [holder, iso(now + lease), iso(now), every.total_seconds()])
        return True


def release(db: sqlite_utils.Database, holder: str) -> None:
    with immediate(db):
        db.execute("UPDATE watcher SET holder = NULL, expires_at = NULL WHERE id = 1 AND holder = ?", [holder])


def run_due(db: sqlite_utils.Database, holder: str, *, now: datetime, every: timedelta) -> bool:
    """Whether a run is due, and if so mark it started (only the lease holder may)."""
    with immediate(db):
        row = _row(db)
        if row["holder"] != holder:
            return False
        last = parse_iso_or_none(row["last_run_started_at"])
        if last is not None and last <= now and now - last < every:
            return False
        db.execute("UPDATE watcher SET last_run_started_at = ? WHERE id = 1", [iso(now)])
        return True


def holds(db: sqlite_utils.Database, holder: str, *, now: datetime) -> bool:
    """Whether `holder` still holds an unexpired lease; call inside the transaction whose
    writes it fences."""
    row = db.execute("SELECT holder, expires_at FROM watcher WHERE id = 1").fetchone()
    return bool(row) and row[0] == holder and (parse_iso_or_none(row[1]) or now) > now


def ensure_holds(db: sqlite_utils.Database, holder: str | None, *, now: datetime) -> None:
    """Fence a write: a watcher (holder) that lost its lease writes and sends nothing more."""
    if holder is not None and not holds(db, holder, now=now):
        raise LeaseLost("another watcher took over this database's schedule")


def run_finished(db: sqlite_utils.Database, *, now: datetime, summary: str, holder: str) -> None:
    with immediate(db):
        ensure_holds(db, holder, now=now)
        db.execute("UPDATE watcher SET last_run_finished_at = ?, last_run_summary = ? WHERE id = 1",
                   [iso(now), summary])


@dataclass(frozen=True)
class WatchRun:
    """One scheduled run: what the checks found, and what the alert rules sent."""

    outcomes: list[Outcome]
    alerts: Any  # workspace.AlertReport
    finished_at: datetime
    changes: list[StatusChange] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return summary_line(self.outcomes)

    @property
    def all_valid(self) -> bool:
        return all(o is Outcome.VALID for o in self.outcomes)


def summary_line(outcomes: list[Outcome]) -> str:
    """'45 checked: 39 valid, 4 invalid token, 2 unavailable'."""
    if not outcomes:
        return "no connections to check"
    counts = {o: outcomes.count(o) for o in sorted(set(outcomes), key=lambda o: (o is not Outcome.VALID, o.severity))}
    return f"{len(outcomes)} checked: " + ", ".join(f"{n} {o.value.replace('_', ' ')}" for o, n in counts.items())


class Heartbeat:
    """Renews the lease from its own thread and database connection while a run goes on."""

    def __init__(self, db_path, holder: str, every: timedelta, *, lost: threading.Event,
                 clock: Callable[[], datetime] = utcnow, lease: timedelta = LEASE) -> None:
        self.db_path, self.holder, self.every, self.clock, self.lease = db_path, holder, every, clock, lease
        self.lost = lost  # set when another watcher took the lease: the run stops
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="watch-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        db = open_database(self.db_path)
        try:
            while not self._stop.wait(heartbeat_every(self.lease).total_seconds()):
                if not try_lease(db, self.holder, now=self.clock(), every=self.every, lease=self.lease):
                    self.lost.set()  # another watcher took over: stop after this batch
                    return
        finally:
            db.close()
