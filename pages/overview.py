"""Overview: every connection of every client account, with its current state."""

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core.models import Outcome
from copernica_core.overview import filter_connections, summarize
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

connections = ws.connections()
if not connections:
    st.info("No connections yet. Add your Copernica application's **Client key** and **Client secret** "
            "on the Credentials page, then connect accounts on the Authorize page. Already have an access "
            "token? Paste it on the Credentials page.", icon=":material/info:")
    st.page_link("pages/credentials.py", label="Add an application", icon=":material/key:")
    st.page_link("pages/authorize.py", label="Authorize an account", icon=":material/link:")
    st.stop()

summary = summarize(connections)
cols = st.columns(5)
cols[0].metric("Connections", summary.total, border=True)
cols[1].metric("Valid", summary.valid, border=True)
cols[2].metric("Need a person", summary.need_a_person, border=True,
               help="Invalid token or account changed: someone has to re-authorize or investigate.")
cols[3].metric("Other issues", summary.other_problems, border=True,
               help="Copernica or the network failed, or answered unexpectedly: usually not the token's fault.")
cols[4].metric("Stale", summary.stale, border=True,
               help=f"No valid check in the last {ws.settings.stale_hours:g} hours.")

for alert in summary.alerts[:8]:
    show = st.error if alert.severity == "error" else st.warning
    show(f"**{ui.text(alert.connection.label)}**: {ui.text(alert.message)}",
         icon=":material/warning:" if alert.severity == "error" else ":material/content_copy:")
if len(summary.alerts) > 8:
    st.caption(f"…and {len(summary.alerts) - 8} more; filter the table by status to see them all.")

ui.watcher_line(ws)

search_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
search = search_col.text_input("Search", placeholder="Search label, account, company or id",
                               label_visibility="collapsed")
check_all = button_col.button("Check all now", type="primary", icon=":material/refresh:", width="stretch",
                              help="Calls Copernica once or twice per connection; calls are billed.")
running = st.container()  # the check-all's progress, above the table, which stays visible
statuses = st.pills("Status", list(ui.STATUS), selection_mode="multi", format_func=ui.status_label,
                    label_visibility="collapsed")

shown = filter_connections(connections, search=search, statuses=statuses)
table = pd.DataFrame([{
    "Label": c.label, "Status": ui.status_label(c.status), "Account": c.account.name,
    "Company": c.account.company, "Account id": c.account.id,
    "Application": c.application_label or "pasted token",
    "Last checked": ui.as_datetime(c.last_checked_at), "Last OK": ui.as_datetime(c.last_ok_at),
    "Latency (ms)": c.last_latency_ms, "Stale": c.stale,
    "Duplicate of": ", ".join(f"#{i}" for i in c.duplicate_of),
    "Inspect": f"/inspect?connection={c.id}",
} for c in shown])
if table.empty:
    st.info("No connection matches this search or filter.", icon=":material/filter_alt_off:")
else:
    st.dataframe(ui.coloured_status(table), hide_index=True, width="stretch", column_config={
        "Last checked": st.column_config.DatetimeColumn(format="distance"),
        "Last OK": st.column_config.DatetimeColumn(format="distance"),
        "Latency (ms)": st.column_config.NumberColumn(format="%.0f"),
        "Stale": st.column_config.CheckboxColumn(help="No valid check for too long"),
        "Inspect": st.column_config.LinkColumn(display_text="Inspect"),
    })
    st.caption(f"{len(shown)} of {summary.total} connections shown.")

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
