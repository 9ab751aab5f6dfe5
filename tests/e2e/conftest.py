"""End to end: the real dashboard (`streamlit run`) and the sandbox Copernica, driven by
Debian's Chromium through Playwright. Screenshots land in artifacts/screenshots/."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from copernica_core.sandbox import SandboxServer

from ..conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
expect.set_options(timeout=15_000)  # shared, noisy machines: wait for the page, not for a clock
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-quic",
]


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


@contextlib.contextmanager
def run_dashboard(tmp_path, sandbox, *, env: dict[str, str] | None = None, args: tuple[str, ...] = ()):
    """A fresh database and a `streamlit run` wired to the sandbox."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COPERNICA_")},
        **sandbox.env(),
        "COPERNICA_DB": str(tmp_path / "data" / "copernica.db"),
        "COPERNICA_REDIRECT_URI": f"http://localhost:{port}/authorize",
        **(env or {}),
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
        wait_until_serving(f"http://localhost:{port}/_stcore/health", process, log)
        yield Dashboard(f"http://localhost:{port}", env, log, sandbox)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture
def dashboard(tmp_path, sandbox):
    """A fresh database and a `streamlit run` wired to the sandbox, for one test."""
    with run_dashboard(tmp_path, sandbox) as running:
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
    context.close()


def shoot(page, name: str) -> None:
    """Save what the user sees; the Streamlit app scrolls inside its own container."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True)


def alert(page, text: str):
    """The success/info/warning/error box containing `text` (not a table cell that repeats it)."""
    return page.get_by_test_id("stAlert").filter(has_text=text)
