"""Status reports, as CSV or as a printable HTML page (A4): each connection's status, last OK,
uptime over 30 days (by time) and what to do. The report of every connection is the agency's;
the report of one client is written for that client to read."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .advice import what_to_do
from .i18n import Speech
from .models import Connection, Outcome, Uptime
from .neutralise import for_spreadsheet
from .overview import worst_first

COLUMNS = ["connection", "client", "account", "status", "last_ok", "uptime_30_days", "what_to_do"]


MIN_HISTORY = timedelta(days=1)  # watched for less than this, a percentage means nothing


def counted(number: int, noun: str) -> str:
    """'1 connection', '3 connections', 'no connections'."""
    return f"{number or 'no'} {noun}{'' if number == 1 else 's'}"


def uptime_text(uptime: Uptime, say: Speech | None = None) -> str:
    """The share of the time watched that the connection worked, once it was watched for a
    day: before that (two minutes after connecting, say) a percentage would mislead."""
    if uptime.observed_seconds < MIN_HISTORY.total_seconds():
        return say("not enough history yet") if say else "not enough history yet"
    share = uptime.valid_seconds / uptime.observed_seconds
    if say is None:
        return f"{share:.1%}"
    from babel.numbers import format_percent

    return format_percent(share, "#,##0.0%", locale=say.language)


PERIOD = timedelta(days=30)


def for_the_client(c: Connection, *, agency: str, link: str = "", say: Speech | None = None) -> str:
    """What a client reads about one of its connections, in its language: what it means for them,
    and the one thing they can do (give access again, from `link`); the rest is the agency's job."""
    say = say or Speech("en")
    words = c.status.words
    template = words.client_with_link if link and words.client_with_link else words.client_words
    return say(template, us=agency or say("your agency"), link=link) if template else ""


@dataclass(frozen=True)
class ReportRow:
    connection: Connection
    uptime: Uptime  # over the report's period
    what_to_do: str
    link: str = ""  # a reconnect link for the client, when one was made for this report
    link_until: str = ""  # until when it works (stored time)

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
    say: Speech = field(default_factory=lambda: Speech("en"))  # a client's: its language, COPERNICA_TIMEZONE

    @property
    def since(self) -> datetime:
        return self.generated_at - PERIOD

    @property
    def columns(self) -> list[str]:
        return [c for c in COLUMNS if self.client is None or c != "client"] + (
            ["reconnect_link"] if any(r.link for r in self.rows) else [])


def make(connections: list[Connection], uptimes: dict[int, Uptime], *, client: str | None, generated_at: datetime,
         agency: str = "", agency_contact: str = "", links: dict[int, tuple[str, str]] | None = None,
         say: Speech | None = None) -> Report:
    """The report of these connections, worst first; for one client (`client`), in its words and
    language (`say`), with `links` (reconnect link and until when, by connection) where the
    access stopped working."""
    links, say = links or {}, say or Speech("en")
    return Report([ReportRow(c, uptimes.get(c.id, Uptime()),
                             for_the_client(c, agency=agency, link=links.get(c.id, ("", ""))[0], say=say)
                             if client is not None
                             else what_to_do(c, may_fix=True),  # the agency's report: for whoever runs the dashboard
                             *links.get(c.id, ("", ""))) for c in worst_first(connections)],
                  client, generated_at, agency, agency_contact, say if client is not None else Speech("en"))


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


def as_html(report: Report) -> str:
    """A self-contained page (no outside resources) that prints on A4 and reads on a phone (each
    connection a block of its own below 700 px). A client's report is in its language, with its
    times in COPERNICA_TIMEZONE, and says until when each reconnect link works."""
    e, say = html.escape, report.say
    client, show_client = report.client, report.client is None
    working = sum(r.connection.status is Outcome.VALID for r in report.rows)
    if client is None:
        title, meta = "Copernica connections", ""
        headers = ["Connection", "Client", "Copernica account", "Status", "Last OK", "Uptime, 30 days", "What to do"]
        summary = (f"{working} of {len(report.rows)} working · period {say.date(report.since)} – "
                   f"{say.date(report.generated_at)} · made {say.moment(report.generated_at)}")
    else:
        title = say("Copernica connections of {client}", client=client)
        by = (say("Prepared by {agency} for {client}", agency=report.agency, client=client) if report.agency
              else say("Prepared for {client}", client=client))
        questions = " · " + say("questions: {contact}", contact=report.agency_contact) if report.agency_contact else ""
        meta = f'<p class="meta">{e(by + questions)}</p>'
        headers = [say("Connection"), say("Copernica account"), say("Status"), say("Last OK"), say("Uptime, 30 days"),
                   say("What it means")]
        summary = say("{working} of {total} working · period {start} – {end} · made {made}", working=working,
                      total=len(report.rows), start=say.date(report.since), end=say.date(report.generated_at),
                      made=say.moment(report.generated_at))

    def what(r: ReportRow) -> str:
        if not r.link:
            return e(r.what_to_do)
        words = r.what_to_do[:-len(r.link)].rstrip(": ")
        until = say("This link works once, until {until}.", until=say.moment(r.link_until)) if r.link_until else ""
        return f'{e(words)}:<br><a href="{e(r.link)}">{e(r.link)}</a><br><span class="meta">{e(until)}</span>'

    def status(c: Connection) -> str:  # a client reads its own words, the agency the badge's
        return c.status.words.label if show_client else say(c.status.words.client_label)

    def last_ok(c: Connection) -> str:
        return say.moment(c.last_ok_at) if c.last_ok_at else (say("never") if not show_client else "never")

    def cell(header: str, content: str) -> str:
        return f'<td data-label="{e(header)}">{content}</td>'

    rows = []
    for r in report.rows:
        c = r.connection
        cells = [e(c.label), *([e(c.client)] if show_client else []), e(_account(c)),
                 f'<span style="color:{c.status.words.printed};font-weight:600">{e(status(c))}</span>',
                 e(last_ok(c)), e(uptime_text(r.uptime, None if show_client else say)), what(r)]
        rows.append("<tr>" + "".join(cell(h, v) for h, v in zip(headers, cells, strict=True)) + "</tr>")
    body = "\n".join(rows)
    return f"""<!doctype html>
<html lang="{say.language}"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
@page {{ size: A4; margin: 14mm 12mm; }}
body {{ font-family: system-ui, sans-serif; color: #1f2328; margin: 2rem; }}
h1 {{ font-size: 1.4rem; margin-bottom: .2rem; }} .meta {{ color: #57606a; margin: 0 0 .3rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; margin-top: 1rem; }}
th, td {{ text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }}
td {{ overflow-wrap: anywhere; }}
th {{ background: #f6f8fa; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; }}
@media screen and (max-width: 700px) {{
  body {{ margin: 1rem; }}
  table, tbody, tr, td {{ display: block; width: auto; }}
  thead {{ display: none; }}
  tr {{ border: 1px solid #d0d7de; border-radius: 8px; margin: 0 0 1rem; padding: .3rem .2rem; }}
  td {{ border: none; padding: .25rem .6rem; }}
  td::before {{ content: attr(data-label); display: block; color: #57606a; font-size: .8rem; }}
}}
@media print {{ body {{ margin: 0; font-size: 10pt; }} table {{ font-size: 9pt; }} a {{ color: inherit; }} }}
</style></head><body>
<h1>{e(title)}</h1>
{meta}
<p class="meta">{e(summary)}</p>
<table><thead><tr>{"".join(f"<th>{e(h)}</th>" for h in headers)}</tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""
