"""Key rotation against everything else that happens to a database at the same time: many
openers, writers with a workspace opened before the rotation, a second rotation, and a
rotation killed at any moment. Each runs many interleavings; afterwards every secret opens."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from copernica_core.config import ConfigError
from copernica_core.crypto import new_key, pending_key_file
from copernica_core.secret import Secret

from .conftest import make_workspace

SECRETS = 400


def seed(env: dict[str, str], count: int = SECRETS) -> dict[str, str]:
    """Applications with known client secrets, written straight through the store."""
    ws = make_workspace(env)
    expected = {}
    for n in range(count):
        ws.save_application(label=f"App {n}", client_key=f"ck-{n:05d}", client_secret=f"secret-{n:05d}-value")
        expected[f"ck-{n:05d}"] = f"secret-{n:05d}-value"
    ws.close()
    return expected


def stored_secrets(env: dict[str, str]) -> dict[str, str]:
    from copernica_core import store

    ws = make_workspace(env)
    try:
        return {a.client_key: store.application_secret(ws.db, ws.vault, a.id).reveal() for a in ws.applications()}
    finally:
        ws.close()


def key_file(env) -> Path:
    return Path(env["COPERNICA_DB"]).parent / "secret.key"


def cli(env: dict[str, str], *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "copernica_core", *args], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parent.parent, **kwargs)


def test_rotations_with_openers_and_writers_lose_no_secret(env):
    expected = seed(env)
    stop, errors = threading.Event(), []
    written: dict[str, str] = {}

    def opener(n: int) -> None:
        while not stop.is_set():
            try:
                ws = make_workspace(env)
                key, secret = f"writer-{n}-{len(written)}", f"written-{n}-{time.monotonic_ns()}"
                if n % 2 == 0:  # half of them also write a secret each time
                    ws.save_application(label="w", client_key=key, client_secret=secret)
                    written[key] = secret
                ws.close()
            except Exception as error:  # collected and asserted below
                errors.append(error)
            time.sleep(random.uniform(0, 0.01))

    threads = [threading.Thread(target=opener, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(8):
            rotating = make_workspace(env)
            rotating.rotate_key()
            rotating.close()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert stored_secrets(env) == {**expected, **written}
    assert not pending_key_file(key_file(env)).exists()


def test_a_workspace_opened_before_a_rotation_writes_with_the_new_key(env):
    seed(env, 3)
    early = make_workspace(env)
    rotating = make_workspace(env)
    rotating.rotate_key()
    rotating.close()
    early.save_application(label="late", client_key="ck-late", client_secret="secret-written-late")
    early.close()
    assert stored_secrets(env)["ck-late"] == "secret-written-late"


def test_with_an_environment_key_a_stale_writer_is_refused_and_writes_nothing(env):
    old = new_key()
    env_old = {**env, "COPERNICA_SECRET_KEY": old.reveal()}
    seed(env_old, 3)
    early = make_workspace(env_old)
    fresh = new_key()
    rotating = make_workspace(env_old)
    rotating.rotate_key(fresh)
    rotating.close()
    with pytest.raises(ConfigError, match="COPERNICA_SECRET_KEY"):
        early.save_application(label="late", client_key="ck-late", client_secret="secret-written-late")
    early.close()
    assert "ck-late" not in stored_secrets({**env, "COPERNICA_SECRET_KEY": fresh.reveal()})


def test_two_rotations_started_together_never_lose_the_key(env):
    expected = seed(env, 200)
    for _ in range(3):  # each round: both start at once, one waits or is refused
        first, second = cli(env, "rotate-key"), cli(env, "rotate-key")
        results = [(p.wait(timeout=60), p.stderr.read()) for p in (first, second)]
        for p in (first, second):
            p.stdout.close()
            p.stderr.close()
        codes = sorted(code for code, _ in results)
        assert codes in ([0, 0], [0, 2]), results
        if codes == [0, 2]:
            assert "Another rotate-key is running" in next(err for code, err in results if code == 2)
        assert stored_secrets(env) == expected


def test_a_rotation_killed_at_any_moment_leaves_a_database_one_key_opens(env):
    expected = seed(env, 1000)
    rng = random.Random(7)
    for _ in range(8):
        process = cli(env, "rotate-key")
        time.sleep(rng.uniform(0.2, 1.0))  # the interpreter's start-up (~0.4 s), then somewhere in the rotation
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        process.stderr.close()
        assert stored_secrets(env) == expected


def test_rotation_with_openers_in_other_processes(env):
    expected = seed(env, 1000)
    openers = [cli(env, "connections") for _ in range(2)]
    stop = time.monotonic() + 20
    for _ in range(2):
        rotation = cli(env, "rotate-key")
        while rotation.poll() is None and time.monotonic() < stop:
            for i, p in enumerate(openers):
                if p.poll() is not None:
                    assert p.returncode == 0, p.stderr.read()
                    p.stdout.close()
                    p.stderr.close()
                    openers[i] = cli(env, "connections")
            time.sleep(0.01)
        assert rotation.wait(timeout=60) == 0, rotation.stderr.read()
        rotation.stdout.close()
        rotation.stderr.close()
    for p in openers:
        assert p.wait(timeout=30) == 0
        p.stdout.close()
        p.stderr.close()
    assert stored_secrets(env) == expected
    assert Secret(key_file(env).read_text().strip())
