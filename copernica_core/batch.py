"""Checking many connections at once: bounded pool, retries, progress, cancel."""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .api import CopernicaAPI
from .config import Settings
from .inspection import CachedJwt, inspect_token
from .models import Outcome, StatusChange, Verdict
from .store import TokenRow

log = logging.getLogger("copernica_core")

MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
FLUSH_EVERY = 25
FLUSH_SECONDS = 0.25


@dataclass(frozen=True)
class FinishedCheck:
    """One connection's finished check."""

    connection_id: int
    label: str
    result: Verdict
    new_jwt: CachedJwt | None
    checked_at: datetime
    attempts: int
    drop_jwt: bool = False  # the cached JWT was refused and no fresh one replaces it
    account_id: str = ""  # the stored account, also when the check could not see one


Progress = Callable[[int, int, FinishedCheck], None]
Writer = Callable[[list[FinishedCheck]], None]


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, never shorter than the server's Retry-After."""
    delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
    return min(BACKOFF_CAP, max(delay, retry_after or 0.0))


class _Workers:
    """One CopernicaAPI (and so one HTTP session) per worker thread."""

    def __init__(self, settings: Settings, api_factory: Callable[[Settings], CopernicaAPI]):
        self._local = threading.local()
        self._settings, self._factory = settings, api_factory
        self._apis: list[CopernicaAPI] = []
        self._lock = threading.Lock()

    def api(self) -> CopernicaAPI:
        api = getattr(self._local, "api", None)
        if api is None:
            api = self._local.api = self._factory(self._settings)
            with self._lock:
                self._apis.append(api)
        return api

    def close(self) -> None:
        for api in self._apis:
            api.session.close()


UNREADABLE = Verdict(
    Outcome.UNEXPECTED,
    "The stored access token cannot be decrypted: the database was altered or damaged. Nothing was sent "
    "to Copernica. Re-authorize this connection or paste its token again.",
)


def _check_one(workers: _Workers, row: TokenRow, cancel: threading.Event, max_attempts: int) -> FinishedCheck:
    if row.token is None:
        return FinishedCheck(row.connection_id, row.label, UNREADABLE, None, datetime.now(UTC), 0,
                             account_id=row.account_id)
    cached = row.cached_jwt
    new_jwt, dropped = None, False
    for attempt in range(max_attempts):
        inspection = inspect_token(workers.api(), row.token, expected_account_id=row.account_id,
                                   cached_jwt=cached)
        if inspection.drop_cached_jwt:
            dropped, cached, new_jwt = True, None, None
        if inspection.new_jwt is not None:
            new_jwt = cached = inspection.new_jwt
        result = inspection.result
        if not result.outcome.retryable or attempt == max_attempts - 1:
            break
        if cancel.wait(backoff_delay(attempt, result.retry_after)):
            break
    return FinishedCheck(row.connection_id, row.label, result, new_jwt, datetime.now(UTC), attempt + 1,
                         drop_jwt=dropped and new_jwt is None, account_id=row.account_id)


def check_many(
    rows: list[TokenRow], *, settings: Settings, write: Writer, concurrency: int | None = None,
    progress: Progress | None = None, cancel: threading.Event | None = None,
    api_factory: Callable[[Settings], CopernicaAPI] = CopernicaAPI,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[FinishedCheck]:
    """Check `rows` concurrently; `write` receives finished checks in small batches as they
    come in, so a run that is stopped or killed keeps what it finished. If `progress` raises
    (Streamlit does so when the user clicks elsewhere), the run stops the same way."""
    cancel = cancel or threading.Event()
    stop = threading.Event()  # ours, so that the caller's event is only ever read
    workers = _Workers(settings, api_factory)
    finished: list[FinishedCheck] = []
    unwritten: list[FinishedCheck] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if unwritten:
            write(list(unwritten))
            unwritten.clear()
        last_flush = time.monotonic()

    # Workers hand results over through a queue: waiting on a set of futures would cost
    # O(pending) per wake-up, which a thousand connections turn into seconds.
    done: queue.SimpleQueue[FinishedCheck | None] = queue.SimpleQueue()
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency or settings.concurrency),
                              thread_name_prefix="check")
    futures = [pool.submit(_run_one, workers, row, stop, max_attempts, done) for row in rows]
    received = 0
    try:
        while received < len(rows) and not cancel.is_set():
            try:
                item = done.get(timeout=FLUSH_SECONDS)
            except queue.Empty:
                pass
            else:
                received += 1
                if item is not None:
                    finished.append(item)
                    unwritten.append(item)
                    if progress:
                        progress(len(finished), len(rows), item)
            if len(unwritten) >= FLUSH_EVERY or time.monotonic() - last_flush >= FLUSH_SECONDS:
                flush()
    finally:
        stop.set()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True)
        while not done.empty():  # checks that finished while we were stopping
            item = done.get()
            if isinstance(item, FinishedCheck):
                finished.append(item)
                unwritten.append(item)
        flush()
        workers.close()
    return finished


def _run_one(workers: _Workers, row: TokenRow, stop: threading.Event, max_attempts: int,
             done: queue.SimpleQueue) -> None:
    """Check one row unless stopped. Always reports to `done`: the check, or None when
    skipped. Whatever goes wrong becomes this connection's outcome, never the run's end."""
    try:
        done.put(None if stop.is_set() else _check_one(workers, row, stop, max_attempts))
    except Exception as error:
        log.warning("check of connection %s failed: %s", row.connection_id, type(error).__name__)
        failed = Verdict(Outcome.UNEXPECTED, f"This check could not be completed ({type(error).__name__}).")
        done.put(FinishedCheck(row.connection_id, row.label, failed, None, datetime.now(UTC), 1,
                               account_id=row.account_id))


@dataclass
class CheckRun:
    """What a check of several connections did: each finished check, and each connection's
    status before and after. Iterating it gives the finished checks."""

    finished: list[FinishedCheck]
    changes: list[StatusChange] = field(default_factory=list)

    def __iter__(self) -> Iterator[FinishedCheck]:
        return iter(self.finished)

    def __len__(self) -> int:
        return len(self.finished)
