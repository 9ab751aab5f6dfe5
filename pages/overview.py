"""Overview: every connection of every client, worst first, with what needs a person. The
part below the title follows the database on a timer (COPERNICA_LIVE_EVERY), so a page left
open shows what the watcher found without anyone reloading it."""

from datetime import datetime

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core import Action, BadInput, Workspace
from copernica_core.models import Outcome
from copernica_core.overview import filter_connections, summarize
from copernica_core.watch import summary_line

ws = ui.workspace()
st.title("Connections")

# Fixed places, present in every run (empty or not): what follows keeps its position, so a
# rerun replaces the timed part in place instead of showing it twice until the run ends.
notices, running = st.container(), st.container()
if stopped := st.session_state.pop("check_all_stopped", None):
    done, total = stopped
    st.toast(f"All {total} checks had finished: nothing was stopped." if done >= total else
             f"Stopped after {done} of {total} checks. Every check that finished was saved.",
             icon=":material/stop_circle:")
if summary := st.session_state.pop("check_all_summary", None):
    notices.success(f"**Check:** {ui.text(summary)}", icon=":material/task_alt:")


def run_requested_check(ws: Workspace) -> None:
    """The check asked for by "Check all now" / "Check these N now": in the page's own run
    (not the timed part), with its progress on top while the table stays visible."""
    ids = st.session_state.pop("check_requested", None)
    if ids is None:
        return
    total = len(ids) if ids else len(ws.snapshot().connections)
    bar = st.progress(0.0, text=f"Checking {total} connections…")
    st.session_state["check_all_progress"] = (0, total)
    st.button("Stop", icon=":material/stop:", key="stop_check_all", on_click=lambda: st.session_state.update(
        check_all_stopped=st.session_state.get("check_all_progress", (0, 0))))
    not_valid = [0]

    def progress(done: int, total: int, checked) -> None:
        not_valid[0] += checked.result.outcome is not Outcome.VALID
        st.session_state["check_all_progress"] = (done, total)
        bar.progress(done / total, text=f"Checked {done} of {total} · {not_valid[0]} not valid so far · "
                                        f"last: {ui.text(checked.label)}")

    chosen = st.session_state.get("client_filter") or []
    run = ws.check_now(ids or None, progress=progress,
                       scope=f"the connections of {', '.join(c or '(no client)' for c in chosen)}" if ids
                       else "every connection")
    st.session_state["check_all_summary"] = summary_line([c.result.outcome for c in run])
    st.rerun()


def open_client(clients: list[str]) -> None:
    """A row of "By client" picked: show that client everywhere on the page."""
    rows = st.session_state["by_client"].selection.rows
    if rows:
        st.session_state["client_filter"] = [clients[rows[0]]]


def by_client(clients, *, expanded: bool) -> None:
    """Each client's counts, worst first; picking a row shows only that client."""
    names = [c.client for c in clients]
    with st.expander("By client, worst first (pick one to show only its connections)", expanded=expanded):
        st.dataframe(pd.DataFrame([{"Client": c.client or "(no client)", "Connections": c.connections,
                                    "Valid": c.valid, "Need a person": c.need_a_person} for c in clients]),
                     hide_index=True, width="stretch", key="by_client", on_select=lambda: open_client(names),
                     selection_mode="single-row")


def new_since_looked(summary) -> frozenset[int]:
    """The connections that came to need attention (or changed how) while the page only followed
    the database: looked at means the page was opened, reloaded or acted on as a whole."""
    now = {(a.connection.id, a.connection.status.value) for a in summary.attention}
    if not ui.part_rerun_alone() or "attention_seen" not in st.session_state:
        st.session_state["attention_seen"] = now
    return frozenset(cid for cid, status in now - st.session_state["attention_seen"])


