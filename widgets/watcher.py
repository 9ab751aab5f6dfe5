"""The watcher as every page shows it: the schedule line and the "checks stopped" banner."""

from __future__ import annotations

import streamlit as st

from copernica_core import (
    Action,
    Workspace,
)
from copernica_core.watch import duration_words

from .words import ago, span, text


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
        next_in = "due now" if due <= now else f"next in {span(due - now)}"
        st.caption(f"Scheduled checks every {span(status.every)} · last run "
                   f"{ago(last)} ({text(status.last_run_summary)}) · {next_in} · {calls}")


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
