"""What leaves as a file: a connection's (or every connection's) check history as CSV, streamed
oldest first without holding it in memory, with every cell neutralised for spreadsheets."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import TextIO

from .models import Check
from .neutralise import for_spreadsheet

HISTORY_COLUMNS = ["check_id", "connection_id", "checked_at", "outcome", "http_status",
                   "latency_ms", "account_seen", "detail"]


def write_history_csv(out: TextIO, checks: Iterable[Check], *, labels: Mapping[int, str] | None = None) -> None:
    """`checks` as CSV; with `labels`, each row names its connection."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS[:2] + (["label"] if labels is not None else []) + HISTORY_COLUMNS[2:])
    for c in checks:
        named = [labels.get(c.connection_id, "")] if labels is not None else []
        writer.writerow([for_spreadsheet(v) for v in (
            c.id, c.connection_id, *named, c.checked_at, c.outcome, c.http_status,
            None if c.latency_ms is None else round(c.latency_ms, 1), c.account_seen, c.detail)])
