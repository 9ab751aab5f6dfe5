"""PostgreSQL as it fails in the field, with real processes: the server restarted under a running
watcher (it says so once, and goes on when the server is back), `health` and the command line
while it is down (one line naming the database, never its password, no traceback), two
"hosts" completing each other's authorizations, and backup/restore saying what to run instead."""

from __future__ import annotations

import signal

import pytest

from copernica_core import Actor
from copernica_core.config import load_settings
from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

from .conftest import make_workspace
from .helpers import callback_params, consent, wait_for
from .helpers import cli_process as run
from .helpers import start_cli as start
from .pg_cluster import Cluster

PASSWORD = "hunter2-never-shown"


@pytest.fixture
def own_cluster():
    """A cluster of this test's own: it is stopped and started again."""
    cluster = Cluster()
    yield cluster
    from copernica_core.store import postgres

    postgres.forget_pools()
    cluster.destroy()


@pytest.fixture
def on_postgres(sandbox_env, control, own_cluster, tmp_path):
    """Three pasted connections in a database of `own_cluster`, reached with a password in the URL."""
    own_cluster.create("fleet")
    env = {**sandbox_env, "COPERNICA_DATABASE_URL": own_cluster.url("fleet", password=PASSWORD),
           "COPERNICA_WATCH_LEASE": "3s", "COPERNICA_TIMEOUT": "2"}
    ws = make_workspace(env)
    for account in ("101", "102", "103"):
        [token] = control.tokens(account)
        ws.add_token(token)
    env["COPERNICA_SECRET_KEY"] = ws.vault.key.reveal()
    ws.close()
    return env


def test_a_restarted_server_stops_nothing_for_good_and_is_named_without_its_password(on_postgres, own_cluster,
                                                                                     tmp_path):
    env, log = on_postgres, tmp_path / "watch.log"
    named = f"postgresql://postgres@127.0.0.1:{own_cluster.port}/fleet"
    watcher = start(env, "watch", "--every", "5s", log=log)
    try:
        wait_for(lambda: log.read_text().count("checked:") >= 1, 30, "the first run")
        own_cluster.stop()

        health = run(env, "health")
        assert health.returncode == 1
        assert health.stdout.count("\n") + health.stderr.count("\n") == 1, health
        assert named in health.stdout + health.stderr and "does not answer" in health.stdout + health.stderr
        listed = run(env, "connections")
        assert listed.returncode == 2 and named in listed.stderr and "Traceback" not in listed.stderr
        wait_for(lambda: "could not check" in log.read_text(), 30, "the watcher saying the database is away")

        runs = log.read_text().count("checked:")
        own_cluster.start()
        wait_for(lambda: log.read_text().count("checked:") > runs, 40, "a run after the restart")
        assert run(env, "health").returncode == 0
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(timeout=30)
    text = log.read_text()
    assert "Traceback" not in text
    for output in (text, health.stdout, health.stderr, listed.stdout, listed.stderr):
        assert PASSWORD not in output


def test_an_authorization_started_on_one_host_completes_on_the_other(sandbox_env, pg_url, tmp_path):
    """Two dashboards behind a load balancer: the state is in the shared database, so the host
    that receives Copernica's redirect completes what the other one started."""
    env = {**sandbox_env, "COPERNICA_DATABASE_URL": pg_url}
    starter = Actor.local_dashboard()
    first = make_workspace(env, actor=starter)
    app = first.save_application(label="Demo", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    url = first.start_authorization(app.id)
    other_host = {**env, "COPERNICA_DB": str(tmp_path / "other-host" / "copernica.db"),
                  "COPERNICA_SECRET_KEY": first.vault.key.reveal()}
    second = make_workspace(other_host, actor=starter)
    try:
        params = callback_params(consent(url, account="102"))
        result = second.complete_authorization(code=params["code"], state=params["state"])
        assert result.connection_id is not None, result
        assert [c.account.id for c in first.connections()] == ["102"]
    finally:
        first.close(), second.close()
    assert not (tmp_path / "other-host" / "copernica.db").exists()


def test_backup_and_restore_on_postgresql_say_what_to_run_instead(on_postgres, tmp_path):
    backup = run(on_postgres, "backup", str(tmp_path / "copy.db"))
    assert backup.returncode == 2 and "pg_dump --format=custom" in backup.stderr
    assert not (tmp_path / "copy.db").exists()
    (tmp_path / "old.db").write_bytes(b"")
    restore = run(on_postgres, "restore", str(tmp_path / "old.db"))
    assert restore.returncode == 2 and "pg_restore" in restore.stderr and "Nothing was changed" in restore.stderr
    for output in (backup.stderr, restore.stderr):
        assert PASSWORD not in output
    assert load_settings(on_postgres, secrets_files=[]).database_name.endswith("/fleet")
