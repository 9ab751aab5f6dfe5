"""Overview: every connection of every client account, with its current state."""

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core.overview import filter_connections, summarize

ws = ui.workspace()
st.title("Connections")

if st.session_state.pop("check_all_stopped", False):
    st.toast("Check-all stopped. Every check that finished was saved.", icon=":material/stop_circle:")
if summary := st.session_state.pop("check_all_summary", None):
    st.toast(summary, icon=":material/task_alt:")

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
cols[3].metric("Unavailable / other", summary.other_problems, border=True,
               help="Copernica or the network failed, or answered unexpectedly: usually not the token's fault.")
cols[4].metric("Stale", summary.stale, border=True,
               help=f"No valid check in the last {ws.settings.stale_hours:g} hours.")

for alert in summary.alerts[:8]:
    show = st.error if alert.severity == "error" else st.warning
    show(f"**{ui.text(alert.connection.label)}**: {ui.text(alert.message)}",
         icon=":material/warning:" if alert.severity == "error" else ":material/content_copy:")
if len(summary.alerts) > 8:
    st.caption(f"…and {len(summary.alerts) - 8} more; filter the table by status to see them all.")

search_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
search = search_col.text_input("Search", placeholder="Search label, account, company or id",
                               label_visibility="collapsed")
check_all = button_col.button("Check all now", type="primary", icon=":material/refresh:", width="stretch",
                              help="Calls Copernica once or twice per connection; calls are billed.")
if check_all:
    bar = st.progress(0.0, text=f"Checking {summary.total} connections…")
    st.button("Stop", icon=":material/stop:", key="stop_check_all",
              on_click=lambda: st.session_state.update(check_all_stopped=True))

    def progress(done: int, total: int, checked) -> None:
        bar.progress(done / total, text=f"Checked {done} of {total}: {ui.text(checked.label)}")

    results = ws.check(progress=progress)
    ok = sum(r.result.outcome.value == "valid" for r in results)
    st.session_state["check_all_summary"] = f"Checked {len(results)} connections: {ok} valid."
    st.rerun()
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
