"""End to end: the real dashboard (`streamlit run`) and the sandbox Copernica, driven by
Debian's Chromium through Playwright; for deployments, Debian's nginx in front and a real
OpenID Connect provider (oidc-provider-mock). Screenshots of failed tests (and, with
SCREENSHOTS=1, of every page visited) land in artifacts/screenshots/."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from copernica_core import Actor
from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET, SandboxServer
from copernica_core.workspace import Workspace

from ..conftest import free_port, make_workspace
from ..receivers import OutsideRecorder

ROOT = Path(__file__).resolve().parents[2]
expect.set_options(timeout=15_000)  # shared, noisy machines: wait for the page, not for a clock
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-quic",
]


# Two groups of about equal length: with pytest-xdist each group runs on one worker, one test
# after another, beside the core tests (which mostly wait on real processes). A module keeps one
# Chromium and one dashboard.
_SECOND_GROUP = ("test_signin.py", "test_deployment.py", "test_demo.py", "test_replicas.py")


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            group = "browser-2" if item.fspath.basename in _SECOND_GROUP else "browser-1"
            item.add_marker(pytest.mark.xdist_group(group))


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the dashboard did not start within {timeout} s:\n{log.read_text()[-3000:]}")


class Dashboard:
    def __init__(self, url: str, env: dict[str, str], log: Path, sandbox: SandboxServer):
        self.url, self.env, self.log, self.sandbox = url, env, log, sandbox

    def control(self, action: str, **data) -> dict:
        response = requests.post(f"{self.sandbox.base_url}/_sandbox/{action}", json=data, timeout=5)
        response.raise_for_status()
        return response.json()

    def control_stats(self) -> dict:
        """The sandbox's calls per endpoint since its last reset_stats."""
        return requests.get(f"{self.sandbox.base_url}/_sandbox/stats", timeout=5).json()["calls"]


@contextlib.contextmanager
def run_dashboard(tmp_path, sandbox, *, env: dict[str, str] | None = None, args: tuple[str, ...] = (),
                  port: int | None = None, base: str = ""):
    """A fresh database and a `streamlit run` wired to the sandbox (on `port`, serving under
    `base` when args give it a server.baseUrlPath). Whatever the test does, the dashboard
    must not reach outside this machine: its proxy settings lead to a recorder that must stay
    empty, and its log must hold no traceback."""
    port = port or free_port()
    outside = OutsideRecorder()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COPERNICA_")},
        **outside.env(),
        **sandbox.env(),
        "COPERNICA_DB": str(tmp_path / "data" / "copernica.db"),
        "COPERNICA_REDIRECT_URI": f"http://localhost:{port}/authorize",
        **{name: value.replace("{port}", str(port)) for name, value in (env or {}).items()},
    }
    log = tmp_path / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             *(a.replace("{port}", str(port)) for a in args)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(f"http://localhost:{port}{base}/_stcore/health", process, log)
        yield Dashboard(f"http://localhost:{port}{base}", env, log, sandbox)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        outside.stop()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert outside.requests == [], f"the dashboard reached outside this machine: {outside.requests}"


@pytest.fixture
def fresh_dashboard(tmp_path, sandbox):
    """A `streamlit run` of its own, started for this one test, wired to the sandbox."""
    with run_dashboard(tmp_path, sandbox) as running:
        yield running


@pytest.fixture(scope="module")
def shared_dashboard(tmp_path_factory, sandbox_server):
    """One `streamlit run` per test module (starting one costs about two seconds)."""
    with run_dashboard(tmp_path_factory.mktemp("dashboard"), sandbox_server) as running:
        yield running


@contextlib.contextmanager
def as_if_just_installed(running: Dashboard):
    """A running dashboard with an empty database and a new key (each script run opens the
    database anew, so removing the files between tests is a fresh start); a traceback in its
    log meanwhile fails the test."""
    db = Path(running.env["COPERNICA_DB"])
    for name in (db.name, f"{db.name}-wal", f"{db.name}-shm", "secret.key"):
        (db.parent / name).unlink(missing_ok=True)
    logged_before = running.log.stat().st_size
    yield running
    with running.log.open() as log:
        log.seek(logged_before)
        assert "Traceback" not in (text := log.read()), text[-3000:]


@pytest.fixture
def dashboard(shared_dashboard, sandbox):
    """The module's dashboard, as if just installed."""
    with as_if_just_installed(shared_dashboard) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: `make test` installs Debian's chromium.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    if getattr(request.node, "failed_in_call", False):
        with contextlib.suppress(Exception):  # the page may be gone with what failed
            _save(page, f"failed-{request.node.name}")
    context.close()


# The public name of a deployment in the tests: Chromium resolves it to 127.0.0.1 (a name that
# is not loopback, as a remote visitor's browser would use).
PUBLIC_HOST = "connections.test"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
NGINX_CONF = """
worker_processes 1;
{user}
error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 256; }}
http {{
  # The README's access log: paths without their query (links, codes and states are secrets).
  log_format no_query '$remote_addr - $remote_user [$time_local] "$request_method $uri $server_protocol" '
                      '$status $body_bytes_sent "$http_user_agent"';
  access_log {dir}/access.log no_query;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    location {path} {{
      proxy_pass http://127.0.0.1:{upstream}{path};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 3600s;
{headers}
    }}
  }}
}}
"""
# What the README's deployment section asks of the proxy, beyond forwarding WebSockets.
README_PROXY_HEADERS = """      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;"""


