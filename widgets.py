"""Shared widgets for the pages: the workspace gate, status badges, safe text, pickers."""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
import secrets
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

import signin
from copernica_core import (
    Action,
    Actor,
    BadInput,
    ConfigError,
    NotFound,
    Workspace,
    advice,
    open_workspace,
)
from copernica_core import report as report_module
from copernica_core.access import Role
from copernica_core.clock import parse_iso_or_none
from copernica_core.config import load_settings
from copernica_core.doorstep import Doorstep
from copernica_core.errors import Forbidden
from copernica_core.models import Connection, Outcome
from copernica_core.oauth import AuthorizationResult
from copernica_core.secret import scrub
from copernica_core.store import connect_links
from copernica_core.vocabulary import VOCABULARY, words
from copernica_core.watch import duration_words

# The statuses in the order a reader meets them in a filter or a legend (vocabulary.py holds their words).
STATUSES = [Outcome(status) for status in VOCABULARY]
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# Streamlit's renderer links bare URLs, "www." and e-mail addresses, and draws :material/…:
# icons, in the text that remains once escapes are resolved, so a backslash cannot stop them:
# an invisible word joiner (U+2060) after the colon, "www" or "@" does.
_AUTOLINKED = re.compile(r"(?i):(?=[a-z/])|@(?=\w)|\bwww(?=\.)")
WORD_JOINER = "\u2060"


