"""An agency's day in Chromium: a broken pasted connection fixed where it is shown, and a
client's status report downloaded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import alert, shoot, workspace

pytestmark = pytest.mark.e2e


def test_a_broken_pasted_connection_is_fixed_from_inspect_and_keeps_label_client_history(page, dashboard):
    ws = workspace(dashboard)
    [old] = dashboard.control("tokens", account_id="103")["tokens"]
    conn = ws.add_token(old, label="Northwind shop", client="Northwind").connection
    dashboard.control("revoke", account_id="103")
    ws.check()
    page.goto(f"{dashboard.url}/")
    page.get_by_role("link", name="Northwind shop · client Northwind").click()  # the alert opens it
    expect(page.get_by_role("heading", name="Northwind shop")).to_be_visible()
    [new] = dashboard.control("tokens", account_id="103")["tokens"]
    page.get_by_label("Or paste a new access token for it", exact=True).fill(new)
    page.get_by_role("button", name="Verify and replace").click()
    expect(alert(page, "The token of Northwind shop was replaced; it works.")).to_be_visible()
    shoot(page, "agency-fixed-from-inspect")
    fixed = ws.connection(conn.id)
    assert (fixed.label, fixed.client, fixed.status) == ("Northwind shop", "Northwind", "valid")
    assert ws.history_count(conn.id) == 3 and len(ws.connections()) == 1


def test_a_clients_status_report_is_downloaded_as_a_printable_page(page, dashboard):
    ws = workspace(dashboard)
    for account, client in (("101", "Acme"), ("102", "Bloom")):
        [token] = dashboard.control("tokens", account_id=account)["tokens"]
        ws.add_token(token, client=client)
    page.goto(f"{dashboard.url}/")
    page.get_by_placeholder("Every client").click()
    page.get_by_role("option", name="Acme").click()
    page.keyboard.press("Escape")
    expect(page.get_by_text("1 of 2 connections shown")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Report (printable)").click()
    html = download.value.path().read_text()
    assert "Copernica connections of Acme" in html and "Acme Retail" in html and "Bloom" not in html
    report = page.context.new_page()
    report.set_content(html)
    shoot(report, "agency-report-printable")
    report.close()


def test_when_scheduled_checks_stop_every_page_says_so(page, dashboard):
    """A watcher ran and died: whoever opens any page learns that statuses may be old."""
    from datetime import UTC, datetime, timedelta

    from copernica_core.db import iso

    ws = workspace(dashboard)
    [token] = dashboard.control("tokens", account_id="101")["tokens"]
    conn = ws.add_token(token, label="Acme shop").connection
    last_run = datetime.now(UTC) - timedelta(minutes=47)
    ws.db.execute("INSERT OR REPLACE INTO watcher (id, holder, every_seconds, last_run_started_at, "
                  "last_run_finished_at) VALUES (1, 'box-7:4121:abcd', 900, ?, ?)", [iso(last_run), iso(last_run)])
    for path in ("/", f"/inspect?connection={conn.id}", "/alerts"):
        page.goto(f"{dashboard.url}{path}")
        expect(alert(page, "Scheduled checks stopped 47 min ago: statuses may be out of date")).to_be_visible()
    shoot(page, "checks-stopped-banner")
