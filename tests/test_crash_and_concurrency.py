"""Processes die and several run at once: nothing finished is lost, nothing is half written."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from copernica_core.config import load_settings
from copernica_core.store import open_database

from .factories import seed_connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def many(sws, control):
    """Thirty connections to thirty sandbox accounts, seeded without calling Copernica."""
    accounts = control.post("accounts", count=30)["accounts"]
    for account_id in accounts:
        [token] = control.tokens(account_id)
        seed_connection(sws, account_id, token=token)
    return sws


def cli(env: dict, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "copernica_core", *args], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def checks_after_seed(env: dict) -> int:
    db = open_database(load_settings(env, secrets_files=[]).database)
    try:
        return db.execute("SELECT count(*) FROM checks").fetchone()[0] - 30
    finally:
        db.close()


def test_kill_9_during_check_all_keeps_finished_checks_and_a_sound_database(many, control, sandbox_env, engine):
    control.post("latency", ms=100)
    process = cli(sandbox_env, "check", "--all", "--concurrency", "2")
    deadline = time.monotonic() + 30
    while checks_after_seed(sandbox_env) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    if engine == "sqlite":
        with sqlite3.connect(sandbox_env["COPERNICA_DB"]) as sound:
            assert sound.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db = open_database(load_settings(sandbox_env, secrets_files=[]).database)
    finished = checks_after_seed(sandbox_env)
    assert 4 <= finished < 30, "the run was not killed midway"
    # every connection's status is the one of its latest check: none is half written
    rows = db.execute(
        "SELECT c.status, c.last_checked_at, (SELECT max(checked_at) FROM checks k WHERE k.connection_id = c.id)"
        " FROM connections c").fetchall()
    for status, last_checked, latest in rows:
        assert last_checked == latest
        assert status == "valid"


def test_eight_processes_checking_at_once_lose_nothing(many, control, sandbox_env):
    control.post("latency", ms=10)
    processes = [cli(sandbox_env, "check", "--all", "--json", "--concurrency", "3") for _ in range(8)]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        assert b"locked" not in err and b"Traceback" not in err
        assert len(json.loads(out)) == 30
    assert checks_after_seed(sandbox_env) == 8 * 30