def text(value: object) -> str:
    """Escape `value` for any element that renders markdown: what users and Copernica
    typed is shown as text, never as links, images, icons, colours or HTML."""
    joined = _AUTOLINKED.sub(lambda found: found.group() + WORD_JOINER, str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", joined)


_navigation_forced = False


def _use_navigation() -> None:
    """Right after start-up Streamlit runs a deep link (such as Copernica's redirect to
    /authorize) as a legacy page from pages/, without dashboard.py (upstream issue 9992).
    Switch to st.navigation and run again, once per process: the query parameters are kept.
    (AppTest resets the flag before every run; those runs use the page on its own.)"""
    global _navigation_forced
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not _navigation_forced:
        _navigation_forced = True
        PagesManager.uses_pages_directory = False
        st.rerun()


def no_outside_lookups() -> None:
    """Streamlit checks a WebSocket from an origin other than its own (a proxy that rewrites
    Host, another site's page) against "this machine's external address", which it asks an
    outside service for (checkip.amazonaws.com), again at every connection while that fails.
    Give it an answer that allows nothing new (127.0.0.1 is always allowed), so the dashboard
    never reaches outside this machine. Uses an internal Streamlit variable: recheck on every
    Streamlit upgrade (tests/e2e/test_deployment.py watches for outside requests)."""
    from streamlit import net_util

    net_util._external_ip = "127.0.0.1"


_this_run = threading.local()  # Streamlit runs each session's script in a thread of its own


def open_for_this_run() -> Workspace:
    """The workspace of this script run, opened on first use (widget callbacks run before
    the script: they get it here too), closed by dashboard.py when the run ends (or by `live`
    after a rerun of its part alone); or a plain explanation and a stopped page."""
    if (ws := getattr(_this_run, "workspace", None)) is not None:
        return ws
    try:
        settings = load_settings()
        link_actor = _connect_link_visitor(settings)  # a client with a connect link, or its redirect back
        starter = None if link_actor else signin.callback_starter(settings)  # the sign-in cookie lost on the way
        ws = Workspace(settings, actor=link_actor or starter or signin.acting_person(settings))
        _this_run.callback_only = starter is not None or (link_actor is not None and "state" in st.query_params)
    except ConfigError as error:
        st.error(f"**The dashboard cannot start:** {text(error)}", icon=":material/error:")
        st.caption("Fix the setting named above (environment variable or .streamlit/secrets.toml), "
                   "then reload this page.")
        st.stop()
    _this_run.workspace = ws
    return ws


def _connect_link_visitor(settings) -> Actor | None:
    """A client who opened a connect link (`/?invite=…`), or who comes back from
    Copernica with the state of that link's authorization: acting as that link only, whoever
    is signed in (or not). The link found is kept for the page (`link_visit`)."""
    _this_run.link = None
    invite, state = st.query_params.get("invite"), st.query_params.get("state")
    if not invite and not state:
        return None
    with Doorstep(settings) as lookup:
        if invite:
            _this_run.link = lookup.link(invite)
            return Actor.client_link(_this_run.link.actor if not isinstance(_this_run.link, str)
                                     else connect_links.LINK_ACTOR)
        who = lookup.link_of_state(state)
        return Actor.client_link(who) if who else None


def nothing_here() -> None:
    """The default page while only Copernica's redirect may be completed: shows nothing."""
    st.title("Copernica Connections")
    st.caption("Nothing to see here. You can close this page.")


def link_visit():
    """The connect link this run was opened with (an ConnectLink), or why it cannot be used."""
    return getattr(_this_run, "link", None)


def is_link_visit() -> bool:
    ws = getattr(_this_run, "workspace", None)
    return ws is not None and ws.actor.role is Role.CLIENT_LINK


def close_this_run() -> None:
    ws = getattr(_this_run, "workspace", None)
    _this_run.workspace = None
    _this_run.callback_only = False
    if ws is not None:
        ws.close()


def live(body: Callable[[Workspace], None], *, every: timedelta) -> None:
    """Draw `body` now, and again every `every` from the database, without rerunning the page
    (st.fragment): what is typed or picked inside it is kept. The page's workspace is closed
    once its script run ends, so each timed rerun opens one of its own, for the same person
    (a person whose access ended meanwhile gets the whole page again, which refuses them)."""

    @st.fragment(run_every=every)
    def part() -> None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        context = get_script_run_ctx()
        alone = bool(context and context.fragment_ids_this_run)  # a rerun of this part only: dashboard.py did not run
        try:
            body(open_for_this_run())  # (a widget callback of this part may have opened it already)
        except Forbidden:
            st.rerun(scope="app")
        except Exception as error:  # the page's own last resort does not cover a timed rerun
            unexpected_error(error)
        finally:
            if alone:
                close_this_run()

    part()


def workspace() -> Workspace:
    """The workspace of this script run, for a page and its widget callbacks."""
    _use_navigation()
    return open_for_this_run()


def is_callback_only() -> bool:
    """Whether this run only completes Copernica's redirect for its starter (see
    `signin.callback_starter`)."""
    return getattr(_this_run, "callback_only", False)


def require(action: Action, what: str) -> None:
    """On a page that needs more than the acting person's role: a refusal, and stop (the
    core would refuse the operations anyway)."""
    ws = workspace()
    if not ws.may(action):
        st.title(what)
        st.error(f"**Only admins can use this page.** You are signed in as {text(ws.actor.who)} "
                 f"({ws.actor.role}).", icon=":material/block:")
        st.page_link("pages/overview.py", label="Back to the Overview", icon=":material/dashboard:")
        st.stop()


# Built with DOM calls, not markup: the sanitiser drops a script whose text looks like HTML.
_FRAME_GUARD = """<script>
if (window.top !== window.self) {
  const title = document.createElement("h1");
  title.textContent = "Copernica Connections";
  const note = document.createElement("p");
  note.textContent = "This dashboard cannot be shown inside another site. Open it in its own tab.";
  document.body.replaceChildren(title, note);
  document.body.style.cssText = "font-family: sans-serif; padding: 2em";
}
</script>"""


def refuse_framing() -> None:
    """Streamlit sets no X-Frame-Options header, so the page itself refuses to run inside a
    frame: another site must not be able to make a user click Reveal or Disconnect."""
    st.html(_FRAME_GUARD, unsafe_allow_javascript=True)


def status_label(status: str) -> str:
    return words(status).label


MAX_ALERTS = 8


def alert_list(alerts, *, ws: Workspace | None = None, may_fix: bool, ask: str = advice.ANY_ADMIN) -> None:
    """Broken connections, worst first, each opening its connection, with what this reader
    can do about it (with `ws`: the reconnect link sent to the client, and for an admin a
    button that makes one). An account that changed is never hidden behind "and N more":
    beyond the first few they are listed compactly, in one element (a box per alert costs the
    browser about 10 ms)."""
    sent = ws.reconnect_links_sent() if ws is not None and alerts else {}
    for alert in alerts[:MAX_ALERTS]:
        conn = alert.connection
        with st.container(border=True):
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):  # badge beside its label
                status_badge(conn.status)
                st.page_link("pages/inspect.py", label=text(conn.label + (f" · client {conn.client}" if conn.client
                                                                          else "")),
                             query_params={"connection": str(conn.id)})
            st.caption(text(f"{alert.reason} {advice.what_to_do(conn, may_fix=may_fix, ask=ask)}"))
            if conn.id in sent:
                link_sent_note(sent[conn.id])
            if ws is not None and may_fix and conn.application_id is not None and conn.outcome.needs_a_person:
                reconnect_link_button(ws, conn, key=f"alert_link_{conn.id}", type="tertiary")
    rest = alerts[MAX_ALERTS:]
    changed = [a.connection for a in rest if a.connection.outcome is Outcome.ACCOUNT_CHANGED]
    if changed:
        links = " · ".join(f'<a href="inspect?connection={c.id}">{html.escape(c.label)}</a>' for c in changed)
        with st.container(border=True):
            status_badge(Outcome.ACCOUNT_CHANGED.value)
            st.markdown(f"**{len(changed)} more connections now reach another Copernica account.** Stop using "
                        "them and " + ("re-authorize the right accounts:" if may_fix else
                                       f"ask {text(ask)} to re-authorize the right accounts:"))
            st.html(f'<div style="line-height: 1.8">{links}</div>')  # HTML, not markdown: labels stay text
    if len(rest) > len(changed):
        st.caption(f"…and {len(rest) - len(changed)} more: the table below lists them first.")


