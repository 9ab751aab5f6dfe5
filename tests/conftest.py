"""Shared fixtures: a temporary database per test (SQLite; for the modules in BOTH_ENGINES also
a PostgreSQL database of its own in a throw-away cluster), Copernica's default endpoints for
`responses`, and a real sandbox server for the flows that need a peer."""

from __future__ import annotations

import os
import socket

import pytest
import requests

from copernica_core.access import Actor, Role
from copernica_core.config import load_settings
from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET, SandboxServer
from copernica_core.workspace import Workspace

API = "https://api.copernica.com"
AUTH = "https://authenticate.copernica.com"


@pytest.fixture(autouse=True)
def _no_stray_settings(monkeypatch, tmp_path):
    """Tests see only the settings they set, never the developer's environment or files."""
    import os

    for name in list(os.environ):
        if name.startswith("COPERNICA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def copernica_double(monkeypatch):
    """Copernica answered by `responses` (unit tests of the HTTP client): the calls take
    requests' transport, which `responses` replaces (copernica_core/api.py, TRANSPORT)."""
    import responses

    from copernica_core import api

    monkeypatch.setattr(api, "TRANSPORT", api.REQUESTS)
    responses.start()
    try:
        yield responses
    finally:
        responses.stop()
        responses.reset()


# The storage, watcher, alert and link tests run against both engines: each of their tests that
# uses `env` runs twice, as test[sqlite] and test[postgresql]. (The other modules run on SQLite:
# what they test is above the storage package, which these cover on both.)
BOTH_ENGINES = {"test_storage", "test_watch", "test_connect_links", "test_crash_and_concurrency", "test_rotation",
                "test_alert_rules", "test_copy_db", "test_client_language"}


def pytest_generate_tests(metafunc):
    if ("engine" in metafunc.fixturenames and metafunc.module.__name__.rsplit(".", 1)[-1] in BOTH_ENGINES
            and not metafunc.definition.get_closest_marker("one_engine")):
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_cluster(request):
    """One throw-away PostgreSQL cluster per test run (tests/pg_cluster.py): with pytest-xdist,
    shared by its workers (the controller stops it, `pytest_unconfigure`); else this process's own."""
    from copernica_core.store import postgres
    from tests.pg_cluster import Cluster, shared

    if hasattr(request.config, "workerinput"):
        yield shared(os.getppid())
        postgres.forget_pools()
        return
    cluster = Cluster()
    yield cluster
    postgres.forget_pools()
    cluster.destroy()


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):  # the run's controller (or a run without workers)
        from tests.pg_cluster import stop_shared

        stop_shared(os.getpid())


_databases = iter(range(1, 10**9))


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A new, empty PostgreSQL database."""
    return pg_cluster.create(f"t{os.getpid()}_{next(_databases)}")


@pytest.fixture
def env(tmp_path, engine, request) -> dict[str, str]:
    values = {"COPERNICA_DB": str(tmp_path / "data" / "copernica.db")}
    if engine == "postgresql":
        values["COPERNICA_DATABASE_URL"] = request.getfixturevalue("pg_url")
    return values


TESTER = Actor("test", Role.ADMIN)


def make_workspace(env: dict[str, str], *, actor: Actor = TESTER) -> Workspace:
    """A workspace on these settings only (no secrets file), acting as `actor`."""
    return Workspace(load_settings(env, secrets_files=[]), actor=actor)


@pytest.fixture
def ws(env):
    workspace = make_workspace(env)
    yield workspace
    workspace.close()


def free_port() -> int:
    """A port nobody listens on right now (for a server to start on, or to be refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def sandbox_server():
    """One sandbox for the whole run, shared by core and browser tests."""
    server = SandboxServer(hang_seconds=3).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox with its faults, latency and settings cleared before each test."""
    requests.post(sandbox_server.base_url + "/_sandbox/clear", json={})
    requests.post(sandbox_server.base_url + "/_sandbox/settings",
                  json={"jwt_ttl": 86400, "jwt_format": "bare", "jwt_exp": None, "customer_depth": 0,
                        "jwt_refusal": "401", "token_refusal": "400", "exchange_error": "400_json"})
    return sandbox_server


class SandboxControl:
    def __init__(self, server: SandboxServer):
        self.server = server

    def post(self, action: str, **data) -> dict:
        response = requests.post(f"{self.server.base_url}/_sandbox/{action}", json=data, timeout=5)
        response.raise_for_status()
        return response.json()

    def tokens(self, account_id: str = "101", count: int = 1) -> list[str]:
        return self.post("tokens", account_id=account_id, count=count)["tokens"]

    def stats(self) -> dict:
        return requests.get(f"{self.server.base_url}/_sandbox/stats", timeout=5).json()["calls"]


@pytest.fixture
def control(sandbox) -> SandboxControl:
    return SandboxControl(sandbox)


@pytest.fixture
def sandbox_env(env, sandbox) -> dict[str, str]:
    return {**env, **sandbox.env()}


@pytest.fixture
def sws(sandbox_env):
    """A workspace talking to the sandbox, with the demo application registered."""
    workspace = make_workspace(sandbox_env)
    workspace.save_application(label="Demo", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    yield workspace
    workspace.close()


def running(receiver):
    """A receiver (tests/receivers.py), started for one test and stopped after it."""
    yield receiver
    receiver.stop()


@pytest.fixture
def webhook():
    """A real webhook receiver on loopback (Apprise's json://)."""
    from .receivers import Webhook

    yield from running(Webhook())


@pytest.fixture
def monitor():
    """A heartbeat monitor on loopback (healthchecks.io's push convention)."""
    from .receivers import Monitor

    yield from running(Monitor())


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback (aiosmtpd), for mailto:// targets."""
    from .receivers import Mailbox

    yield from running(Mailbox())


@pytest.fixture
def cli_env(sandbox_env, monkeypatch):
    """The command line's environment, pointing at an (empty) database and the sandbox."""
    for name, value in sandbox_env.items():
        monkeypatch.setenv(name, value)
    make_workspace(sandbox_env).close()
    return sandbox_env


@pytest.fixture
def page_env(env, monkeypatch):
    """The environment of a page run by AppTest, from the project's root (pages are found
    relative to dashboard.py)."""
    from pathlib import Path

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    return env


@pytest.fixture
def agency(sandbox_env, webhook):
    """A workspace with the demo application, a public address for connect links, and alerts to `webhook`."""
    env = {**sandbox_env, "COPERNICA_PUBLIC_URL": "https://connections.example.com",
           "COPERNICA_NOTIFY": webhook.url()}
    from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET
    ws = make_workspace(env)
    ws.save_application(label="Demo", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    yield env, ws
    ws.close()
