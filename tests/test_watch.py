"""The watcher with real processes and real receivers (a webhook and an SMTP server)
against the sandbox: one alert when a token is revoked, none when nothing changed, one
recovery, one "looks down", one watcher per database, and nothing lost or doubled."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from .conftest import make_workspace
from .helpers import cli_process as run
from .helpers import start_cli as start
from .helpers import stored_bytes, wait_for


@pytest.fixture
def watched(sandbox_env, control, webhook, mailbox):
    """Three pasted connections and the settings of a watcher that notifies both receivers."""
    ws = make_workspace(sandbox_env)
    for account in ("101", "102", "103"):
        [token] = control.tokens(account)
        ws.add_token(token)
    ws.close()
    control.post("reset_stats")
    return {**sandbox_env, "COPERNICA_NOTIFY": f"{webhook.url()} {mailbox.url()}",
            "COPERNICA_PUBLIC_URL": "https://connections.example.com", "COPERNICA_TIMEOUT": "2",
            "COPERNICA_WATCH_LEASE": "3s"}  # a killed watcher's standby takes over within seconds


def test_revoked_token_one_alert_then_quiet_then_one_recovery(watched, control, webhook, mailbox, tmp_path):
    assert run(watched, "watch", "--once").returncode == 0
    assert webhook.messages == [] and mailbox.mails == []  # nothing changed: nothing said

    control.post("revoke", account_id="102")
    process = start(watched, "watch", "--every", "5s", log=tmp_path / "watch.log")
    try:
        wait_for(lambda: webhook.messages, 15, "the alert")
        [alert] = webhook.messages
        assert alert["title"] == "Bloom Florists: token revoked or invalid"  # what happened, to what
        assert alert["type"] == "failure"  # Apprise's notify type: receivers route on it
        assert "Bloom Florists" in alert["message"] and "Invalid token" in alert["message"]
        [about] = alert["connections"]  # the same news as fields, for receivers that route on them
        assert {k: about[k] for k in ("event", "label", "account_id", "status", "inspect_url")} == {
            "event": "broken", "label": "Bloom Florists", "account_id": "102", "status": "invalid_token",
            "inspect_url": f"https://connections.example.com/inspect?connection={about['connection_id']}"}
        assert "Paste a new access token of account Bloom Florists" in alert["message"]
        assert "on its Inspect page (“Fix this connection”)" in alert["message"]
        assert "https://connections.example.com/inspect?connection=2" in alert["message"]
        wait_for(lambda: len(mailbox.mails) == 1, 10, "the e-mail")
        assert "Bloom Florists" in mailbox.mails[0]
        runs = lambda: (tmp_path / "watch.log").read_text().count("checked:")  # noqa: E731
        wait_for(lambda: runs() >= 2, 15, "another run")
        assert len(webhook.messages) == 1  # another run: nothing new to say

        ws = make_workspace(watched)
        [token] = control.tokens("102")
        assert ws.add_token(token, connection_id=2).replaced  # the fix: a new token for the same connection
        ws.close()
        wait_for(lambda: len(webhook.messages) == 2, 15, "the recovery")
        recovery = webhook.messages[1]
        assert (recovery["title"], recovery["type"]) == ("Bloom Florists: working again", "success")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    log = (tmp_path / "watch.log").read_text()
    assert "Traceback" not in log and "checked: 2 valid, 1 invalid token" in log


@pytest.mark.one_engine  # the alert rules' timing, not the storage
def test_copernica_down_longer_than_the_threshold_is_one_message(watched, control, webhook):
    env = {**watched, "COPERNICA_ALERT_AFTER": "1s"}
    control.post("fail", endpoint="any", kind="overload503", times=0)
    run(env, "watch", "--once")
    assert webhook.messages == []  # not yet longer than the threshold
    time.sleep(1.2)
    assert run(env, "watch", "--once").returncode == 1
    [message] = webhook.messages
    assert message["title"] == "Copernica Connections: Copernica looks down (3 of 3 connections)"
    assert "3 of 3 connections" in message["message"] and "Acme" not in message["message"]
    run(env, "watch", "--once")
    assert len(webhook.messages) == 1
    control.post("clear")
    run(env, "watch", "--once")
    assert [m["title"] for m in webhook.messages][1:] == ["Copernica Connections: Copernica answers again"]


def test_a_failing_target_is_recorded_retried_and_loses_nothing(watched, control, webhook, mailbox):
    webhook.status = 500
    control.post("revoke", account_id="101")
    result = run(watched, "watch", "--once")
    assert "failed" in result.stderr and "hook-secret" not in result.stderr
    assert webhook.messages == [] and len(mailbox.mails) == 1  # one target failing stops nothing
    ws = make_workspace(watched)
    [failed] = [d for d in ws.recent_deliveries() if d.status != "sent"]
    assert failed.status == "failed" and failed.redacted.startswith("json://127.0.0.1")
    ws.close()
    webhook.status = 200
    run(watched, "watch", "--once")
    assert len(webhook.messages) == 1 and "Acme Retail" in webhook.messages[0]["message"]
    assert len(mailbox.mails) == 1  # not sent twice


def test_a_watcher_killed_before_sending_sends_on_its_next_run(watched, control, webhook):
    """What the rules said is in the outbox; the next run delivers it, once."""
    from copernica_core import notify

    ws = make_workspace(watched)
    control.post("revoke", account_id="103")
    ws.check()
    real = notify.deliver_pending
    notify.deliver_pending = lambda *a, **k: []  # the process dies right after the commit
    try:
        ws.apply_alert_rules()
    finally:
        notify.deliver_pending = real
    ws.close()
    assert webhook.messages == []
    run(watched, "watch", "--once")
    assert len(webhook.messages) == 1 and "Northwind" in webhook.messages[0]["message"]


def another_host(env: dict, tmp_path, engine: str) -> dict:
    """A second watcher's settings: on PostgreSQL those of another host (a data directory of its
    own, the key given as COPERNICA_SECRET_KEY); on SQLite the same file, on the same host."""
    if engine == "sqlite":
        return env
    key = (Path(env["COPERNICA_DB"]).parent / "secret.key").read_text().strip()
    return {**env, "COPERNICA_DB": str(tmp_path / "second-host" / "copernica.db"), "COPERNICA_SECRET_KEY": key}


def test_two_watchers_never_check_twice_and_the_standby_takes_over_a_killed_one(watched, control, tmp_path, engine):
    first = start(watched, "watch", "--every", "5s", log=tmp_path / "first.log")
    wait_for(lambda: "checked" in (tmp_path / "first.log").read_text(), 20, "the first run")
    second = start(another_host(watched, tmp_path, engine), "watch", "--every", "5s", log=tmp_path / "second.log")
    try:
        wait_for(lambda: "Standby" in (tmp_path / "second.log").read_text(), 20, "the standby")
        def runs() -> int:
            return (tmp_path / "first.log").read_text().count("checked:")

        done = runs()
        wait_for(lambda: runs() > done, 15, "a run to finish")
        control.post("reset_stats")  # between runs: the next one starts some 5 s later
        wait_for(lambda: runs() > done + 1, 15, "the next run")
        assert control.stats().get("identity", 0) == 3  # three connections, checked once in the period
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        wait_for(lambda: "Took over" in (tmp_path / "second.log").read_text(), 25, "the take-over")
        assert time.monotonic() - killed_at <= 3 + 4  # one lease period, plus one standby poll, plus start-up
        wait_for(lambda: (tmp_path / "second.log").read_text().count("checked:") >= 1, 15, "a run")
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
    assert "Traceback" not in (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()


def test_watch_once_while_another_watcher_holds_the_lease_exits_2(watched, tmp_path):
    process = start(watched, "watch", "--every", "1h", log=tmp_path / "w.log")
    try:
        wait_for(lambda: "checked" in (tmp_path / "w.log").read_text(), 20, "the first run")
        result = run(watched, "watch", "--once")
        assert result.returncode == 2 and "another watcher is active" in result.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_no_webhook_secret_or_token_in_the_database_or_messages(watched, control, webhook, tmp_path):
    ws = make_workspace(watched)
    ws.add_notify_target(webhook.url("stored-hook-secret-987654"), label="Ops hook")
    ws.close()
    control.post("revoke", account_id="101")
    result = run(watched, "watch", "--once")
    blobs = stored_bytes(watched)
    texts = [blobs.decode("latin-1"), result.stdout, result.stderr, str(webhook.messages)]
    secrets = ["hook-secret-0123456789", "stored-hook-secret-987654", *control.server.state.tokens]
    for secret in secrets:
        assert not any(secret in text for text in texts), secret
    assert len(webhook.messages) == 2  # the environment's target and the stored one


def test_a_watcher_paused_while_sending_never_makes_the_alert_go_out_twice(watched, control, webhook, tmp_path,
                                                                           engine):
    """The leader freezes (SIGSTOP: a VM pause, a long GC) while a slow target takes the alert;
    its standby takes over and runs; the leader wakes. The alert went out once: each delivery is
    claimed before it is sent, and a watcher that lost its lease writes and sends nothing more."""
    # rto=30: the target may take half a minute to answer (Apprise's default is 4 s, after which
    # the message counts as not delivered and is retried: at least once, by design)
    env = {**watched, "COPERNICA_NOTIFY": webhook.url() + "?rto=30"}
    webhook.hold = threading.Event()  # the target takes the message, then answers only when told
    first = start(env, "watch", "--every", "5s", log=tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: "checked" in (tmp_path / "first.log").read_text(), 20, "the first run")
        second = start(another_host(env, tmp_path, engine), "watch", "--every", "5s", log=tmp_path / "second.log")
        wait_for(lambda: "Standby" in (tmp_path / "second.log").read_text(), 20, "the standby")
        control.post("revoke", account_id="102")
        wait_for(lambda: len(webhook.messages) == 1, 20, "the alert reaching the target")
        first.send_signal(signal.SIGSTOP)  # frozen mid-send, its heartbeat too
        wait_for(lambda: "Took over" in (tmp_path / "second.log").read_text(), 20, "the take-over")
        wait_for(lambda: "checked:" in (tmp_path / "second.log").read_text(), 20, "the new leader's run")
        webhook.hold.set()
        first.send_signal(signal.SIGCONT)
        wait_for(lambda: "Lost the lease" in (tmp_path / "first.log").read_text(), 20, "the old leader noticing")
        logs = (tmp_path / "first.log").read_text() + "\n----\n" + (tmp_path / "second.log").read_text()
        assert len(webhook.messages) == 1, logs
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    assert "Traceback" not in (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    if engine != "sqlite":
        assert not (tmp_path / "second-host" / "copernica.db").exists()  # with PostgreSQL, nothing in SQLite


@pytest.mark.one_engine  # what is printed, not the storage
def test_watch_once_quiet_prints_only_runs_that_changed_something(watched, control):
    assert run(watched, "watch", "--once", "--quiet").stdout == ""
    control.post("revoke", account_id="103")
    changed = run(watched, "watch", "--once", "--quiet")
    assert changed.returncode == 1
    assert "Northwind Travel · valid → invalid_token · https://connections.example.com/inspect?connection=3" in \
        changed.stdout
    assert run(watched, "watch", "--once", "--quiet").stdout == ""