def link_sent_note(link: connect_links.ConnectLink) -> None:
    """A reconnect link sent to the client's contact, and whether the client used it."""
    now = datetime.now(UTC)
    if link.used_at:
        where = f"used {ago(link.used_at)}"
    elif link.refusal(now):
        where = link.state(now)
    else:
        where = "not used yet"
    st.caption(text(f"Reconnect link sent to {link.sent_to} {ago(link.created_at)}, {where}."),
               help="Sent because the client asked to hear when one of its tokens stops working "
                    "(Overview → pick the client → Contact).")


def reconnect_link_button(ws: Workspace, conn: Connection, *, key: str, type: str = "secondary") -> None:
    """ "Make a link for the client": the link that renews this connection (its one open link,
    shown again while it is open), kept on screen through timed reruns."""
    if st.button("Make a link for the client", icon=":material/share:", key=key, type=type,
                 help="For when someone else can log in to this Copernica account: they open the link, "
                      "without an account here, and give access again. It works once, for 7 days; while it is "
                      "open, this shows the same link again."):
        try:
            st.session_state["made_link"] = (conn.id, ws.invite(connection_id=conn.id)[0])
        except BadInput as refused:
            st.error(text(refused.message), icon=":material/error:")
    if (made := st.session_state.get("made_link")) and made[0] == conn.id:
        st.code(made[1], language=None)
        st.caption(text(f"Send this to whoever can log in to Copernica account {conn.account.name or ''} "
                        f"({conn.account.id}). It works once; it is withdrawn when the connection works again."))


def connections_table(shown: list[Connection]) -> pd.DataFrame:
    """The Overview's rows: the account is named only where the label does not already say it."""
    return pd.DataFrame([{
        "Status": [status_label(c.status)], "Label": c.label, "Client": c.client,
        "Account": (c.account.id if c.account.name in ("", c.label) else f"{c.account.name} · {c.account.id}"),
        "Last checked": as_datetime(c.last_checked_at), "Last OK": as_datetime(c.last_ok_at),
    } for c in shown])


def show_connections_table(table: pd.DataFrame) -> list[int]:
    """The table, tall enough for 20 rows without scrolling inside it; returns the selected rows."""
    height = min(len(table), 20) * 35 + 38
    event = st.dataframe(table, hide_index=True, width="stretch", height=height, on_select="rerun",
                         selection_mode="multi-row", key="connections_table", column_config={
                             "Status": st.column_config.MultiselectColumn(
                                 width=130, options=[words(s).label for s in STATUSES],
                                 color=[words(s).colour for s in STATUSES]),
                             "Label": st.column_config.TextColumn(width=230),  # whole at 1280 px
                             "Client": st.column_config.TextColumn(width=130),
                             "Account": st.column_config.TextColumn(width=110),
                             "Last checked": st.column_config.DatetimeColumn(format="distance", width=105),
                             "Last OK": st.column_config.DatetimeColumn(format="distance", width=105),
                         })
    return list(event.selection.rows)


