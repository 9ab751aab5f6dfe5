"""Status reports, as CSV or as a printable HTML page (A4): each connection's status, last OK,
uptime over 30 days (by time) and what to do. The report of every connection is the agency's;
the report of one client is written for that client to read."""

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


PERIOD = timedelta(days=30)


def for_the_client(c: Connection, *, agency: str, link: str = "") -> str:
    """What a client reads about one of its connections: what it means for them, and the one
    thing they can do (give access again, from `link`); everything else is the agency's job."""
    return c.status.words.for_the_client(us=agency or "your agency", link=link)


@dataclass(frozen=True)
class ReportRow:
    connection: Connection
    uptime: Uptime  # over the report's period
    what_to_do: str
    link: str = ""  # a reconnect link for the client, when one was made for this report

    @property
    def uptime_text(self) -> str:
        return uptime_text(self.uptime)


@dataclass(frozen=True)
class Report:
    """A status report: of every connection for the agency, or written for one client (its
    words, no Client column, the agency's name and contact and the period at the top)."""

    rows: list[ReportRow]
    client: str | None  # None: every connection, for the agency
    generated_at: datetime
    agency: str = ""
    agency_contact: str = ""  # the agency's contact (COPERNICA_CONTACT), for a client's questions

    @property
    def since(self) -> datetime:
        return self.generated_at - PERIOD

    @property
    def columns(self) -> list[str]:
        return [c for c in COLUMNS if self.client is None or c != "client"] + (
            ["reconnect_link"] if any(r.link for r in self.rows) else [])


def make(connections: list[Connection], uptimes: dict[int, Uptime], *, client: str | None, generated_at: datetime,
         agency: str = "", agency_contact: str = "", links: dict[int, str] | None = None) -> Report:
    """The report of these connections, worst first; for one client (`client`), in its words,
    with `links` (reconnect links by connection) where the access stopped working."""
    links = links or {}
    return Report([ReportRow(c, uptimes.get(c.id, Uptime()),
                             for_the_client(c, agency=agency, link=links.get(c.id, "")) if client is not None
                             else what_to_do(c, may_fix=True),  # the agency's report: for whoever runs the dashboard
                             links.get(c.id, "")) for c in worst_first(connections)],
                  client, generated_at, agency, agency_contact)


def _account(c: Connection) -> str:
    return f"{c.account.name} ({c.account.id})" if c.account.name else c.account.id


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.columns)
    for r in report.rows:
        c = r.connection
        values = {"connection": c.label, "client": c.client, "account": _account(c), "status": c.status.value,
                  "last_ok": c.last_ok_at or "", "uptime_30_days": r.uptime_text, "what_to_do": r.what_to_do,
                  "reconnect_link": r.link}
        writer.writerow([for_spreadsheet(values[column]) for column in report.columns])
    return out.getvalue()


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def as_html(report: Report) -> str:
    """A self-contained page (no outside resources) that prints on A4."""
    e = html.escape
    client = report.client
    if client is None:
        title = "Copernica connections"
        meta = ""
    else:
        title = f"Copernica connections of {client}"
        by = f"Prepared by {report.agency}" if report.agency else "Prepared"
        questions = f" · questions: {e(report.agency_contact)}" if report.agency_contact else ""
        meta = f'<p class="meta">{e(by)} for {e(client)}{questions}</p>'
    working = sum(r.connection.status is Outcome.VALID for r in report.rows)
    period = f"{_day(report.since)} – {_day(report.generated_at)}"

    def what(r: ReportRow) -> str:
        if not r.link:
            return e(r.what_to_do)
        words = r.what_to_do[:-len(r.link)].rstrip(": ")
        return f'{e(words)}:<br><a href="{e(r.link)}">{e(r.link)}</a>'

    show_client = client is None

    def status(c: Connection) -> str:  # a client reads its own words, the agency the badge's
        return c.status.words.label if show_client else c.status.words.client_label

    body = "\n".join(
        f"<tr><td>{e(r.connection.label)}</td>" + (f"<td>{e(r.connection.client)}</td>" if show_client else "")
        + f"<td>{e(_account(r.connection))}</td>"
        f'<td><span style="color:{r.connection.status.words.printed};font-weight:600">'
        f"{e(status(r.connection))}</span></td>"
        f"<td>{e((r.connection.last_ok_at or 'never')[:16].replace('T', ' '))}</td>"
        f"<td>{e(r.uptime_text)}</td><td>{what(r)}</td></tr>" for r in report.rows)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
@page {{ size: A4; margin: 14mm 12mm; }}
body {{ font-family: system-ui, sans-serif; color: #1f2328; margin: 2rem; }}
h1 {{ font-size: 1.4rem; margin-bottom: .2rem; }} p.meta {{ color: #57606a; margin: 0 0 .3rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; margin-top: 1rem; }}
th, td {{ text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }}
td {{ overflow-wrap: anywhere; }}
th {{ background: #f6f8fa; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; }}
@media print {{ body {{ margin: 0; font-size: 10pt; }} table {{ font-size: 9pt; }} a {{ color: inherit; }} }}
</style></head><body>
<h1>{e(title)}</h1>
{meta}
<p class="meta">{working} of {len(report.rows)} working · period {e(period)} · made
{e(report.generated_at.strftime("%d %B %Y, %H:%M UTC"))}</p>
<table><thead><tr><th>Connection</th>{"<th>Client</th>" if show_client else ""}<th>Copernica account</th>
<th>Status</th><th>Last OK (UTC)</th><th>Uptime, 30 days</th><th>{"What to do" if show_client else "What it means"}</th>
</tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""
