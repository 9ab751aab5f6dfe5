"""A status report a client can read: each connection's status, last OK, uptime over 30
days and what to do, as CSV or as a printable HTML page."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from .advice import what_to_do
from .models import Connection, Outcome, Uptime
from .neutralise import for_spreadsheet
from .overview import worst_first

STATUS_WORDS = {
    Outcome.VALID: "Working", Outcome.INVALID_TOKEN: "Access refused (token revoked or wrong)",
    Outcome.ACCOUNT_CHANGED: "Reaches another account", Outcome.UNAVAILABLE: "Copernica unreachable",
    Outcome.RATE_LIMITED: "Slowed down by Copernica", Outcome.UNEXPECTED: "Unexpected answer",
    Outcome.UNCHECKED: "Not checked yet",
}
_COLOURS = {Outcome.VALID: "#1a7f37", Outcome.INVALID_TOKEN: "#cf222e", Outcome.ACCOUNT_CHANGED: "#cf222e",
            Outcome.UNAVAILABLE: "#bc4c00", Outcome.RATE_LIMITED: "#9a6700", Outcome.UNEXPECTED: "#8250df",
            Outcome.UNCHECKED: "#57606a"}
COLUMNS = ["connection", "client", "account", "status", "last_ok", "uptime_30_days", "what_to_do"]


MIN_HISTORY = timedelta(days=1)  # watched for less than this, a percentage means nothing


def counted(number: int, noun: str) -> str:
    """'1 connection', '3 connections', 'no connections'."""
    return f"{number or 'no'} {noun}{'' if number == 1 else 's'}"


def uptime_text(uptime: Uptime) -> str:
    """The share of the time watched that the connection worked, once it was watched for a
    day: before that (two minutes after connecting, say) a percentage would mislead."""
    if uptime.observed_seconds < MIN_HISTORY.total_seconds():
        return "not enough history yet"
    return f"{uptime.valid_seconds / uptime.observed_seconds:.1%}"


@dataclass(frozen=True)
class ReportRow:
    connection: Connection
    uptime: Uptime  # over 30 days

    @property
    def uptime_text(self) -> str:
        return uptime_text(self.uptime)

    @property
    def what_to_do(self) -> str:
        return what_to_do(self.connection, may_fix=True)  # the report's reader is whoever runs the dashboard


def rows(connections: list[Connection], uptimes: dict[int, Uptime]) -> list[ReportRow]:
    return [ReportRow(c, uptimes.get(c.id, Uptime())) for c in worst_first(connections)]


def _account(c: Connection) -> str:
    return f"{c.account.name} ({c.account.id})" if c.account.name else c.account.id


def as_csv(report: list[ReportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in report:
        c = r.connection
        writer.writerow([for_spreadsheet(v) for v in (
            c.label, c.client, _account(c), c.outcome.value, c.last_ok_at or "", r.uptime_text, r.what_to_do)])
    return out.getvalue()


def as_html(report: list[ReportRow], *, client: str | None, generated_at: datetime) -> str:
    """A self-contained page (no outside resources) that prints well."""
    e = html.escape
    title = f"Copernica connections of {client}" if client else "Copernica connections"
    working = sum(r.connection.outcome is Outcome.VALID for r in report)
    body = "\n".join(
        f"<tr><td>{e(r.connection.label)}</td><td>{e(r.connection.client)}</td><td>{e(_account(r.connection))}</td>"
        f'<td><span style="color:{_COLOURS[r.connection.outcome]};font-weight:600">'
        f"{e(STATUS_WORDS[r.connection.outcome])}</span></td>"
        f"<td>{e((r.connection.last_ok_at or 'never')[:16].replace('T', ' '))}</td>"
        f"<td>{e(r.uptime_text)}</td><td>{e(r.what_to_do)}</td></tr>" for r in report)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; color: #1f2328; margin: 2rem; }}
h1 {{ font-size: 1.4rem; margin-bottom: .2rem; }} p.meta {{ color: #57606a; margin-top: 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
th, td {{ text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }}
th {{ background: #f6f8fa; }}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>{e(title)}</h1>
<p class="meta">{working} of {len(report)} working · {e(generated_at.strftime("%d %B %Y, %H:%M UTC"))}</p>
<table><thead><tr><th>Connection</th><th>Client</th><th>Copernica account</th><th>Status</th>
<th>Last OK (UTC)</th><th>Uptime, 30 days</th><th>What to do</th></tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""
