"""Who watches the watcher, with real processes: `health` for monitors (a running watcher, a
killed one, a stuck lease, a missing database), the heartbeat ping to a monitor, the banner on
every page when scheduled checks stop, and one "scheduled checks stopped" message from a
`check --notify` run by cron."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from copernica_core import Actor, Role
from copernica_core.clock import iso
from copernica_core.config import load_settings
from copernica_core.health import health

from .conftest import make_workspace
from .helpers import app, cli_process, start_cli, texts, wait_for

EVERY = 5  # seconds: the shortest schedule the watcher accepts


@pytest.fixture
def watched(sandbox_env, control, webhook, monitor):
    ws = make_workspace(sandbox_env)
    for account in ("101", "102"):
        [token] = control.tokens(account)
        ws.add_token(token)
    ws.close()
    return {**sandbox_env, "COPERNICA_NOTIFY": webhook.url(), "COPERNICA_HEARTBEAT_URL": monitor.url(),
            "COPERNICA_WATCH_LEASE": "2s"}


def healthy_now(env: dict) -> bool:
    return health(load_settings(env, secrets_files=[]), now=datetime.now(UTC)).ok


def test_a_running_watcher_is_healthy_pings_its_monitor_and_a_killed_one_is_noticed_everywhere(
        watched, monitor, webhook, tmp_path, monkeypatch):
    watcher = start_cli(watched, "watch", "--every", f"{EVERY}s", log=tmp_path / "watch.log")
    try:
        wait_for(lambda: monitor.pings, 30, "the first heartbeat ping")
        assert monitor.pings[0] == "/ping/5f1e-monitor-key-0123456789"  # a run that checked: no /fail
        ok = cli_process(watched, "health")
        assert ok.returncode == 0 and ok.stdout.startswith("ok: 2 connections"), ok.stdout + ok.stderr
        report = json.loads(cli_process(watched, "health", "--json").stdout)
        assert report["ok"] and report["watcher"]["running"] and report["watcher"]["every_seconds"] == EVERY
    finally:
        os.kill(watcher.pid, signal.SIGKILL)  # out of memory, a reboot without its service, …
        watcher.wait(timeout=10)
    assert "5f1e-monitor-key" not in (tmp_path / "watch.log").read_text()  # the monitor's key is not shown

    wait_for(lambda: not healthy_now(watched), 4 * EVERY, "health to notice the killed watcher")
    stopped = cli_process(watched, "health")
    assert stopped.returncode == 1
    assert stopped.stdout.startswith("unhealthy: no scheduled run for ") and f"(every {EVERY} s)" in stopped.stdout
    assert f"last watcher pid {watcher.pid} on host" in stopped.stdout

    for name, value in watched.items():  # the dashboard: a banner on every page, for every role
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    at = app().run()  # every page: tests/e2e/test_agency.py (AppTest's switch_page drops what the entrypoint drew)
    assert not at.exception
    [banner] = [e.value for e in at.error if "Scheduled checks stopped" in e.value]
    assert "statuses may be out of date" in banner and "python -m copernica_core watch" in banner
    import signin
    monkeypatch.setattr(signin, "acting_person", lambda settings: Actor("vic@agency.example", Role.VIEWER))
    at = app().run()
    [banner] = [e.value for e in at.error if "Scheduled checks stopped" in e.value]
    assert "Tell an admin of this dashboard." in banner
    assert "Scheduled checks stopped: the last run was" in texts(at)

    # cron's fallback `check --notify` says so once, not at every run
    for _ in range(2):
        assert cli_process(watched, "check", "--notify").returncode == 0
    stop_messages = [m for m in webhook.messages if "scheduled checks stopped" in m["title"]]
    assert len(stop_messages) == 1 and stop_messages[0]["type"] == "failure"
    assert f"pid {watcher.pid}" in stop_messages[0]["message"]


def test_health_reads_only_and_a_missing_database_is_exit_1_with_nothing_created(tmp_path):
    env = {"COPERNICA_DB": str(tmp_path / "nowhere" / "copernica.db")}
    missing = cli_process(env, "health")
    assert missing.returncode == 1 and "there is no database at" in missing.stdout
    assert not (tmp_path / "nowhere").exists()
    assert cli_process(env, "health", "--bogus").returncode == 2


def test_health_without_the_key_or_with_the_wrong_one_is_exit_1_and_creates_no_key(sandbox_env, control, tmp_path):
    ws = make_workspace(sandbox_env)
    ws.add_token(control.tokens("101")[0])
    ws.close()
    key_file = Path(sandbox_env["COPERNICA_DB"]).with_name("secret.key")
    key_file.rename(tmp_path / "kept-apart.key")
    no_key = cli_process(sandbox_env, "health")
    assert no_key.returncode == 1 and "there is no key" in no_key.stdout
    assert not key_file.exists()
    from copernica_core.crypto import new_key
    wrong = cli_process({**sandbox_env, "COPERNICA_SECRET_KEY": new_key().reveal()}, "health")
    assert wrong.returncode == 1 and "does not open the stored secrets" in wrong.stdout


def test_health_calls_a_stuck_lease_stuck_and_expects_a_watcher_when_one_is_configured(sandbox_env, tmp_path):
    make_workspace(sandbox_env).close()
    assert cli_process(sandbox_env, "health").returncode == 0  # no watcher ever ran, none configured
    expected = cli_process({**sandbox_env, "COPERNICA_WATCH_EVERY": "15m"}, "health")
    assert expected.returncode == 1 and "no scheduled run yet, and no watcher is running" in expected.stdout

    now = datetime.now(UTC)
    with sqlite3.connect(sandbox_env["COPERNICA_DB"]) as db:  # renewed by a watcher whose runs hang
        db.execute("INSERT OR REPLACE INTO watcher (id, holder, expires_at, heartbeat_at, every_seconds, "
                   "last_run_started_at, last_run_finished_at) VALUES (1, ?, ?, ?, 900, ?, ?)",
                   ["box-7:4121:abcd1234", iso(now + timedelta(seconds=10)), iso(now),
                    iso(now - timedelta(minutes=47)), iso(now - timedelta(minutes=48))])
    stuck = cli_process(sandbox_env, "health")
    assert stuck.returncode == 1
    assert stuck.stdout.strip() == ("unhealthy: no scheduled run for 47 min (every 15 min); last watcher pid 4121 "
                                    "on host box-7 (its lease is still renewed: it is stuck)")


def test_a_run_the_database_stopped_pings_fail_and_a_slow_monitor_holds_nothing_up(sandbox_env, monitor):
    from copernica_core import watch

    env = {**sandbox_env, "COPERNICA_HEARTBEAT_URL": monitor.url()}
    ws = make_workspace(env)

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    ws.check = locked
    with pytest.raises(sqlite3.OperationalError):
        watch.Watcher(ws).once(every=timedelta(minutes=15))
    assert monitor.pings == ["/ping/5f1e-monitor-key-0123456789/fail"]
    ws.close()

    monitor.hold = threading.Event()  # a monitor that does not answer
    notes: list[str] = []
    beat = watch.ping_beside(load_settings(env, secrets_files=[]).heartbeat_url, failed=False,
                             on_problem=notes.append)
    assert beat.is_alive()  # the ping runs beside the schedule, which goes on
    monitor.hold.set()
    beat.join(timeout=30)
    assert notes == [] and monitor.pings[-1] == "/ping/5f1e-monitor-key-0123456789"


@pytest.mark.parametrize(("kind", "given", "ran", "failed"), [
    # healthchecks.io: /fail after the path, the query kept (a slug URL with ?create=1)
    ("healthchecks", "/ping/1f2e-uuid-0123456789", ("healthchecks", "1f2e-uuid-0123456789", "up"),
     ("healthchecks", "1f2e-uuid-0123456789", "down")),
    ("healthchecks", "/ping/ping-key-0123456789/nightly-watch?create=1",
     ("healthchecks", "ping-key-0123456789/nightly-watch", "up"),
     ("healthchecks", "ping-key-0123456789/nightly-watch", "down")),
    # Uptime Kuma's push URL as its page gives it: status=down, not `&ping=/fail` (which it records as up)
    ("uptime-kuma", "/api/push/kuma-token-0123456789?status=up&msg=OK&ping=",
     ("uptime-kuma", "kuma-token-0123456789", "up", "OK"),
     ("uptime-kuma", "kuma-token-0123456789", "down", "the watcher could not check")),
])
def test_each_monitor_hears_a_run_that_failed_as_a_failure(sandbox_env, kind, given, ran, failed):
    """What each monitor records, as its own routes read the pings: a run that checked is up, a
    run that could not check is down, for the URL forms the monitors give out."""
    from copernica_core import heartbeat, watch

    from .receivers import Monitors

    monitors = Monitors()
    try:
        url = load_settings({**sandbox_env, "COPERNICA_HEARTBEAT_URL": monitors.base() + given},
                            secrets_files=[]).heartbeat_url
        assert heartbeat.kind(url.reveal()) == kind
        assert watch.ping(url, failed=False) == ""
        assert watch.ping(url, failed=True) == ""
        assert monitors.shown == [ran, failed]
        wrong = load_settings({**sandbox_env, "COPERNICA_HEARTBEAT_URL": monitors.base() + "/push/not-a-route"},
                              secrets_files=[]).heartbeat_url
        assert watch.ping(wrong, failed=True) == ""  # an unknown monitor: its answer is not read
        kuma_page = load_settings({**sandbox_env, "COPERNICA_HEARTBEAT_URL": monitors.base() + "/ping/x/y/z/w/v"},
                                  secrets_files=[]).heartbeat_url
        assert "not that it recorded the ping" in watch.ping(kuma_page, failed=False)  # 200, but nothing recorded
    finally:
        monitors.stop()


def test_an_explicit_failure_address_and_a_locked_database_reach_the_monitor(cli_env, capsys, monkeypatch):
    """COPERNICA_HEARTBEAT_FAIL_URL takes "could not check" as it is; `watch --once` on a database
    locked by another process (longer than the busy timeout) pings it too, and says the database
    was locked (not "free some space")."""
    from copernica_core import watch

    from .helpers import run
    from .receivers import Monitors

    monitors = Monitors()
    monkeypatch.setenv("COPERNICA_HEARTBEAT_URL", monitors.base() + "/ping/ok-uuid-0123456789")
    monkeypatch.setenv("COPERNICA_HEARTBEAT_FAIL_URL", monitors.base() + "/api/push/explicit-0123456789?status=down")

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(watch, "try_lease", locked)
    try:
        code, _, err = run(capsys, "watch", "--once")
    finally:
        monitors.stop()
    assert code == 2 and "locked" in err and "Another process held it" in err and "Free some space" not in err
    assert monitors.shown == [("uptime-kuma", "explicit-0123456789", "down", "")]
