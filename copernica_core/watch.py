"""The watcher: check every connection on a schedule, then tell people what changed
(docs/architecture.md, "Watching and alerts").

One watcher per database: a lease row in SQLite (holder, expiry) that the active watcher
renews from a heartbeat thread. Another `watch` on the same database waits as a standby
and takes over once the lease has expired (its holder was killed). Runs are scheduled from
the last run's start, stored in the same row, so a standby that takes over never checks
twice in one period: calls are billed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from . import heartbeat
from .access import Action
from .clock import iso, parse_iso_or_none, utcnow
from .errors import Busy, DatabaseFault, LeaseLost
from .models import Outcome, StatusChange
from .secret import Secret
from .store import DATABASE_ERRORS, immediate, open_database
from .store import lease as store_lease
from .store.engine import Database

log = logging.getLogger(__name__)

# The lease outlives a missed heartbeat or two, not more: a killed watcher's standby takes
# over within the lease of its last heartbeat (COPERNICA_WATCH_LEASE; tests shorten it).
LEASE = timedelta(seconds=10)


STOPPED_AFTER = 2  # intervals without a run before scheduled checks count as stopped


def duration_words(span: timedelta) -> str:
    """'47 min', '3 h', '20 s': a span, rounded to its largest unit."""
    seconds = span.total_seconds()
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{max(seconds, 1):.0f} s"


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

    @property
    def last_run_at(self) -> datetime | None:
        """When the last scheduled run started or finished, whichever is later."""
        times = [t for t in (self.last_run_started_at, self.last_run_finished_at) if t is not None]
        return max(times) if times else None

    def stopped_for(self, now: datetime) -> timedelta | None:
        """How long scheduled checks have not run, once that is more than two intervals (a
        watcher ran before, and has stopped or is stuck, whatever its lease says); None while
        they go on or when no watcher ever ran."""
        last = self.last_run_at
        if self.every is None or last is None or now - last <= STOPPED_AFTER * self.every:
            return None
        return now - last

    @property
    def last_watcher(self) -> str:
        """'pid 4121 on host x' for the last holder of the lease."""
        if not self.holder:
            return ""
        host, _, rest = self.holder.partition(":")
        pid = rest.partition(":")[0]
        return f"pid {pid} on host {host}" if pid else self.holder



def stopped_message(status: WatcherStatus, *, now: datetime) -> tuple[str, str]:
    """The one message sent when scheduled checks have stopped (title, body)."""
    stopped = status.stopped_for(now)
    who = f"; the last watcher was {status.last_watcher}" if status.last_watcher else ""
    title = f"Copernica Connections: scheduled checks stopped {duration_words(stopped)} ago"
    body = (f"No scheduled check has run since {status.last_run_at:%Y-%m-%d %H:%M} UTC (every "
            f"{duration_words(status.every)}{who}). Statuses are out of date, and until it runs again alerts "
            "come only from checks started by hand or by cron. Start the watcher again "
            "(`python -m copernica_core watch`, or its service).")
    return title, body


def stop_to_tell(db: Database, *, now: datetime) -> WatcherStatus | None:
    """The watcher's status when its checks stopped and nobody has been told of this stop
    yet; marks it told (call inside the transaction that queues the message)."""
    found = status(db, now=now)
    if found.stopped_for(now) is None:
        return None
    if store_lease.stop_told_for(db) == iso(found.last_run_at):
        return None
    store_lease.tell_stop(db, iso(found.last_run_at))
    return found


def status(db: Database, *, now: datetime) -> WatcherStatus:
    row = store_lease.read(db)
    if row is None:
        return WatcherStatus(None, False, None, None, None, "")
    expires = parse_iso_or_none(row["expires_at"])
    every = timedelta(seconds=row["every_seconds"]) if row["every_seconds"] else None
    return WatcherStatus(row["holder"], expires is not None and expires > now, every,
                         parse_iso_or_none(row["last_run_started_at"]),
                         parse_iso_or_none(row["last_run_finished_at"]), row["last_run_summary"])


def try_lease(db: Database, holder: str, *, now: datetime, every: timedelta,
              lease: timedelta = LEASE) -> bool:
    """Take or renew the lease: free, expired, or already ours. One transaction."""
    with immediate(db):
        row = store_lease.row(db)
        expires = parse_iso_or_none(row["expires_at"])
        if row["holder"] not in (None, holder) and expires is not None and expires > now:
            return False
        store_lease.take(db, holder, expires_at=iso(now + lease), heartbeat_at=iso(now),
                         every_seconds=every.total_seconds())
        return True


def release(db: Database, holder: str) -> None:
    """Give the lease up; the holder stays recorded as the last watcher (for `health`)."""
    with immediate(db):
        store_lease.release(db, holder)


def run_due(db: Database, holder: str, *, now: datetime, every: timedelta) -> bool:
    """Whether a run is due, and if so mark it started (only the lease holder may)."""
    with immediate(db):
        row = store_lease.row(db)
        if row["holder"] != holder:
            return False
        last = parse_iso_or_none(row["last_run_started_at"])
        if last is not None and last <= now and now - last < every:
            return False
        store_lease.run_started(db, iso(now))
        return True


def holds(db: Database, holder: str, *, now: datetime) -> bool:
    """Whether `holder` still holds an unexpired lease; call inside the transaction whose
    writes it fences."""
    found = store_lease.holder_and_expiry(db)
    return lease_holds(found, holder, now=now)


def holder_gone(holder: str | None) -> bool:
    """Whether a lease's holder was a process on this machine that no longer exists (killed, so
    its lease runs out by itself only later). A holder on another host, or a live pid, is not."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def lease_holds(found: tuple[str | None, str | None] | None, holder: str | None, *, now: datetime) -> bool:
    """Whether a lease row (`holder_and_expiry`) is `holder`'s (anyone's, for None) and unexpired."""
    return bool(found) and found[0] is not None and holder in (None, found[0]) and (
        parse_iso_or_none(found[1]) or now) > now


