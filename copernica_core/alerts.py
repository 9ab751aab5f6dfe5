"""When to tell people: the alert rules, a pure function of each connection's status, its
alert state and the time (docs/architecture.md, "Watching and alerts").

- `invalid_token` or `account_changed`: alert in the same run (again if it turns into the
  other one);
- `unavailable`, `rate_limited`, `unexpected`: alert once the connection has been broken
  for `alert_after`;
- most connections unavailable at once: one "Copernica looks down" message (after
  `alert_after`) instead of a line per connection, and one when it answers again;
- an alerted connection that is valid again: a recovery;
- still broken: a reminder every `remind_every`, never more; nothing changed: nothing sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from .models import AlertState, OutageState, Outcome

COVERED_BY_OUTAGE = "outage"  # alerted_status of a connection the outage message spoke for
OUTAGE_MIN_CONNECTIONS = 3


@dataclass(frozen=True)
class Watched:
    """One connection as the rules see it after a run."""

    connection_id: int
    label: str
    account: str  # name (id)
    status: Outcome
    advice: str
    state: AlertState = field(default_factory=AlertState)
    client: str = ""
    account_id: str = ""


@dataclass(frozen=True)
class Notice:
    kind: Literal["broken", "reminder", "recovered"]
    connection: Watched


@dataclass(frozen=True)
class Evaluation:
    notices: list[Notice]
    states: dict[int, AlertState]  # each connection's state to store
    outage: OutageState
    outage_notice: Literal["down", "still down", "back"] | None = None
    unavailable: int = 0
    total: int = 0
    still_broken: list[Watched] = field(default_factory=list)  # when Copernica answers again

    @property
    def anything_to_say(self) -> bool:
        return bool(self.notices or self.outage_notice)


def _clamp(moment: datetime | None, now: datetime) -> datetime | None:
    """A stored time later than now (the clock went back) counts as now."""
    return min(moment, now) if moment is not None else None


def evaluate(watched: list[Watched], outage: OutageState, *, now: datetime, alert_after: timedelta,
             remind_every: timedelta) -> Evaluation:
    """The notices this run must send and the states to store; sends nothing itself."""
    unavailable = sum(w.status is Outcome.UNAVAILABLE for w in watched)
    outage_now = len(watched) >= OUTAGE_MIN_CONNECTIONS and unavailable * 2 > len(watched)
    since = (_clamp(outage.since, now) or now) if outage_now else None
    was_notified = outage.notified_at is not None
    outage_notice = None
    notified_at = _clamp(outage.notified_at, now)
    if outage_now and (not was_notified and now - since >= alert_after):
        outage_notice, notified_at = "down", now
    elif outage_now and was_notified and now - notified_at >= remind_every:
        outage_notice, notified_at = "still down", now
    elif not outage_now and was_notified:
        outage_notice, notified_at = "back", None
    covering = outage_now and notified_at is not None

    notices, states = [], {}
    for w in watched:
        state = replace(w.state, broken_since=_clamp(w.state.broken_since, now),
                        notified_at=_clamp(w.state.notified_at, now))
        if w.status is Outcome.UNCHECKED:
            states[w.connection_id] = state
            continue
        if w.status is Outcome.VALID:
            if state.alerted_status not in (None, COVERED_BY_OUTAGE):
                notices.append(Notice("recovered", w))
            states[w.connection_id] = AlertState()
            continue
        broken_since = state.broken_since or now
        if covering and w.status is Outcome.UNAVAILABLE:
            states[w.connection_id] = AlertState(broken_since, state.alerted_status or COVERED_BY_OUTAGE,
                                                 state.notified_at)
            continue
        alerted = state.alerted_status
        due = (w.status.needs_a_person and alerted != w.status.value) or (
            alerted in (None, COVERED_BY_OUTAGE) and now - broken_since >= alert_after)
        if due:
            notices.append(Notice("broken", w))
            state = AlertState(broken_since, w.status.value, now)
        elif alerted not in (None, COVERED_BY_OUTAGE) and now - state.notified_at >= remind_every:
            notices.append(Notice("reminder", w))
            state = AlertState(broken_since, alerted, now)
        else:
            state = AlertState(broken_since, alerted, state.notified_at)
        states[w.connection_id] = state
    still_broken = ([w for w in watched if w.status not in (Outcome.VALID, Outcome.UNCHECKED)]
                    if outage_notice == "back" else [])
    return Evaluation(notices, states, OutageState(since, notified_at), outage_notice, unavailable, len(watched),
                      still_broken)


_HEADINGS = {"broken": "Needs attention", "reminder": "Still broken (reminder)", "recovered": "Working again"}


MAX_LISTED = 40  # connections listed in one message; the rest are counted (Slack and Teams cap a message's size)


def notify_type(evaluation: Evaluation) -> str:
    """Apprise's notify type for the message, from its worst news (receivers route on it):
    failure for a token a person must fix or Copernica down, warning for other trouble and
    reminders, success when there is only good news."""
    if evaluation.outage_notice in ("down", "still down") or any(
            n.kind == "broken" and n.connection.status.needs_a_person for n in evaluation.notices):
        return "failure"
    if any(n.kind != "recovered" for n in evaluation.notices):
        return "warning"
    return "success"


def _title(evaluation: Evaluation) -> str:
    notices = evaluation.notices
    if len(notices) == 1 and not evaluation.outage_notice:
        [n] = notices
        what = (Outcome.VALID.words.title if n.kind == "recovered" else
                f"still {n.connection.status.words.title}" if n.kind == "reminder" else n.connection.status.words.title)
        return f"{n.connection.label}: {what}"
    counts = {kind: sum(n.kind == kind for n in notices) for kind in _HEADINGS}
    parts = [f"{counts['broken']} need{'s' if counts['broken'] == 1 else ''} attention" if counts["broken"] else "",
             f"{counts['reminder']} still broken" if counts["reminder"] else "",
             f"{counts['recovered']} working again" if counts["recovered"] else ""]
    if evaluation.outage_notice in ("down", "still down"):
        parts.insert(0, f"Copernica looks down ({evaluation.unavailable} of {evaluation.total} connections)")
    elif evaluation.outage_notice == "back":
        parts.insert(0, "Copernica answers again")
    return "Copernica Connections: " + ", ".join(p for p in parts if p)


def compose(evaluation: Evaluation, *, public_url: str = "", notes: dict[int, str] | None = None) -> tuple[str, str]:
    """One message (title, body) for everything this run has to say; the title says what
    happened, the body lists at most MAX_LISTED connections and counts the rest. `notes`, by
    connection, say what was already done about one (a reconnect link sent to its client)."""
    notes = notes or {}
    title = _title(evaluation)
    lines = []
    if evaluation.outage_notice in ("down", "still down"):
        lines += [f"Copernica looks down: {evaluation.unavailable} of {evaluation.total} connections cannot "
                  "reach it. This is not the tokens' fault; checks go on and you will hear when it answers "
                  "again.", ""]
    elif evaluation.outage_notice == "back":
        lines += ["Copernica answers again." + ("" if evaluation.still_broken else " Every connection works."), ""]
    groups = [(heading, kind, [n.connection for n in evaluation.notices if n.kind == kind])
              for kind, heading in _HEADINGS.items()]
    if evaluation.still_broken:
        groups.append(("Still broken now that Copernica answers", "still broken", evaluation.still_broken))
    for heading, kind, group in groups:
        if not group:
            continue
        lines.append(f"{heading}:")
        listed = sum(line.startswith("- ") for line in lines)
        room = max(MAX_LISTED - listed, 0)
        for w in _in_order(group)[:room]:
            line = f"- {w.label}" + (f" (client {w.client})" if w.client else "")
            line += f" · account {w.account} · {w.status.words.label}"
            if kind != "recovered":
                line += f" · What to do: {w.advice}"
                if note := notes.get(w.connection_id):
                    line += f" · {note}"
            if public_url:
                line += f" · {inspect_link(public_url, w)}"
            lines.append(line)
        if len(group) > room:
            lines.append(f"…and {len(group) - room} more" + (f": {public_url.rstrip('/')}/" if public_url else
                                                          ": see the dashboard's Overview"))
        lines.append("")
    return title, "\n".join(lines).strip()


def _in_order(group: list[Watched]) -> list[Watched]:
    return sorted(group, key=lambda w: (w.status.severity, w.label.casefold()))


def inspect_link(public_url: str, w: Watched) -> str:
    return f"{public_url.rstrip('/')}/inspect?connection={w.connection_id}"


def fields(evaluation: Evaluation, *, public_url: str = "") -> dict:
    """What the message is about as data, for receivers that route on fields (a `json://`
    target gets them beside title and message): the outage news, and each connection listed
    (at most MAX_LISTED; `not_listed` counts the rest)."""
    items = [(n.kind, n.connection) for n in evaluation.notices]
    items += [("still broken", w) for w in evaluation.still_broken]
    listed = [{"event": kind, "connection_id": w.connection_id, "label": w.label, "client": w.client or None,
               "account_id": w.account_id or None, "account": w.account, "status": w.status.value,
               "inspect_url": inspect_link(public_url, w) if public_url else None}
              for kind, w in items[:MAX_LISTED]]
    return {"outage": evaluation.outage_notice, "connections": listed, "not_listed": max(len(items) - MAX_LISTED, 0)}