@contextlib.contextmanager
def nginx(tmp_path, *, upstream: int, path: str = "/", headers: str = ""):
    """Debian's nginx on a loopback port in front of the dashboard at `upstream`; yields its
    port. Without `headers`, nginx's defaults: Host is the upstream's own address."""
    if not Path(NGINX).exists():
        pytest.fail(f"nginx is not installed at {NGINX}: `make test` installs Debian's nginx.")
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    (folder / "nginx.conf").write_text(NGINX_CONF.format(
        dir=folder, port=port, upstream=upstream, path=path, headers=headers,
        user="user root;" if os.geteuid() == 0 else ""))  # as root, workers may read these folders
    process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited early:\n{(folder / 'error.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def remote_browser(browser):
    """Chromium as a visitor from elsewhere sees the dashboard: through its public name."""
    remote = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {PUBLIC_HOST} 127.0.0.1"])
    yield remote
    remote.close()


ADMIN, VIEWER, STRANGER = "ann@agency.example", "victor@agency.example", "sam@elsewhere.example"
# Eve's provider account claims Ann's address without having verified it.
PEOPLE = (("ann", ADMIN, True), ("victor", VIEWER, True), ("sam", STRANGER, True), ("eve", ADMIN, False))


@pytest.fixture(scope="session")
def oidc(tmp_path_factory):
    """oidc-provider-mock with four people; its consent page signs in whoever is chosen."""
    port = free_port()
    log = tmp_path_factory.mktemp("oidc") / "oidc.log"
    users = [{"sub": sub, "email": email, "email_verified": verified} for sub, email, verified in PEOPLE]
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
             *[arg for user in users for arg in ("--user-claims", json.dumps(user))]],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/.well-known/openid-configuration", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def auth_secrets(path: Path, oidc: str, *, redirect_uri: str) -> Path:
    """A secrets.toml that signs people in at `oidc`."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        'cookie_secret = "a-cookie-secret-for-the-browser-tests-0123456789"\n'
        'client_id = "copernica-connections"\n'
        'client_secret = "oidc-client-secret-for-tests"\n'
        f'server_metadata_url = "{oidc}/.well-known/openid-configuration"\n')
    return path


def sign_in(page, url: str, who: str, *, lands_on: str = "Connections") -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=who, exact=True).click()  # the provider's consent page: the chosen person
    expect(page.get_by_role("heading", name=lands_on)).to_be_visible()


def workspace(dashboard) -> Workspace:
    """The dashboard's database, acting as its local user (so that states started here
    complete in the browser)."""
    return make_workspace(dashboard.env, actor=Actor.local_dashboard())


def add_demo_application(page, dashboard) -> None:
    page.goto(f"{dashboard.url}/credentials")
    expect(page.get_by_role("heading", name="Credentials")).to_be_visible()
    page.get_by_label("Label", exact=True).first.fill("Agency app")
    page.get_by_label("Client key").fill(DEMO_CLIENT_KEY)
    page.get_by_label("Client secret").fill(DEMO_CLIENT_SECRET)
    shoot(page, "credentials-filled")
    page.get_by_role("button", name="Add application").click()
    expect(alert(page, "Added Agency app")).to_be_visible()
    for field in page.get_by_label("Client secret").all():
        expect(field).to_have_value("")  # the secret is never put back into the page
    shoot(page, "credentials")


def authorize(page, dashboard, *, account: str, decision: str = "Give access") -> None:
    page.goto(f"{dashboard.url}/authorize")
    page.get_by_text("Authorize with Copernica").click()
    expect(page.get_by_role("heading", name="Give access to your Copernica account")).to_be_visible()
    shoot(page, "consent")
    page.get_by_label(account).check()
    page.get_by_role("button", name=decision).click()
    page.wait_for_url(f"{dashboard.url}/authorize**")


def seed_pasted_connections(dashboard, count: int) -> None:
    accounts = dashboard.control("accounts", count=count)["accounts"]
    ws = workspace(dashboard)
    for account_id in accounts:
        [token] = dashboard.control("tokens", account_id=account_id)["tokens"]
        assert ws.add_token(token).connection is not None
    ws.close()


# Screenshots cost a second each: taken when asked (`SCREENSHOTS=1 make test` keeps a picture
# of every page the tests visit) and whenever a browser test fails.
SHOOT_EVERY_PAGE = os.environ.get("SCREENSHOTS") == "1"


def shoot(page, name: str) -> None:
    """Save what the user sees here, when asked for every page."""
    if SHOOT_EVERY_PAGE:
        _save(page, name)


def _save(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the last element settle: a picture, not a condition
    page.screenshot(path=str(SHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call":
        item.failed_in_call = report.failed


def alert(page, text: str):
    """The success/info/warning/error box containing `text` (not a table cell that repeats it)."""
    return page.get_by_test_id("stAlert").filter(has_text=text)