def ensure_holds(db: Database, holder: str | None, *, now: datetime) -> None:
    """Fence a write: a watcher (holder) that lost its lease writes and sends nothing more."""
    if holder is not None and not holds(db, holder, now=now):
        raise LeaseLost("another watcher took over this database's schedule")


def run_finished(db: Database, *, now: datetime, summary: str, holder: str) -> None:
    with immediate(db):
        ensure_holds(db, holder, now=now)
        store_lease.run_finished(db, iso(now), summary)


@dataclass(frozen=True)
class WatchRun:
    """One scheduled run: what the checks found, and what the alert rules sent."""

    outcomes: list[Outcome]
    alerts: Any  # messages.AlertReport
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

    def __init__(self, database, holder: str, every: timedelta, *, lost: threading.Event,
                 clock: Callable[[], datetime] = utcnow, lease: timedelta = LEASE) -> None:
        self.database, self.holder, self.every, self.clock, self.lease = database, holder, every, clock, lease
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
        """Renew until stopped. A database that does not answer (PostgreSQL restarting) is
        tried again at the next beat: if the lease ran out meanwhile, the fence stops the run."""
        db = None
        try:
            while not self._stop.wait(heartbeat_every(self.lease).total_seconds()):
                try:
                    db = db or open_database(self.database)
                    if not try_lease(db, self.holder, now=self.clock(), every=self.every, lease=self.lease):
                        self.lost.set()  # another watcher took over: stop after this batch
                        return
                except DATABASE_ERRORS:
                    continue
        finally:
            if db is not None:
                db.close()


# A heartbeat ping ends after this long whatever the monitor does; it runs beside the
# schedule, never in its way.
HEARTBEAT_LIMIT = 10.0


def ping(url: Secret, *, failed: bool, fail_url: Secret | None = None) -> str:
    """GET the monitor's push URL after a run, in that monitor's convention (heartbeat.py:
    healthchecks.io's `/fail`, Uptime Kuma's `status=down`, Cronitor's `state=fail`, or
    COPERNICA_HEARTBEAT_FAIL_URL); '' when it answered 2xx and its answer says it recorded the
    ping, else why not, naming the monitor by its host only (its path is its key)."""
    from .api import new_http_session, send

    target = heartbeat.address(url, failed=failed, fail_url=fail_url)
    host = urlsplit(target).hostname
    with new_http_session() as session:
        answer = send(session, "GET", target, timeout=HEARTBEAT_LIMIT)
    if answer.status is None:
        reason = answer.failure.detail if answer.failure else "no answer"
        return f"the heartbeat monitor ({host}) could not be reached within {HEARTBEAT_LIMIT:g} s ({reason})"
    if not 200 <= answer.status < 300:
        return f"the heartbeat monitor ({host}) answered HTTP {answer.status}"
    if not heartbeat.recorded(target, answer.text):
        return (f"the heartbeat monitor ({host}) answered, but not that it recorded the ping: check "
                "COPERNICA_HEARTBEAT_URL against the push address the monitor gives")
    return ""


def ping_beside(url: Secret, *, failed: bool, on_problem: Callable[[str], None],
                fail_url: Secret | None = None) -> threading.Thread | None:
    """`ping` from its own thread (join it to wait, as a one-off run does before it exits)."""
    if not url:
        return None

    def beat() -> None:
        problem = ping(url, failed=failed, fail_url=fail_url)
        if problem:
            on_problem(f"Heartbeat not delivered: {problem}.")

    thread = threading.Thread(target=beat, name="watch-heartbeat-ping", daemon=True)
    thread.start()
    return thread


class Checking(Protocol):
    """What the watcher needs of a workspace (workspace.Workspace): its database, settings,
    clock and acting person, a check of every connection and the alert rules."""

    db: Database
    settings: Any
    actor: Any

    def clock(self) -> datetime: ...

    def check(self, ids: list[int] | None = None, *, cancel: threading.Event | None = None) -> Any: ...

    def apply_alert_rules(self, *, holder: str | None = None) -> Any: ...


