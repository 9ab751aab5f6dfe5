"""`make demo`: the sandbox and the dashboard wired to it, with the demo application ready."""

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_KEY

from ..conftest import make_workspace
from ..helpers import wait_for
from .conftest import ROOT, alert, free_port, shoot, wait_until_serving

pytestmark = pytest.mark.e2e


def start_demo(port: int, sandbox_port: int, db, log):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPERNICA_")}
    with log.open("a") as out:
        demo = subprocess.Popen([sys.executable, "-m", "copernica_core", "demo", "--port", str(port),
                                 "--sandbox-port", str(sandbox_port), "--db", str(db)],
                                cwd=ROOT, env={**env, "COPERNICA_WATCH_EVERY": "5s", "COPERNICA_ALERT_AFTER": "5s"},
                                stdout=out, stderr=subprocess.STDOUT)
    wait_until_serving(f"http://localhost:{port}/_stcore/health", demo, log)
    return demo


def stop_demo(demo) -> None:
    demo.send_signal(signal.SIGTERM)
    demo.wait(timeout=30)




def test_demo_command_gives_a_working_dashboard_consent_loop_watcher_and_survives_a_restart(page, tmp_path):
    port, sandbox_port, db = free_port(), free_port(), tmp_path / "demo.db"
    log, inbox = tmp_path / "demo.log", tmp_path / "notifications.log"
    demo = start_demo(port, sandbox_port, db, log)
    try:
        page.goto(f"http://localhost:{port}/authorize")
        page.get_by_text("Authorize with Copernica").click()
        page.get_by_label("Northwind Travel").check()
        page.get_by_role("button", name="Give access").click()
        expect(alert(page, "“Northwind Travel” (id 103, Northwind Group) is connected")).to_be_visible()
        shoot(page, "demo-connected")
        ws = make_workspace({"COPERNICA_DB": str(db)})
        assert [a.client_key for a in ws.applications()] == [DEMO_CLIENT_KEY]
        assert [c.account.id for c in ws.connections()] == ["103"]
        ws.close()
    finally:
        stop_demo(demo)
    with pytest.raises(requests.ConnectionError):  # every server went away with it
        requests.get(f"http://127.0.0.1:{sandbox_port}/", timeout=2)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://localhost:{port}/_stcore/health", timeout=2)

    restarted_at = datetime.now(UTC).isoformat()
    demo = start_demo(port, sandbox_port, db, log)
    try:
        def checked_since_restart():
            ws = make_workspace({"COPERNICA_DB": str(db)})
            [connection] = ws.connections()
            ws.close()
            return connection if (connection.last_checked_at or "") > restarted_at else None

        wait_for(checked_since_restart, 30, "the watcher's first run after the restart")
        assert checked_since_restart().status == "valid"  # the sandbox kept its tokens
        requests.post(f"http://127.0.0.1:{sandbox_port}/_sandbox/revoke", json={"account_id": "103"}, timeout=5)
        wait_for(lambda: inbox.exists() and "Northwind Travel" in inbox.read_text(), 30, "the alert in the inbox")
        assert "Invalid token" in inbox.read_text()
        assert any(line.startswith("- Northwind Travel") for line in inbox.read_text().splitlines())
        assert "alert received" in log.read_text()
        page.goto(f"http://localhost:{port}/")
        expect(page.get_by_text("Scheduled checks every 5 s")).to_be_visible()
        shoot(page, "demo-overview-with-watcher")
    finally:
        stop_demo(demo)
