"""Overview: every connection of every client, worst first, with what needs a person."""

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core import Action, BadInput
from copernica_core.models import Outcome
from copernica_core.overview import filter_connections
from copernica_core.watch import summary_line

ws = ui.workspace()
st.title("Connections")

if stopped := st.session_state.pop("check_all_stopped", None):
    done, total = stopped
    st.toast(f"All {total} checks had finished: nothing was stopped." if done >= total else
             f"Stopped after {done} of {total} checks. Every check that finished was saved.",
             icon=":material/stop_circle:")
if summary := st.session_state.pop("check_all_summary", None):
    st.success(f"**Check all:** {ui.text(summary)}", icon=":material/task_alt:")

fleet = ws.snapshot()  # shared and reused until something changes: 10,000 connections cost nothing to redraw
connections = fleet.connections
if not connections:
    if not ws.may(Action.MANAGE):  # a viewer cannot add one: say who can, not where they may not go
        st.info("No connections yet. An admin of this dashboard connects Copernica accounts; they will "
                "be listed here.", icon=":material/info:")
        st.stop()
    if ws.applications():  # the first step is done: point at the next one only
        st.info("No connections yet. Connect a Copernica account on the Authorize page. Already have an "
                "access token? Paste it on the Credentials page.", icon=":material/info:")
    else:
        st.info("No connections yet. Add your Copernica application's **Client key** and **Client secret** "
                "on the Credentials page, then connect accounts on the Authorize page. Already have an access "
                "token? Paste it on the Credentials page.", icon=":material/info:")
        st.page_link("pages/credentials.py", label="Add an application", icon=":material/key:")
    st.page_link("pages/authorize.py", label="Authorize an account", icon=":material/link:")
    st.stop()

summary = fleet.summary
COUNTERS = [  # label, value, statuses it shows, help
    ("Connections", summary.total, [], None),
    ("Valid", summary.valid, ["valid"], None),
    ("Need a person", summary.need_a_person, [o.value for o in Outcome if o.needs_a_person],
     "Account changed or invalid token: someone has to re-authorize or investigate."),
    ("Other issues", summary.other_problems, [o.value for o in Outcome if o.other_problem],
     "Copernica or the network failed, or answered unexpectedly: usually not the token's fault."),
    ("Not checked", fleet.unchecked, ["unchecked"], None),
]
for col, (label, value, statuses, help_text) in zip(st.columns(len(COUNTERS)), COUNTERS, strict=True):
    col.metric(label, value, border=True, help=help_text)
    col.button("Show these" if statuses else "Show all", key=f"show_{label}", type="tertiary",
               on_click=lambda s=statuses: st.session_state.update(status_filter=s))

ui.alert_list(summary.attention, may_fix=ws.may(Action.MANAGE))
if summary.duplicates:
    with st.expander(f"Same Copernica account connected more than once ({len(summary.duplicates)})"):
        for alert in summary.duplicates:
            st.page_link("pages/inspect.py", label=f"{alert.connection.label}: {alert.reason}",
                         query_params={"connection": str(alert.connection.id)}, icon=":material/content_copy:")

ui.watcher_line(ws)

clients = fleet.clients
if any(c.client for c in clients):
    with st.expander("By client, worst first", expanded=any(c.need_a_person for c in clients)):
        st.dataframe(pd.DataFrame([{"Client": c.client or "(no client)", "Connections": c.connections,
                                    "Valid": c.valid, "Need a person": c.need_a_person} for c in clients]),
                     hide_index=True, width="stretch")

search_col, client_col, button_col = st.columns([2, 2, 1], vertical_alignment="bottom")
search = search_col.text_input("Search", placeholder="Search label, client, account, company or id",
                               label_visibility="collapsed")
chosen_clients = client_col.multiselect("Client", [c.client for c in clients], placeholder="Every client",
                                        format_func=lambda c: c or "(no client)", label_visibility="collapsed")
check_all = button_col.button("Check all now", type="primary", icon=":material/refresh:", width="stretch",
                              help="Calls Copernica once or twice per connection; calls are billed.")
running = st.container()  # the check-all's progress, above the table, which stays visible
statuses = st.pills("Status", list(ui.STATUS), selection_mode="multi", format_func=ui.status_label,
                    label_visibility="collapsed", key="status_filter")

shown = filter_connections(fleet.worst_first, search=search, statuses=statuses, clients=chosen_clients)
MAX_ROWS = 1000  # worst first: the rows that matter are on top; search or filter reaches the others
table = ui.connections_table(shown[:MAX_ROWS])
if table.empty:
    st.info("No connection matches this search or filter.", icon=":material/filter_alt_off:")
else:
    picked = ui.show_connections_table(table)
    st.caption((f"{len(shown)} of {summary.total} connections shown, worst first. " if len(shown) <= MAX_ROWS else
                f"The {MAX_ROWS} worst of {len(shown)} matching connections (of {summary.total}) shown: search or "
                "filter to find the others. ") + "Select rows to open one"
               + (" or to set their client." if ws.may(Action.MANAGE) else "."))
    chosen = [shown[i] for i in picked]
    if len(chosen) == 1:
        st.page_link("pages/inspect.py", label=f"Open {chosen[0].label}", icon=":material/search:",
                     query_params={"connection": str(chosen[0].id)})
    if chosen and ws.may(Action.MANAGE):
        with st.form("set_client", clear_on_submit=True, border=False):
            new_client, save = st.columns([3, 1], vertical_alignment="bottom")
            client = new_client.text_input(f"Client of the {len(chosen)} selected", max_chars=100,
                                           placeholder="e.g. Camping Het Bos; empty for none")
            if save.form_submit_button("Set client", width="stretch"):
                try:
                    ws.set_client([c.id for c in chosen], client)
                except BadInput as refused:
                    st.error(ui.text(refused.message), icon=":material/error:")
                else:
                    st.rerun()
    ui.report_downloads(ws, chosen_clients)

if check_all:
    with running:
        bar = st.progress(0.0, text=f"Checking {summary.total} connections…")
        st.session_state["check_all_progress"] = (0, summary.total)
        st.button("Stop", icon=":material/stop:", key="stop_check_all", on_click=lambda: st.session_state.update(
            check_all_stopped=st.session_state.get("check_all_progress", (0, 0))))
    not_valid = [0]

    def progress(done: int, total: int, checked) -> None:
        not_valid[0] += checked.result.outcome is not Outcome.VALID
        st.session_state["check_all_progress"] = (done, total)
        bar.progress(done / total, text=f"Checked {done} of {total} · {not_valid[0]} not valid so far · "
                                        f"last: {ui.text(checked.label)}")

    run = ws.check(progress=progress)
    st.session_state["check_all_summary"] = summary_line([c.result.outcome for c in run])
    st.rerun()