def report_downloads(ws: Workspace, clients: list[str]) -> None:
    """The status report of the chosen client (or of everything) as CSV and printable HTML,
    made when clicked (a report reads 30 days of checks)."""
    client = clients[0] if len(clients) == 1 else None
    actor = ws.actor

    def made(render) -> str:  # runs after this script run's workspace was closed: its own
        workspace = open_workspace(actor=actor)
        try:
            return render(workspace.report(client=client))
        finally:
            workspace.close()

    name = f"copernica-status-{(client or 'all').replace(' ', '-').lower()}"
    left, right, _ = st.columns([1, 1, 1])
    left.download_button("Report (CSV)", lambda: made(report_module.as_csv),
                         file_name=f"{name}.csv", mime="text/csv", icon=":material/download:", width="stretch",
                         on_click="ignore")  # no rerun: the page stays as it is while the file comes
    right.download_button("Report (printable)", lambda: made(report_module.as_html), file_name=f"{name}.html",
                          mime="text/html", icon=":material/print:", width="stretch", on_click="ignore")
    # Below the buttons: a page's parts arrive in order, so once this says which client, the
    # buttons hold that client's report (a click on a button of the run before fails).
    st.caption(f"Status report written for {text(client or '(no client)')}, in its words" if client is not None else
               "Status report of every connection" + (" (pick one client for a report written for it)"
                                                        if len(clients) > 1 else ""))


def status_badge(status: str) -> None:
    said = words(status)
    st.badge(said.label, color=said.colour, icon=said.icon)


