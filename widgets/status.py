"""A status as a reader sees it: badge, label, plain explanation, chart (words from vocabulary.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from copernica_core import (
    advice,
)
from copernica_core.models import Connection, Outcome
from copernica_core.vocabulary import VOCABULARY, words

from .words import text, when

# The statuses in the order a reader meets them in a filter or a legend (vocabulary.py holds their words).
STATUSES = [Outcome(status) for status in VOCABULARY]


def status_label(status: str) -> str:
    return words(status).label


def status_badge(status: str) -> None:
    said = words(status)
    st.badge(said.label, color=said.colour, icon=said.icon)


def explain_connection(conn: Connection, *, may_fix: bool, ask: str = advice.ANY_ADMIN) -> None:
    """The connection's state as its last check left it, in plain words, with what to do and
    who can: shown at once, without a new (billed) call to Copernica."""
    outcome = conn.status
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
