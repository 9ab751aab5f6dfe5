"""The alert rules over tables of histories: each step is (minutes from the start, the
status of each connection after that run), and what the run must say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from copernica_core.alerts import AlertState, OutageState, Watched, compose, evaluate
from copernica_core.models import Outcome

# one letter each, so that the histories below read as tables
V, I, A, U, R, X = (Outcome.VALID, Outcome.INVALID_TOKEN, Outcome.ACCOUNT_CHANGED,  # noqa: E741
                    Outcome.UNAVAILABLE, Outcome.RATE_LIMITED, Outcome.UNEXPECTED)
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def simulate(steps: list[tuple[float, dict[int, Outcome]]]) -> list[set[str]]:
    """What each run says: {"broken 1", "recovered 2", "down", …}."""
    states: dict[int, AlertState] = {}
    outage = OutageState()
    said = []
    for minute, statuses in steps:
        watched = [Watched(cid, f"Conn {cid}", f"Acct ({cid})", status, "do something",
                           states.get(cid, AlertState())) for cid, status in statuses.items()]
        result = evaluate(watched, outage, now=START + timedelta(minutes=minute),
                          alert_after=timedelta(minutes=30), remind_every=timedelta(hours=24))
        states, outage = result.states, result.outage
        said.append({f"{n.kind} {n.connection.connection_id}" for n in result.notices}
                    | ({result.outage_notice} if result.outage_notice else set()))
    return said


HISTORIES = {
    "a revoked token: one alert at once, nothing more while it stays so": (
        [(0, {1: V}), (15, {1: I}), (30, {1: I}), (45, {1: I})],
        [set(), {"broken 1"}, set(), set()]),
    "a recovery after the alert": (
        [(0, {1: I}), (15, {1: V}), (30, {1: V})],
        [{"broken 1"}, {"recovered 1"}, set()]),
    "account changed after invalid token is said again": (
        [(0, {1: I}), (15, {1: A})],
        [{"broken 1"}, {"broken 1"}]),
    "unavailable only after 30 minutes": (
        [(0, {1: U}), (15, {1: U}), (29, {1: R}), (30, {1: X}), (45, {1: U})],
        [set(), set(), set(), {"broken 1"}, set()]),
    "a short outage says nothing, not even a recovery": (
        [(0, {1: U}), (15, {1: U}), (20, {1: V})],
        [set(), set(), set()]),
    "flapping between valid and unavailable never alerts": (
        [(m, {1: U if (m // 15) % 2 else V}) for m in range(0, 180, 15)],
        [set()] * 12),
    "flapping between valid and invalid alerts and recovers each time": (
        [(0, {1: I}), (15, {1: V}), (30, {1: I})],
        [{"broken 1"}, {"recovered 1"}, {"broken 1"}]),
    "a reminder every 24 hours, never more": (
        [(0, {1: I}), (60, {1: I}), (24 * 60, {1: I}), (24 * 60 + 15, {1: I}), (48 * 60, {1: I})],
        [{"broken 1"}, set(), {"reminder 1"}, set(), {"reminder 1"}]),
    "most connections unavailable: one 'looks down' message, then one when it answers": (
        [(0, {1: U, 2: U, 3: U, 4: V}), (15, {1: U, 2: U, 3: U, 4: V}), (30, {1: U, 2: U, 3: U, 4: V}),
         (45, {1: U, 2: U, 3: U, 4: V}), (60, {1: V, 2: V, 3: V, 4: V})],
        [set(), set(), {"down"}, set(), {"back"}]),
    "a revoked token during an outage is still said at once": (
        [(0, {1: U, 2: U, 3: U, 4: V}), (30, {1: U, 2: U, 3: U, 4: I})],
        [set(), {"down", "broken 4"}]),
    "recovery of one connection during an outage": (
        [(0, {1: I, 2: U, 3: U, 4: U}), (40, {1: V, 2: U, 3: U, 4: U})],
        [{"broken 1"}, {"recovered 1", "down"}]),
    "a connection deleted while alerted is simply no longer mentioned": (
        [(0, {1: I, 2: V}), (15, {2: V}), (30, {2: I})],
        [{"broken 1"}, set(), {"broken 2"}]),
    "the clock going back neither alerts nor stalls reminders": (
        [(0, {1: I}), (-120, {1: I}), (-60, {1: I}), (24 * 60 - 120, {1: I})],
        [{"broken 1"}, set(), set(), {"reminder 1"}]),
    "the clock jumping ahead gives one reminder, not many": (
        [(0, {1: I}), (10 * 24 * 60, {1: I}), (10 * 24 * 60 + 15, {1: I})],
        [{"broken 1"}, {"reminder 1"}, set()]),
    "a long outage reminds once a day": (
        [(0, {1: U, 2: U, 3: U}), (30, {1: U, 2: U, 3: U}), (24 * 60 + 30, {1: U, 2: U, 3: U})],
        [set(), {"down"}, {"still down"}]),
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_alert_rules(name):
    steps, expected = HISTORIES[name]
    assert simulate(steps) == expected


def test_the_message_lists_label_client_account_status_what_to_do_and_the_inspect_link():
    watched = [Watched(7, "Camping Het Bos", "Het Bos (1001)", I, "Paste a new token for it.", client="Bos BV"),
               Watched(8, "Bloom", "Bloom (102)", V, "", AlertState(START, "invalid_token", START))]
    result = evaluate(watched, OutageState(), now=START, alert_after=timedelta(minutes=30),
                      remind_every=timedelta(hours=24))
    title, body = compose(result, public_url="https://connections.example.com/")
    assert title == "Copernica Connections: 1 needs attention, 1 working again"
    assert ("- Camping Het Bos (client Bos BV) · account Het Bos (1001) · Invalid token · What to do: Paste a new "
            "token for it. · https://connections.example.com/inspect?connection=7") in body
    assert "Working again:\n- Bloom · account Bloom (102) · Valid · https://" in body


def test_one_connections_title_says_what_happened_to_it_and_the_type_follows_severity():
    from copernica_core.alerts import notify_type

    def run(status, state=None):
        result = evaluate([Watched(7, "Tandarts Wit", "Wit (1001)", status, "Fix it.", state or AlertState())],
                          OutageState(),
                          now=START, alert_after=timedelta(0), remind_every=timedelta(hours=24))
        return compose(result)[0], notify_type(result)

    assert run(I) == ("Tandarts Wit: token revoked or invalid", "failure")
    assert run(Outcome.ACCOUNT_CHANGED) == ("Tandarts Wit: token now reaches another account", "failure")
    assert run(Outcome.RATE_LIMITED, AlertState(START - timedelta(hours=1))) == ("Tandarts Wit: rate limited",
                                                                                 "warning")
    assert run(V, AlertState(START, "invalid_token", START)) == ("Tandarts Wit: working again", "success")


def test_a_message_about_thousands_of_connections_lists_some_and_counts_the_rest():
    """Slack and Teams cap a message's size: 5,000 broken connections made an 840 KB body."""
    from copernica_core.alerts import MAX_LISTED

    watched = [Watched(i, f"Shop {i:04d}", f"Shop ({i})", I, "Re-authorize it.") for i in range(5000)]
    result = evaluate(watched, OutageState(), now=START, alert_after=timedelta(minutes=30),
                      remind_every=timedelta(hours=24))
    title, body = compose(result, public_url="https://connections.example.com")
    assert title == "Copernica Connections: 5000 need attention"
    assert sum(line.startswith("- Shop") for line in body.splitlines()) == MAX_LISTED
    assert f"…and {5000 - MAX_LISTED} more: https://connections.example.com/" in body
    assert len(body.encode()) < 20_000
    import json

    from copernica_core.alerts import fields
    data = fields(result, public_url="https://connections.example.com")
    assert len(data["connections"]) == MAX_LISTED and data["not_listed"] == 5000 - MAX_LISTED
    assert len(json.dumps(data)) < 20_000


