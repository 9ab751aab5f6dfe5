"""Checking many connections: retries, cancellation, progress and batched writes."""

import threading

import pytest

from copernica_core.models import Outcome

from .helpers import consent


@pytest.fixture
def fleet(sws, control):
    """Six connections: three pasted tokens and three authorized through the demo app, so
    every demo account is connected twice."""
    for account in ["101", "102", "103"]:
        [token] = control.tokens(account)
        sws.add_token(token, label=f"pasted {account}")
        url = sws.start_authorization(sws.applications()[0].id)
        assert sws.complete_authorization_url(consent(url, account=account)).ok
    control.post("reset_stats")
    return sws


def test_check_all_checks_every_connection_once_and_reuses_jwts(fleet, control):
    results = fleet.check(concurrency=3)
    assert len(results) == 6 and all(r.result.outcome is Outcome.VALID for r in results)
    assert control.stats() == {"identity": 6}  # JWTs cached at paste time are reused
    assert all(fleet.history_count(c.id) == 2 for c in fleet.connections())


def test_unavailable_is_retried_with_backoff_then_recorded_once(fleet, control, monkeypatch):
    monkeypatch.setattr("copernica_core.batch.BACKOFF_BASE", 0.01)
    control.post("fail", endpoint="identity", kind="html503", times=2)
    [checked] = fleet.check([fleet.connections()[0].id])
    assert checked.result.outcome is Outcome.VALID and checked.attempts == 3
    assert fleet.history_count(checked.connection_id) == 2


def test_rate_limit_honours_retry_after(fleet, control):
    control.post("fail", endpoint="identity", kind="429", times=1)
    [checked] = fleet.check([fleet.connections()[0].id])
    assert checked.result.outcome is Outcome.VALID and checked.attempts == 2


def test_invalid_token_is_never_retried(fleet, control):
    control.post("revoke", account_id="101")
    control.post("reset_stats")
    results = fleet.check()
    invalid = [r for r in results if r.result.outcome is Outcome.INVALID_TOKEN]
    assert len(invalid) == 2 and all(r.attempts == 1 for r in invalid)


def test_moved_token_is_account_changed(fleet, control):
    control.post("move", **{"from": "102", "to": "103"})
    changed = [r for r in fleet.check() if r.result.outcome is Outcome.ACCOUNT_CHANGED]
    assert len(changed) == 2
    assert {c.status for c in fleet.connections() if c.account.id == "102"} == {"account_changed"}


def test_cancel_stops_the_run_and_keeps_finished_checks(fleet, control):
    control.post("latency", ms=200)
    cancel = threading.Event()

    def progress(done, total, checked):
        cancel.set()

    results = fleet.check(concurrency=1, progress=progress, cancel=cancel)
    assert 1 <= len(results) < 6
    stored = sum(fleet.history_count(c.id) for c in fleet.connections()) - 6
    assert stored == len(results)


def test_progress_raising_stops_the_run_and_keeps_finished_checks(fleet, control):
    control.post("latency", ms=100)

    class Interrupted(Exception):
        pass

    def progress(done, total, checked):
        if done == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        fleet.check(concurrency=1, progress=progress)
    stored = sum(fleet.history_count(c.id) for c in fleet.connections()) - 6
    assert 2 <= stored < 6


def test_two_connections_to_one_account_are_flagged_as_duplicates(fleet):
    by_account = {}
    for c in fleet.connections():
        by_account.setdefault(c.account.id, set()).add(c.id)
    for c in fleet.connections():
        assert set(c.duplicate_of) == by_account[c.account.id] - {c.id}


def test_a_new_token_of_an_account_already_pasted_replaces_it_only_when_asked(fleet, control):
    before = {c.account.id: c.id for c in fleet.connections() if c.application_id is None}
    [token] = control.tokens("101")
    refused = fleet.add_token(token)
    assert refused.connection is None and refused.conflict.id == before["101"] and refused.would_change == ("token",)
    added = fleet.add_token(token, replace=True)
    assert added.replaced and added.connection.id == before["101"]
    assert len(fleet.connections()) == 6


def test_stale_when_last_ok_is_older_than_the_threshold(fleet):
    from datetime import timedelta

    later = fleet.clock() + timedelta(hours=25)
    fleet.clock = lambda: later
    assert all(c.stale for c in fleet.connections())


