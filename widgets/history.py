"""A connection's history on its Inspect page: uptime over 7 and 30 days, a daily chart,
its checks a page at a time, and a CSV download."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from copernica_core import Workspace, open_workspace
from copernica_core.models import Connection
from copernica_core.report import uptime_text

from .status import status_chart, status_label
from .words import as_datetime, zone_label

PAGE_SIZE = 50
PERIODS = {"24 hours": 1, "7 days": 7, "30 days": 30, "All": None}


def history_section(ws: Workspace, conn: Connection) -> None:
    """The History part of Inspect (nothing in it is billed: it reads the database)."""
    st.header("History")
    period = st.segmented_control("Period", list(PERIODS), default="7 days", key="history_period")
    days = PERIODS.get(period or "7 days")
    now = ws.clock()
    since = now - timedelta(days=days) if days else None
    up = st.columns(3)
    for col, span in zip(up[:2], (7, 30), strict=True):
        col.metric(f"Uptime, {span} days", uptime_text(ws.uptime(conn.id, days=span)),
                   help="The share of the time it was watched that the connection worked: each check's "
                        "result holds until the next check. Shown once it has a day of history.")
    total = ws.history_count(conn.id, since=since)
    up[2].metric("Checks in period", total)

    if daily := ws.daily_outcomes(conn.id, days=days or 3650):
        first = since or as_datetime(daily[0]["day"] + "T00:00:00+00:00")
        status_chart(daily, first_day=first, last_day=now)

    if total:
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1) if pages > 1 else 1
        checks = ws.history(conn.id, since=since, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        st.dataframe(pd.DataFrame([{
            f"When ({zone_label()})": as_datetime(c.checked_at), "Result": status_label(c.outcome),
            "Account reached": c.account_seen or "", "Response time": c.latency_ms, "Technical detail": c.detail}
            for c in checks]), hide_index=True, width="stretch", column_config={
                f"When ({zone_label()})": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm:ss", width=170),
                "Result": st.column_config.TextColumn(width=130),
                "Account reached": st.column_config.TextColumn(width=120),
                "Response time": st.column_config.NumberColumn(format="%.0f ms", width=110),
                "Technical detail": st.column_config.TextColumn(
                    width="large", help="What Copernica answered, for whoever investigates (nothing secret)")})

        def history_csv(connection_id=conn.id, since=since, actor=ws.actor) -> str:
            # Called when the button is clicked, after this run's workspace was closed: its own,
            # for the same person.
            workspace = open_workspace(actor=actor)
            try:
                return workspace.history_csv(connection_id, since=since)
            finally:
                workspace.close()

        st.download_button("Download CSV", history_csv, file_name=f"connection-{conn.id}-history.csv",
                           mime="text/csv", icon=":material/download:", on_click="ignore")
    else:
        st.caption("No checks in this period.")