class Watcher:
    """The watcher's loop over a workspace: the lease, the schedule, the heartbeat and the runs.
    Each run checks every connection and applies the alert rules through the workspace, so the
    acting person's right to check is checked there too."""

    def __init__(self, ws: Checking) -> None:
        ws.actor.ensure(Action.CHECK)
        self.ws = ws
        self.db, self.settings, self.clock = ws.db, ws.settings, ws.clock

    def once(self, *, every: timedelta, cancel: threading.Event | None = None,
             on_note: Callable[[str], None] = log.warning) -> WatchRun:
        """One scheduled run now (cron, systemd timers): check everything, apply the alert
        rules, record the run, ping the heartbeat monitor. Busy when another watcher holds
        the lease."""
        holder = new_holder()
        try:
            leased = try_lease(self.db, holder, now=self.clock(), every=every, lease=self.settings.watch_lease)
        except DATABASE_ERRORS:  # locked, full, away: this run could not check, and the monitor must hear it
            beat = ping_beside(self.settings.heartbeat_url, failed=True, on_problem=on_note,
                               fail_url=self.settings.heartbeat_fail_url)
            if beat:
                beat.join()
            raise
        if not leased:
            raise Busy("another watcher is active on this database; it checks on its own schedule")
        failed = True
        try:
            run = self._scheduled_run(holder, every, cancel or threading.Event())
            failed = False
            return run
        finally:
            release(self.db, holder)
            beat = ping_beside(self.settings.heartbeat_url, failed=failed, on_problem=on_note,
                                fail_url=self.settings.heartbeat_fail_url)
            if beat:
                beat.join()  # this process ends next: the ping must go out first

    def run(self, *, every: timedelta, stop: threading.Event, cancel: threading.Event,
            on_run: Callable[[WatchRun], None], on_note: Callable[[str], None]) -> None:
        """Run on the schedule until `stop` is set, as the one watcher of this database: a
        standby while another holds the lease, taking over when it stops renewing it.
        `cancel` ends a run in progress after the batch in hand. After each run the heartbeat
        monitor (COPERNICA_HEARTBEAT_URL) is pinged; a run the database stopped pings `/fail`
        (at most once per interval) and the watcher goes on."""
        holder, standby, lease = new_holder(), False, self.settings.watch_lease
        last_failure: datetime | None = None
        try:
            while not stop.is_set():
                try:
                    standby = self._step(holder, every, cancel, standby=standby, on_run=on_run, on_note=on_note)
                except DATABASE_ERRORS as error:  # locked for longer than the busy timeout, disk full, PostgreSQL down…
                    now = self.clock()
                    if last_failure is None or now - last_failure >= every:
                        last_failure = now
                        said = (f"{error}" if isinstance(error, DatabaseFault) else
                                f"the database {self.settings.database_name} answered “{error}”")
                        on_note(f"This run could not check: {said}. The watcher goes on and tries again.")
                        ping_beside(self.settings.heartbeat_url, failed=True, on_problem=on_note,
                                fail_url=self.settings.heartbeat_fail_url)
                stop.wait(min(heartbeat_every(lease), every).total_seconds())
        finally:
            release(self.db, holder)

    def _step(self, holder: str, every: timedelta, cancel: threading.Event, *, standby: bool,
              on_run: Callable[[WatchRun], None], on_note: Callable[[str], None]) -> bool:
        """Renew or take the lease and run when due; returns whether this watcher is a standby."""
        if not try_lease(self.db, holder, now=self.clock(), every=every, lease=self.settings.watch_lease):
            if not standby:
                on_note("Standby: another watcher is active on this database; waiting to take over.")
            return True
        if standby:
            on_note("Took over: the other watcher stopped renewing its lease.")
        if run_due(self.db, holder, now=self.clock(), every=every):
            try:
                on_run(self._scheduled_run(holder, every, cancel))
            except LeaseLost:  # paused or too slow: the watcher that took over goes on
                on_note("Lost the lease mid-run (this watcher was paused or too slow); another "
                        "watcher took over, so this one sends nothing and waits as a standby.")
                cancel.clear()
                return True
            ping_beside(self.settings.heartbeat_url, failed=False, on_problem=on_note,
                                fail_url=self.settings.heartbeat_fail_url)
        return False

    def _scheduled_run(self, holder: str, every: timedelta, cancel: threading.Event) -> WatchRun:
        # The heartbeat runs through the checks and the sending: a slow target must not cost the lease.
        with Heartbeat(self.settings.database, holder, every, lost=cancel, clock=self.clock,
                       lease=self.settings.watch_lease):
            run = self.ws.check(cancel=cancel)
            if cancel.is_set():
                ensure_holds(self.db, holder, now=self.clock())  # stopped, or the lease is gone
            report = self.ws.apply_alert_rules(holder=holder)
        finished = WatchRun([c.result.outcome for c in run], report, self.clock(), run.changes)
        run_finished(self.db, now=finished.finished_at, summary=finished.summary, holder=holder)
        return finished
