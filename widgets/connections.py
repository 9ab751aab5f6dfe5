"""Connections on a page: the alert cards, the Overview's table, pickers, the report buttons."""

from __future__ import annotations

import contextlib
import html
import re

import pandas as pd
import streamlit as st

from copernica_core import (
    NotFound,
    Workspace,
    advice,
    open_workspace,
)
from copernica_core import report as report_module
from copernica_core.models import Connection, Outcome
from copernica_core.vocabulary import words

from .links import link_sent_note, reconnect_link_button
from .run import workspace
from .status import STATUSES, status_badge, status_label
from .words import as_datetime, text

MAX_CARDS = 8


def attention_cards(needing: list, *, ws: Workspace | None = None, may_fix: bool, ask: str = advice.ANY_ADMIN,
                    new: frozenset[int] = frozenset()) -> None:
    """The cards of what needs attention (broken connections: the Overview's `Attention`), worst
    first, each opening its connection, with what this reader can do about it (with `ws`: the
    reconnect link sent to the client, and for an admin a button that makes one). An account that
    changed is never hidden behind "and N more": beyond the first few they are listed compactly,
    in one element (a box per card costs the browser about 10 ms). Alerts are what the watcher
    sends (alerts.py); the Alerts page says where they go."""
    sent = ws.reconnect_links_sent() if ws is not None and needing else {}
    for alert in needing[:MAX_CARDS]:
        conn = alert.connection
        with st.container(border=True):
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):  # badge beside its label
                status_badge(conn.status)
                st.page_link("pages/inspect.py", label=text(conn.label + (f" · client {conn.client}" if conn.client
                                                                          else "")),
                             query_params={"connection": str(conn.id)})
                if conn.id in new:
                    st.badge("New since you last looked", icon=":material/fiber_new:", color="violet")
            st.caption(text(f"{alert.reason} {advice.what_to_do(conn, may_fix=may_fix, ask=ask)}"))
            if conn.id in sent:
                link_sent_note(sent[conn.id])
            if ws is not None and may_fix and conn.application_id is not None and conn.status.needs_a_person:
                reconnect_link_button(ws, conn, key=f"alert_link_{conn.id}", type="tertiary")
    rest = needing[MAX_CARDS:]
    changed = [a.connection for a in rest if a.connection.status is Outcome.ACCOUNT_CHANGED]
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


def danger_button(label: str, *, key: str, icon: str = ":material/delete:") -> bool:
    """A button that looks destructive (red): for Disconnect and Delete."""
    st.html(f"<style>.st-key-{key} button {{background-color: #d1242f; border-color: #d1242f; color: white}}"
            f".st-key-{key} button:hover {{background-color: #a40e26; border-color: #a40e26; color: white}}"
            "</style>")
    return st.button(label, key=key, icon=icon)