def test_when_copernica_answers_again_the_message_lists_what_is_still_broken():
    """Outages keep the to-do list: the all-clear must not read as if everything works."""
    from copernica_core.alerts import fields

    outage = OutageState(START - timedelta(hours=1), START - timedelta(minutes=50))
    watched = [Watched(1, "Acme", "Acme (101)", V, "", AlertState(START, "outage", None)),
               Watched(2, "Bloom", "Bloom (102)", V, "", AlertState(START, "outage", None)),
               Watched(3, "Tandarts Wit", "Wit (1001)", I, "Re-authorize it.",
                       AlertState(START, "invalid_token", START), client="Wit BV", account_id="1001"),
               Watched(4, "Camping", "Bos (1002)", A, "Look at it.", AlertState(START, "account_changed", START))]
    result = evaluate(watched, outage, now=START, alert_after=timedelta(minutes=30), remind_every=timedelta(hours=24))
    assert result.outage_notice == "back" and not result.notices
    title, body = compose(result, public_url="https://c.example.com")
    assert title == "Copernica Connections: Copernica answers again"
    assert body.startswith("Copernica answers again.\n\nStill broken now that Copernica answers:\n")
    assert "- Camping · account Bos (1002) · Account changed · What to do: Look at it." in body
    assert "- Tandarts Wit (client Wit BV) · account Wit (1001) · Invalid token" in body
    assert "Acme" not in body
    data = fields(result, public_url="https://c.example.com")
    assert data["outage"] == "back"
    assert {"event": "still broken", "connection_id": 3, "label": "Tandarts Wit", "client": "Wit BV",
            "account_id": "1001", "account": "Wit (1001)", "status": "invalid_token",
            "inspect_url": "https://c.example.com/inspect?connection=3"} in data["connections"]

    everything_works = evaluate(watched[:2], outage, now=START, alert_after=timedelta(minutes=30),
                                remind_every=timedelta(hours=24))
    assert compose(everything_works)[1] == "Copernica answers again. Every connection works."
