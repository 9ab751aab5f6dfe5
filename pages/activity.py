"""Activity: who did what (authorizations, credential edits, reveals, disconnects, …)."""

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core import Action

ui.require(Action.AUDIT, "Activity")
ws = ui.workspace()
st.title("Activity")
st.caption("Every change and every revealed token, with the person who did it. Times are UTC.")

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
    st.dataframe(pd.DataFrame([{
        "When (UTC)": ui.as_datetime(e.at), "Who": ui.person(e.actor), "What": e.action,
        "Connection": connections.get(e.connection_id, f"#{e.connection_id} (gone)" if e.connection_id else ""),
        "Detail": e.detail} for e in events]), hide_index=True, width="stretch",
        column_config={"When (UTC)": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm:ss")})
    st.caption(f"{len(events)} events shown (newest first, at most 500).")
