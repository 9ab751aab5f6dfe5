"""`make demo`: the sandbox and the dashboard wired to it, with the demo application ready."""

import os
import signal
import subprocess
import sys

import pytest
import requests
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_KEY

from ..conftest import make_workspace
from .conftest import ROOT, alert, free_port, shoot, wait_until_serving

pytestmark = pytest.mark.e2e


def test_demo_command_gives_a_working_dashboard_and_consent_loop(page, tmp_path):
    port, sandbox_port, db = free_port(), free_port(), tmp_path / "demo.db"
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPERNICA_")}
    with log.open("w") as out:
        demo = subprocess.Popen([sys.executable, "-m", "copernica_core", "demo", "--port", str(port),
                                 "--sandbox-port", str(sandbox_port), "--db", str(db)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://localhost:{port}/_stcore/health", demo, log)
        page.goto(f"http://localhost:{port}/authorize")
        page.get_by_text("Authorize with Copernica").click()
        page.get_by_label("Northwind Travel").check()
        page.get_by_role("button", name="Give access").click()
        expect(alert(page, "“Northwind Travel” (id 103, Northwind Group) is connected")).to_be_visible()
        shoot(page, "demo-connected")
        ws = make_workspace({"COPERNICA_DB": str(db)})
        assert [a.client_key for a in ws.applications()] == [DEMO_CLIENT_KEY]
        assert [c.account.id for c in ws.connections()] == ["103"]
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=20)
    with pytest.raises(requests.ConnectionError):  # both servers went away with it
        requests.get(f"http://127.0.0.1:{sandbox_port}/", timeout=2)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://localhost:{port}/_stcore/health", timeout=2)