def ago(moment: str | datetime | None) -> str:
    """'3 min ago', or 'in 23 h' for a time ahead (a cached JWT's expiry), for a stored
    timestamp (or a datetime); 'just now' within a minute; 'never' for none."""
    when = moment if isinstance(moment, datetime) else parse_iso_or_none(moment)
    if when is None:
        return "never"
    seconds = (datetime.now(UTC) - when).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            count = int(abs(seconds) // size)
            return f"{count} {unit} ago" if seconds > 0 else f"in {count} {unit}"
    return "just now"


def when(moment: str | datetime | None) -> str:
    """'3 min ago (1 Dec 2026, 11:20 UTC)', or 'never'."""
    at = moment if isinstance(moment, datetime) else parse_iso_or_none(moment)
    if at is None:
        return "never"
    return f"{ago(at)} ({at.astimezone(UTC):%-d %b %Y, %H:%M} UTC)"


def person(who: str) -> str:
    """Who did something, as a person reads it: the address of the signed-in person, or what
    acted without sign-in."""
    if who == Actor.local_dashboard().who:
        return "Dashboard user (no sign-in)"
    if who == "cli" or who.startswith("cli:"):
        return f"Command line ({who[4:]})" if who[4:] else "Command line"
    if who == "demo":
        return "Demo set-up"
    return who


def as_datetime(moment: str | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime, for tables and charts."""
    return parse_iso_or_none(moment)


def field_error(rejected: BadInput | None, name: str) -> None:
    """The message for one field, shown right under it."""
    if rejected and name in rejected.errors:
        st.error(text(rejected.errors[name]), icon=":material/error:")


def connection_name(c: Connection) -> str:
    account = c.account.name or f"account {c.account.id}"
    return c.label if c.label == account else f"{c.label} · {account}"


def connection_from_query(name: str) -> Connection | None:
    """The connection whose id is in the query parameter `name`, if it exists."""
    wanted = st.query_params.get(name)
    if not wanted or not re.fullmatch(r"[0-9]{1,18}", wanted):
        return None
    try:
        return workspace().connection(int(wanted))
    except NotFound:
        return None


PICK_FROM_LIST = 300  # above this many connections, one is found by search, not in a list of them all


def connection_picker(ws: Workspace, *, key: str) -> Connection | None:
    """The connection to show: preselected from `?connection=ID`, chosen from a select box of
    every connection in a small fleet, found by search in a large one (what the page loads
    stays that of one connection, at 10 or 10,000)."""
    wanted = st.query_params.get("connection")
    wanted = int(wanted) if wanted and re.fullmatch(r"[0-9]{1,18}", wanted) else None
    if ws.connection_count() <= PICK_FROM_LIST:
        connections = ws.connections()
        if not connections:
            return None
        by_id = {c.id: c for c in connections}
        index = list(by_id).index(wanted) if wanted in by_id else 0
        chosen = st.selectbox("Connection", list(by_id), index=index, key=key,
                              format_func=lambda i: f"{connection_name(by_id[i])} (#{i})")
        return by_id[chosen]
    search = st.text_input("Find a connection", key=f"{key}_search", max_chars=200,
                           placeholder="Part of a label, client or account, or #id")
    found = {c.id: c for c in ws.find_connections(search)} if search.strip() else {}
    if found and st.session_state.get(f"{key}_searched") != search:  # a new search shows its best match
        st.session_state[key] = next(iter(found))
    st.session_state[f"{key}_searched"] = search
    for kept in (wanted, st.session_state.get(key)):  # the one asked for, and the one picked before
        if kept is not None and kept not in found:
            with contextlib.suppress(NotFound):
                found[kept] = ws.connection(kept)
    if not found:
        st.info("Type part of a label, client or account, or #id, to find a connection; or open one from the "
                "Overview." if not search.strip() else "No connection matches this search.", icon=":material/search:")
        return None
    chosen = st.selectbox("Connection", list(found), key=key,
                          format_func=lambda i: f"{connection_name(found[i])} (#{i})")
    return found[chosen]


def explain_connection(conn: Connection, *, may_fix: bool, ask: str = advice.ANY_ADMIN) -> None:
    """The connection's state as its last check left it, in plain words, with what to do and
    who can: shown at once, without a new (billed) call to Copernica."""
    outcome = conn.outcome
    body = f"**{text(status_label(outcome.value))}.** {text(outcome.summary)}"
    if todo := advice.what_to_do(conn, may_fix=may_fix, on_inspect=True, ask=ask):
        body += f"\n\n**What to do:** {text(todo)}"
    if conn.last_checked_at:
        body += f"\n\nLast checked {text(when(conn.last_checked_at))}."
    if outcome is Outcome.VALID:
        st.success(body, icon=":material/check_circle:")
    elif outcome.needs_a_person:
        st.error(body, icon=":material/error:")
    elif outcome is Outcome.UNCHECKED:
        st.info(body, icon=":material/schedule:")
    else:
        st.warning(body, icon=":material/warning:")


def authorization_result(result: AuthorizationResult, *, links: bool = True) -> None:
    """How a callback ended, with what to do next. Shown again as it was when the browser
    comes back to Copernica's redirect (Back, reload): that changes nothing."""
    body = f"**{text(result.title)}.** {text(result.message)}"
    if result.hint:
        body += f"\n\n{text(result.hint)}"
    if result.replayed:
        body += "\n\nYou opened Copernica's answer again (Back or reload): nothing was changed."
    if result.ok:
        st.success(body, icon=":material/link:")
        if result.connection_id and links:
            st.page_link("pages/inspect.py", label="Inspect this connection", icon=":material/search:",
                         query_params={"connection": str(result.connection_id)})
    elif result.status == "failed":
        st.error(body, icon=":material/error:")
    else:
        st.warning(body, icon=":material/warning:")


def connected_again(conn: Connection) -> AuthorizationResult:
    """The confirmation of an authorization that completed before this page was reloaded."""
    return AuthorizationResult("connected", f"“{conn.label}” is connected",
                               f"Copernica account {conn.account.name or '?'} (id {conn.account.id}).",
                               connection_id=conn.id, account=conn.account)


LINK_BROWSER_COOKIE = "copernica_link_browser"


def link_browser(*, new: bool = False) -> str:
    """The random value that ties an authorization through a connect link to this browser: the
    one its cookie holds; with `new`, a fresh one when it holds none (`go_to` stores it)."""
    kept = st.context.cookies.get(LINK_BROWSER_COOKIE) or ""
    if kept or not new:
        return kept
    return st.session_state.setdefault("link_browser", secrets.token_urlsafe(32))


def go_to(url: str, *, name: str, link_browser: str = "") -> None:
    """Send this browser tab to `url` (an address this dashboard built), with a link in case
    the browser does not follow; first keeping `link_browser` in this browser's cookie (an
    hour, sent back on Copernica's redirect: SameSite=Lax lets a top-level navigation carry it)."""
    target = json.dumps(url).replace("</", "<\\/")
    keep = ""
    if link_browser:
        cookie = json.dumps(f"{LINK_BROWSER_COOKIE}={link_browser}; Path=/; Max-Age=3600; SameSite=Lax")
        keep = f"document.cookie = {cookie} + (location.protocol === 'https:' ? '; Secure' : '');"
    st.html(f"<script>{keep}window.location.assign({target});</script>", unsafe_allow_javascript=True)
    st.markdown(f'Opening {text(name)}… <a href="{html.escape(url, quote=True)}" target="_self">Continue to '
                f"{text(name)}</a> if nothing happens.", unsafe_allow_html=True)


def watcher_line(ws: Workspace) -> None:
    """Whether scheduled checks run, when the last one was and the next is, and the billed
    calls: one line under the Overview's counts."""
    status = ws.watcher_status()
    today, month = ws.copernica_calls()
    calls = f"Copernica bills every check: {today:,} billed today, {month:,} in the last 30 days"
    now = ws.clock()
    last = status.last_run_started_at
    if status.every is None or last is None:
        st.caption(f"No scheduled checks: start `python -m copernica_core watch` to check every connection "
                   f"on a schedule and send alerts. · {calls}")
    elif status.stopped_for(now) is not None:  # the banner above says so loudly; this says since when
        st.caption(f"Scheduled checks stopped: the last run was {ago(status.last_run_at)} "
                   f"({text(status.last_run_summary)}); statuses are as of then, or of checks started by hand. "
                   f"· {calls}")
    else:
        due = status.next_run_at
        next_in = "due now" if due <= now else f"next in {_span((due - now).total_seconds())}"
        st.caption(f"Scheduled checks every {_span(status.every.total_seconds())} · last run "
                   f"{ago(last)} ({text(status.last_run_summary)}) · {next_in} · {calls}")


def span(every: timedelta) -> str:
    return duration_words(every)


def clock_time(moment: str | datetime) -> str:
    """'19:50 UTC' today, '2 Dec, 19:50 UTC' another day."""
    at = moment if isinstance(moment, datetime) else parse_iso_or_none(moment)
    if at is None:
        return "an unknown time"
    at = at.astimezone(UTC)
    return f"{at:%H:%M} UTC" if at.date() == datetime.now(UTC).date() else f"{at.day} {at:%b}, {at:%H:%M} UTC"


def checks_stopped_banner(ws: Workspace) -> None:
    """On every page, to every role: scheduled checks have stopped, so statuses may be out of
    date and no alert goes out (a watcher ran before; it died or is stuck)."""
    if not ws.may(Action.READ):
        return
    stopped = ws.watcher_status().stopped_for(ws.clock())
    if stopped is None:
        return
    what_now = ("Start the watcher again: `python -m copernica_core watch`, or its service." if ws.may(Action.MANAGE)
                else f"Tell {text(ws.who_to_ask())}.")
    st.error(f"**Scheduled checks stopped {duration_words(stopped)} ago**: statuses may be out of date, and "
             f"no alerts go out. {what_now}", icon=":material/schedule:")


def _span(seconds: float) -> str:
    return duration_words(timedelta(seconds=seconds))


def facts(rows: dict[str, object]) -> None:
    """A short list of named values, as text; empty values are left out."""
    lines = [f"**{text(name)}:** {text(value)}" for name, value in rows.items() if value not in (None, "")]
    st.markdown("  \n".join(lines) or "–")


def danger_button(label: str, *, key: str, icon: str = ":material/delete:") -> bool:
    """A button that looks destructive (red): for Disconnect and Delete."""
    st.html(f"<style>.st-key-{key} button {{background-color: #d1242f; border-color: #d1242f; color: white}}"
            f".st-key-{key} button:hover {{background-color: #a40e26; border-color: #a40e26; color: white}}"
            "</style>")
    return st.button(label, key=key, icon=icon)


def status_chart(daily: list[dict], *, first_day: datetime, last_day: datetime) -> None:
    """Checks per day, stacked by outcome in the badges' colours, on a real day axis."""
    import altair as alt

    frame = pd.DataFrame(daily)
    frame["outcome"] = frame["outcome"].map(status_label)
    frame["day"] = pd.to_datetime(frame["day"])
    labels = [words(s).label for s in STATUSES]
    colours = [words(s).chart for s in STATUSES]
    days = [first_day.strftime("%Y-%m-%d"), (last_day + timedelta(days=1)).strftime("%Y-%m-%d")]
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("yearmonthdate(day):T", title=None, axis=alt.Axis(format="%-d %b", tickCount="day"),
                scale=alt.Scale(domain=days)),
        y=alt.Y("sum(checks):Q", title="checks per day", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("outcome:N", scale=alt.Scale(domain=labels, range=colours),
                        legend=alt.Legend(title=None, orient="bottom")),
        tooltip=[alt.Tooltip("yearmonthdate(day):T", title="Day", format="%-d %b %Y"),
                 alt.Tooltip("outcome:N", title="Result"), alt.Tooltip("sum(checks):Q", title="Checks")],
    ).properties(height=220)
    st.altair_chart(chart, width="stretch")


def unexpected_error(error: Exception) -> None:
    """Last line of defence: a plain message on the page, the (scrubbed) traceback in the log."""
    logging.getLogger("copernica_core").error(
        "page failed: %s", scrub("".join(traceback.format_exception(error))))
    st.error(f"Something went wrong on this page ({type(error).__name__}). Everything that finished was saved; "
             "reload the page to try again. The details are in the dashboard's log.", icon=":material/error:")
