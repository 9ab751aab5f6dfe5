"""An agency's day in Chromium: a broken pasted connection fixed where it is shown, a
client's status report downloaded, an Overview left open that follows what the watcher finds,
one client's connections checked, and every page saying so when scheduled checks stop."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import alert, run_dashboard, shoot, workspace

pytestmark = pytest.mark.e2e


def test_a_broken_pasted_connection_is_fixed_from_inspect_and_keeps_label_client_history(page, dashboard):
    ws = workspace(dashboard)
    [old] = dashboard.control("tokens", account_id="103")["tokens"]
    conn = ws.add_token(old, label="Northwind shop", client="Northwind").connection
    dashboard.control("revoke", account_id="103")
    ws.check()
    page.goto(f"{dashboard.url}/")
    # The report buttons come after the live part: once they are there, the page's run has drawn all
    # it draws, and a click is not lost to a run still replacing the elements (seen once under load).
    expect(page.get_by_role("button", name="Report (CSV)")).to_be_visible()
    page.get_by_role("link", name="Northwind shop · client Northwind").click()  # the alert opens it
    expect(page.get_by_role("heading", name="Northwind shop")).to_be_visible()
    [new] = dashboard.control("tokens", account_id="103")["tokens"]
    page.get_by_label("Paste a new access token for it", exact=True).fill(new)
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
    expect(page.get_by_text("Status report written for Acme, in its words")).to_be_visible()  # they follow the client
    with page.expect_download() as download:
        page.get_by_role("button", name="Report (printable)").click()
    html = download.value.path().read_text()
    assert "Copernica connections of Acme" in html and "Acme Retail" in html and "Bloom" not in html
    report = page.context.new_page()
    report.set_content(html)
    report.emulate_media(media="print")
    report.set_viewport_size({"width": 700, "height": 990})  # A4 less its margins, at 96 dpi
    assert report.evaluate("document.documentElement.scrollWidth") <= 700  # nothing cut off on paper
    shoot(report, "agency-report-printable")
    report.close()


def test_when_scheduled_checks_stop_every_page_says_so(page, dashboard):
    """A watcher ran and died: whoever opens any page learns that statuses may be old."""
    from datetime import UTC, datetime, timedelta

    from copernica_core.clock import iso

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


def metric(page, name: str):
    return page.get_by_test_id("stMetric").filter(has_text=name)


def test_an_open_overview_follows_the_database_and_a_client_is_checked_on_its_own(page, tmp_path, sandbox):
    with run_dashboard(tmp_path, sandbox, env={"COPERNICA_LIVE_EVERY": "2s"}) as dashboard:
        ws = workspace(dashboard)
        for account, client in (("101", "Acme"), ("102", "Bloom"), ("103", "Northwind")):
            [token] = dashboard.control("tokens", account_id=account)["tokens"]
            ws.add_token(token, client=client)
        page.goto(f"{dashboard.url}/")
        expect(metric(page, "Need a person")).to_contain_text("0")
        expect(page).to_have_title("Copernica Connections")
        search = page.get_by_placeholder("Search label, client, account, company or id")
        search.fill("Bloom")
        search.press("Enter")
        expect(page.get_by_text("1 of 3 connections shown")).to_be_visible()

        dashboard.control("revoke", account_id="102")
        ws.check()  # what the watcher does, in another process: nobody touches the page
        expect(page.get_by_role("link", name="Bloom Florists · client Bloom")).to_be_visible(timeout=15_000)
        expect(metric(page, "Need a person")).to_contain_text("1")
        expect(page).to_have_title("(1) Copernica Connections")  # a tab in the background says so
        expect(page.get_by_text("New since you last looked")).to_be_visible()  # it came while nobody looked
        assert "data:image/svg+xml" in page.evaluate("document.querySelector(\"link[rel~='icon']\").href")
        expect(search).to_have_value("Bloom")  # what was typed is kept
        expect(page.get_by_text("1 of 3 connections shown")).to_be_visible()
        shoot(page, "overview-followed-the-watcher")

        search.fill("")
        search.press("Enter")
        page.get_by_placeholder("Every client").click()
        page.get_by_role("option", name="Acme").click()
        page.keyboard.press("Escape")
        expect(metric(page, "Connections")).to_contain_text("1")  # the counters follow the client too
        expect(metric(page, "Need a person")).to_contain_text("0")
        dashboard.control("reset_stats")
        page.get_by_role("button", name="Check these 1 now").click()
        expect(alert(page, "1 checked: 1 valid")).to_be_visible()
        assert dashboard.control_stats().get("identity", 0) == 1  # one client's check is billed, not three

        acme = next(c for c in ws.connections() if c.client == "Acme")
        page.goto(f"{dashboard.url}/inspect?connection={acme.id}")
        expect(alert(page, "Valid.")).to_be_visible()
        dashboard.control("revoke", account_id="101")
        ws.check([acme.id])  # the watcher again: Inspect follows its connection too
        expect(alert(page, "Invalid token.")).to_be_visible(timeout=15_000)
        expect(page.get_by_text("give it a new token; its label, client and history stay")).to_be_visible()  # its fix
        page.goto(f"{dashboard.url}/")  # looked at again: nothing is new
        expect(metric(page, "Need a person")).to_contain_text("2")
        expect(page.get_by_text("New since you last looked")).to_have_count(0)


def test_a_revoked_authorized_connection_is_reauthorized_from_inspect_in_one_click(page, dashboard):
    from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

    from ..helpers import consent

    ws = workspace(dashboard)
    app = ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    result = ws.complete_authorization_url(consent(ws.start_authorization(app.id, client="Acme"), account="101"))
    dashboard.control("revoke", account_id="101")
    ws.check()
    page.goto(f"{dashboard.url}/inspect?connection={result.connection_id}")
    expect(page.get_by_role("button", name="Re-authorize with Copernica")).to_be_visible()
    shoot(page, "inspect-broken-fix-at-the-top")
    page.get_by_role("button", name="Re-authorize with Copernica").click()  # no second page on the way
    expect(page.get_by_role("button", name="Give access")).to_be_visible()  # Copernica's consent
    page.get_by_label("Acme Retail").check()
    page.get_by_role("button", name="Give access").click()
    expect(alert(page, "re-authorized")).to_be_visible()
    again = ws.connection(result.connection_id)
    assert (again.status, again.client, ws.history_count(again.id) >= 2) == ("valid", "Acme", True)


def test_tokens_are_imported_from_a_csv_in_the_browser_and_the_import_is_one_event(page, dashboard, tmp_path):
    tokens = [dashboard.control("tokens", account_id=a)["tokens"][0] for a in ("101", "102")]
    csv_file = tmp_path / "clients.csv"  # what a Dutch Excel saves: semicolons
    csv_file.write_text(f"label;token;client\nAcme shop;{tokens[0]};Acme\nBloom;{tokens[1]};Bloom\nNo token;;Bloom\n")
    page.goto(f"{dashboard.url}/credentials")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv_file))
    expect(page.get_by_role("button", name="Verify and import 2 rows")).to_be_visible()
    shoot(page, "credentials-import-preview")
    page.get_by_role("button", name="Verify and import 2 rows").click()
    expect(alert(page, "clients.csv: 2 imported, 0 updated, 1 refused")).to_be_visible()
    ws = workspace(dashboard)
    assert sorted((c.label, c.client) for c in ws.connections()) == [("Acme shop", "Acme"), ("Bloom", "Bloom")]
    [event] = ws.events(action="tokens imported")
    assert event.detail.startswith("clients.csv: 2 imported, 0 updated, 1 refused\nrow 2: imported")
    assert "row 4: not imported: Access token is required." in event.detail
    assert not any(t in event.detail for t in tokens)

    page.goto(f"{dashboard.url}/activity")
    expect(page.get_by_text("tokens imported").first).to_be_attached()
    # the newest event's row marker (the table is a canvas: header 35 px, rows 35 px)
    page.get_by_test_id("stDataFrame").click(position={"x": 18, "y": 52})
    expect(page.get_by_text("row 4: not imported: Access token is required.")).to_be_visible()


def test_on_a_phone_the_first_alert_is_on_the_first_screen(browser, tmp_path, sandbox):
    """Five counters stacked one under the other would push what needs a person off a phone's
    first screen: there they stand three to a row, and the first alert is in sight."""
    with run_dashboard(tmp_path, sandbox) as dashboard:
        ws = workspace(dashboard)
        for account in ("101", "102", "103"):
            ws.add_token(dashboard.control("tokens", account_id=account)["tokens"][0])
        dashboard.control("revoke", account_id="102")
        ws.check()
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        try:
            page.goto(f"{dashboard.url}/")
            expect(metric(page, "Need a person")).to_contain_text("1")
            first_alert = page.locator('[data-testid="stPageLink"] a[href*="inspect?connection="]').first
            expect(first_alert).to_be_visible()
            box = first_alert.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 844, box
            shoot(page, "overview-phone")
        finally:
            phone.close()