def fleet_view(ws: Workspace) -> None:
    fleet = ws.snapshot()  # shared until something changes: redrawing 10,000 connections costs little
    if not fleet.connections:
        ui.empty_fleet(ws)
        return
    may_fix = ws.may(Action.MANAGE)
    if outage := fleet.outage:
        ui.outage_banner(outage)
    clients = fleet.clients
    client_names = [c.client for c in clients]
    filter_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    if any(c not in client_names for c in st.session_state.get("client_filter", [])):
        st.session_state["client_filter"] = [c for c in st.session_state["client_filter"] if c in client_names]
    chosen = filter_col.multiselect("Client", client_names, placeholder="Every client", key="client_filter",
                                    format_func=lambda c: c or "(no client)", label_visibility="collapsed")
    if chosen != st.session_state.get("report_clients", []):  # the report buttons below follow the client
        st.session_state["report_clients"] = chosen
        st.rerun(scope="app")
    scope = filter_connections(fleet.connections, clients=chosen) if chosen else fleet.connections
    summary = summarize(scope) if chosen else fleet.summary
    label = f"Check these {len(scope)} now" if chosen else "Check all now"
    if button_col.button(label, type="primary", icon=":material/refresh:", width="stretch",
                         help="Calls Copernica once or twice per connection; calls are billed."):
        st.session_state["check_requested"] = [c.id for c in scope] if chosen else []
        st.rerun(scope="app")  # the check runs in the page's own run, not in this timed part

    ui.counters(summary, unchecked=sum(c.status is Outcome.UNCHECKED for c in scope))
    ui.tab_says(fleet.summary.need_a_person)  # the whole fleet's, whatever is filtered
    ui.attention_cards(summary.attention, ws=ws, may_fix=may_fix, ask=ws.who_to_ask(), new=new_since_looked(summary))
    if summary.duplicates:
        with st.expander(f"Same Copernica account connected more than once ({len(summary.duplicates)})"):
            for alert in summary.duplicates:
                st.page_link("pages/inspect.py", label=ui.text(f"{alert.connection.label}: {alert.reason}"),
                             query_params={"connection": str(alert.connection.id)}, icon=":material/content_copy:")

    if may_fix and len(chosen) == 1 and chosen[0]:
        ui.client_panel(ws, chosen[0])
    ui.watcher_line(ws)
    st.caption(f"As of {datetime.now(ui.zone()):%H:%M:%S %Z}; this page follows the database every "
               f"{ui.span(ws.settings.live_every)}.")

    if any(c.client for c in clients):
        by_client(clients, expanded=any(c.need_a_person for c in clients) and not chosen)

    connections_section(ws, fleet, chosen, may_fix=may_fix)


def connections_section(ws: Workspace, fleet, chosen: list[str], *, may_fix: bool) -> None:
    """The table: searched and filtered, worst first; selected rows open one or get a client."""
    search = st.text_input("Search", placeholder="Search label, client, account, company or id",
                           label_visibility="collapsed", key="search")
    statuses = st.pills("Status", ui.STATUSES, selection_mode="multi", format_func=ui.status_label,
                        label_visibility="collapsed", key="status_filter")
    shown = filter_connections(fleet.worst_first, search=search, statuses=statuses, clients=chosen)
    rows = 1000  # worst first: the rows that matter are on top; search or filter reaches the others
    table = ui.connections_table(shown[:rows])
    if table.empty:
        st.info("No connection matches this search or filter.", icon=":material/filter_alt_off:")
        return
    picked = ui.show_connections_table(table)
    st.caption((f"{len(shown)} of {len(fleet.connections)} connections shown, worst first. " if len(shown) <= rows
                else f"The {rows} worst of {len(shown)} matching connections (of {len(fleet.connections)}) shown: "
                     "search or filter to find the others. ") + "Select rows to open one"
               + (" or to set their client." if may_fix else "."))
    selected = [shown[i] for i in picked if i < len(shown)]
    if len(selected) == 1:
        st.page_link("pages/inspect.py", label=ui.text(f"Open {selected[0].label}"), icon=":material/search:",
                     query_params={"connection": str(selected[0].id)})
    if selected and may_fix:
        with st.form("set_client", clear_on_submit=True, border=False):
            new_client, save = st.columns([3, 1], vertical_alignment="bottom")
            client = new_client.text_input(f"Client of the {len(selected)} selected", max_chars=100,
                                           placeholder="e.g. Camping Het Bos; empty for none")
            if save.form_submit_button("Set client", width="stretch"):
                try:
                    ws.set_client([c.id for c in selected], client)
                except BadInput as refused:
                    st.error(ui.text(refused.message), icon=":material/error:")
                else:
                    st.rerun(scope="app")


ui.live(fleet_view, every=ws.settings.live_every)
if ws.snapshot().connections:  # outside the timed part: a timed rerun must not drop a download being fetched
    ui.report_downloads(ws, st.session_state.get("report_clients", []))
with running:  # after the fleet is drawn, above it; the timed reruns wait for the check (they never preempt a run)
    run_requested_check(ws)
