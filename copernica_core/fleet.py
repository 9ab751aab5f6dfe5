"""Checking many connections at once (DESIGN §9): bounded pool, retries, progress, cancel."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from .config import Settings
from .copernica import CopernicaClient
from .inspection import CachedJwt, inspect_token
from .models import CheckResult
from .store import TokenRow

MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
FLUSH_EVERY = 25
FLUSH_SECONDS = 0.25


@dataclass(frozen=True)
class Checked:
    """One connection's finished check."""

    connection_id: int
    label: str
    result: CheckResult
    new_jwt: CachedJwt | None
    checked_at: datetime
    attempts: int


Progress = Callable[[int, int, Checked], None]
Writer = Callable[[list[Checked]], None]


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, never shorter than the server's Retry-After."""
    delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
    return min(BACKOFF_CAP, max(delay, retry_after or 0.0))


class _Workers:
    """One Copernica client (and so one HTTP session) per worker thread."""

    def __init__(self, settings: Settings, client_factory: Callable[[Settings], CopernicaClient]):
        self._local = threading.local()
        self._settings, self._factory = settings, client_factory
        self._clients: list[CopernicaClient] = []
        self._lock = threading.Lock()

    def client(self) -> CopernicaClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._factory(self._settings)
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.session.close()


def _check_one(workers: _Workers, row: TokenRow, cancel: threading.Event, max_attempts: int) -> Checked:
    cached = row.cached_jwt
    new_jwt = None
    for attempt in range(max_attempts):
        inspection = inspect_token(workers.client(), row.token, expected_account_id=row.account_id,
                                   cached_jwt=cached)
        new_jwt = inspection.new_jwt or new_jwt
        cached = new_jwt or cached
        result = inspection.result
        if not result.outcome.retryable or attempt == max_attempts - 1:
            break
        if cancel.wait(backoff_delay(attempt, result.retry_after)):
            break
    return Checked(row.connection_id, row.label, result, new_jwt, datetime.now(UTC), attempt + 1)


def check_many(
    rows: list[TokenRow], *, settings: Settings, write: Writer, concurrency: int | None = None,
    progress: Progress | None = None, cancel: threading.Event | None = None,
    client_factory: Callable[[Settings], CopernicaClient] = CopernicaClient,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[Checked]:
    """Check `rows` concurrently; `write` receives finished checks in small batches as they
    come in, so a run that is stopped or killed keeps what it finished. If `progress` raises
    (Streamlit does so when the user clicks elsewhere), the run stops the same way."""
    cancel = cancel or threading.Event()
    stop = threading.Event()  # ours, so that the caller's event is only ever read
    workers = _Workers(settings, client_factory)
    finished: list[Checked] = []
    unwritten: list[Checked] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if unwritten:
            write(list(unwritten))
            unwritten.clear()
        last_flush = time.monotonic()

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency or settings.concurrency),
                              thread_name_prefix="check")
    pending: set[Future] = set()
    try:
        for row in rows:
            pending.add(pool.submit(_check_one_unless_cancelled, workers, row, stop, max_attempts))
        while pending:
            done, pending = wait(pending, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                checked = future.result()
                if checked is None:
                    continue
                finished.append(checked)
                unwritten.append(checked)
                if progress:
                    progress(len(finished), len(rows), checked)
            if len(unwritten) >= FLUSH_EVERY or time.monotonic() - last_flush >= FLUSH_SECONDS:
                flush()
            if cancel.is_set():
                break
    finally:
        stop.set()
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        for future in pending:
            if future.done() and not future.cancelled() and future.exception() is None:
                checked = future.result()
                if checked is not None:
                    finished.append(checked)
                    unwritten.append(checked)
        flush()
        workers.close()
    return finished


def _check_one_unless_cancelled(
    workers: _Workers, row: TokenRow, cancel: threading.Event, max_attempts: int
) -> Checked | None:
    if cancel.is_set():
        return None
    return _check_one(workers, row, cancel, max_attempts)
