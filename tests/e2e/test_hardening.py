"""Two people at once, and no secret anywhere a user or an admin can see."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_SECRET

from .conftest import ROOT, alert, shoot
from .test_redirect_loop import add_demo_application, authorize, seed_pasted_connections, workspace

pytestmark = pytest.mark.e2e


def test_two_sessions_completing_two_authorizations_at_once(browser, page, dashboard):
    add_demo_application(page, dashboard)
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.set_default_timeout(20_000)
    for tab in (page, other):
        tab.goto(f"{dashboard.url}/authorize")
        tab.get_by_text("Authorize with Copernica").click()
        expect(tab.get_by_role("button", name="Give access")).to_be_visible()
    page.get_by_label("Acme Retail").check()
    other.get_by_label("Bloom Florists").check()
    page.get_by_role("button", name="Give access").click(no_wait_after=True)
    other.get_by_role("button", name="Give access").click(no_wait_after=True)
    expect(alert(page, "“Acme Retail” (id 101, Acme BV) is connected")).to_be_visible()
    expect(alert(other, "“Bloom Florists” (id 102, Bloom & Co) is connected")).to_be_visible()
    other.context.close()
    assert sorted(c.account.id for c in workspace(dashboard).connections()) == ["101", "102"]


def test_no_secret_in_database_wal_logs_pages_or_command_line(page, dashboard):
    add_demo_application(page, dashboard)
    authorize(page, dashboard, account="Northwind Travel")
    expect(alert(page, "is connected")).to_be_visible()
    seed_pasted_connections(dashboard, 2)
    html = []
    for path in ("", "credentials", "authorize", "inspect"):
        page.goto(f"{dashboard.url}/{path}")
        expect(page.get_by_role("heading").first).to_be_visible()
        if path == "inspect":
            page.get_by_role("button", name="Inspect now").click()
            expect(alert(page, "Works: account")).to_be_visible()
        page.wait_for_timeout(500)
        html.append(page.content())
        shoot(page, f"secrets-scan-{path or 'overview'}")
    cli = "".join(subprocess.run([sys.executable, "-m", "copernica_core", *args], cwd=ROOT, env=dashboard.env,
                                 capture_output=True, text=True, timeout=60, check=True).stdout
                  for args in (["connections", "--json"], ["export", "--csv"], ["history", "--csv"],
                               ["check", "--json"]))
    assert json.loads(subprocess.run([sys.executable, "-m", "copernica_core", "connections", "--json"], cwd=ROOT,
                                      env=dashboard.env, capture_output=True, text=True, check=True).stdout)
    state = dashboard.sandbox.state
    secrets = {DEMO_CLIENT_SECRET, *state.tokens, *state.jwts, *state.codes}
    assert len(secrets) >= 8
    db = Path(dashboard.env["COPERNICA_DB"])
    places = {"page": "".join(html), "cli": cli, "log": dashboard.log.read_text(),
              "database": db.read_bytes().decode("latin-1"),
              "wal": db.with_name(db.name + "-wal").read_bytes().decode("latin-1")}
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret is readable in the {where}"
