"""Activity: who did what (authorizations, credential edits, reveals, disconnects, …)."""

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core import Action

ui.require(Action.AUDIT, "Activity")
ws = ui.workspace()
st.title("Activity")
st.caption(f"Every change and every revealed token, with the person who did it. Times are {ui.zone_label()}.")

people, actions = ws.event_people_and_actions()
connections = {c.id: ui.connection_name(c) for c in ws.connections()}
who_col, what_col, conn_col = st.columns(3)
who = who_col.selectbox("Person", [None, *people], format_func=lambda p: "Everyone" if p is None else ui.person(p))
what = what_col.selectbox("Action", [None, *actions], format_func=lambda a: "Every action" if a is None else a)
connection = conn_col.selectbox("Connection", [None, *connections],
                                format_func=lambda i: "Every connection" if i is None else connections[i])
events = ws.events(actor=who, action=what, connection_id=connection, limit=500)
if not events:
    st.info("Nothing recorded for this choice.", icon=":material/info:")
else:
    at = f"When ({ui.zone_label()})"
    picked = st.dataframe(pd.DataFrame([{
        at: ui.as_datetime(e.at), "Who": ui.person(e.actor), "What": e.action,
        "Connection": connections.get(e.connection_id, f"#{e.connection_id} (gone)" if e.connection_id else ""),
        "Detail": e.detail.split("\n", 1)[0]} for e in events]), hide_index=True, width="stretch",
        on_select="rerun", selection_mode="single-row", key="activity_table",
        column_config={at: st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm:ss", width=165),
                       "Who": st.column_config.TextColumn(width=150), "What": st.column_config.TextColumn(width=150),
                       "Connection": st.column_config.TextColumn(width=140),
                       "Detail": st.column_config.TextColumn(width="large")})
    st.caption(f"{len(events)} events shown (newest first, at most 500). Select one to read all of it "
               "(an import lists each of its rows).")
    if rows := picked.selection.rows:
        event = events[rows[0]]
        with st.container(border=True):
            st.markdown(f"**{ui.text(event.action)}** · {ui.text(ui.person(event.actor))} · "
                        f"{ui.text(ui.when(event.at))}")
            st.text(event.detail or "(no detail)")