def test_summary_counts_states_and_raises_alerts_for_what_needs_a_person(fleet, control):
    from copernica_core.overview import summarize

    control.post("revoke", account_id="101")
    control.post("move", **{"from": "102", "to": "103"})
    fleet.check()
    summary = summarize(fleet.connections())
    assert (summary.total, summary.valid, summary.need_a_person, summary.other_problems) == (6, 2, 4, 0)
    errors = [a for a in summary.attention if a.severity == "error"]
    assert sorted(a.connection.status for a in errors) == ["account_changed", "account_changed",
                                                           "invalid_token", "invalid_token"]
    assert [a.connection.status.severity for a in summary.attention] == sorted(
        a.connection.status.severity for a in summary.attention)  # worst first
    assert len(summary.duplicates) == 6  # every account twice, apart from the broken ones


def test_filter_by_status_and_search_over_label_account_company_and_application(fleet, control):
    from copernica_core.overview import filter_connections

    control.post("revoke", account_id="103")
    fleet.check()
    everything = fleet.connections()
    assert {c.account.id for c in filter_connections(everything, statuses=["invalid_token"])} == {"103"}
    assert {c.account.id for c in filter_connections(everything, search="  bloom ")} == {"102"}
    assert len(filter_connections(everything, search="demo")) == 3  # the application's label
    assert filter_connections(everything, statuses=["valid"], search="northwind") == []


def test_a_stopped_run_against_dripping_answers_leaves_no_thread_behind(fleet, control):
    """Every call has a total time limit, so Stop never leaves a worker stuck on a server
    that keeps sending one byte at a time."""
    import time

    object.__setattr__(fleet.settings, "timeout", 1.0)
    control.post("fail", endpoint="identity", kind="drip", times=0)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    fleet.check(concurrency=4, cancel=cancel)
    assert time.monotonic() - started < 10  # the drip lasts a minute
    assert not [t for t in threading.enumerate() if t.name.startswith("check")]
    control.post("clear")


def test_an_outage_keeps_what_a_person_has_to_fix(sws, control):
    """During a Copernica outage every check is `unavailable`; a revoked token must still count
    as needing a person (its last token-level verdict stays until a check gets an answer)."""
    revoked = sws.add_token(control.tokens("101")[0], label="Revoked").connection
    working = sws.add_token(control.tokens("102")[0], label="Working").connection
    control.post("revoke", account_id="101")
    sws.check()
    control.post("fail", endpoint="any", kind="overload503", times=0)
    run = sws.check()
    statuses = {c.id: c.status for c in sws.connections()}
    assert statuses == {revoked.id: Outcome.INVALID_TOKEN, working.id: Outcome.UNAVAILABLE}
    assert {c.connection_id: c.after for c in run.changes}[revoked.id] is Outcome.INVALID_TOKEN  # no flapping
    assert sws.history(revoked.id)[0].outcome == "unavailable"  # the history (newest first) says what happened
    assert sws.snapshot().summary.need_a_person == 1
    control.post("clear")
    sws.check()
    assert {c.id: c.status for c in sws.connections()} == {revoked.id: Outcome.INVALID_TOKEN,
                                                             working.id: Outcome.VALID}


def test_the_snapshot_knows_since_when_copernica_has_not_answered(sws, control):
    """The Overview's outage banner: most checked connections unanswered, since the first of
    them, with the verdicts a person must act on that were kept through it."""
    revoked = sws.add_token(control.tokens("101")[0], label="Revoked").connection
    for account in ("102", "103"):
        sws.add_token(control.tokens(account)[0])
    control.post("revoke", account_id="101")
    sws.check()
    assert sws.snapshot().outage is None
    control.post("fail", endpoint="any", kind="overload503", times=0)
    sws.check()
    first = {c.id: c.unanswered_since for c in sws.connections()}
    sws.check()
    outage = sws.snapshot().outage
    assert (outage.unanswered, outage.checked, outage.need_a_person) == (3, 3, 1)
    assert outage.since == min(first.values())  # since the first unanswered check, not the latest
    assert sws.connection(revoked.id).status is Outcome.INVALID_TOKEN
    control.post("clear")
    sws.check()
    assert sws.snapshot().outage is None
    assert all(c.unanswered_since is None for c in sws.connections())
