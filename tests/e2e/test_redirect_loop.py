"""The whole redirect loop in a real browser: Credentials → Authorize → Copernica's consent
page (the sandbox) → back on Authorize → Inspect → Overview."""

import re

import pytest
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

from .conftest import add_demo_application, alert, authorize, seed_pasted_connections, shoot, workspace

pytestmark = pytest.mark.e2e


def test_connect_inspect_and_see_it_on_the_overview(page, dashboard):
    add_demo_application(page, dashboard)
    authorize(page, dashboard, account="Bloom Florists")
    expect(alert(page, "Bloom Florists” (id 102, Bloom & Co) is connected")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/authorize\?connected=\d+$"))  # code and state were cleared
    shoot(page, "authorize-connected")
    page.reload()  # the confirmation stays
    expect(alert(page, "Bloom Florists” is connected")).to_be_visible()

    page.get_by_text("Inspect this connection").click()
    expect(page.get_by_role("heading", name="Inspect", exact=True)).to_be_visible()
    page.get_by_role("button", name="Inspect now").click()
    expect(alert(page, "Valid. This connection works")).to_be_visible()
    expect(page.get_by_text("Copernica account Bloom Florists · id 102 · Bloom & Co")).to_be_visible()
    shoot(page, "inspect")

    page.goto(dashboard.url)
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^1 of 1 connections shown"))).to_be_visible()
    shoot(page, "overview")
    html = page.content()
    ws = workspace(dashboard)
    [conn] = ws.connections()
    assert conn.account.name == "Bloom Florists" and conn.status == "valid"
    for secret in [DEMO_CLIENT_SECRET, *dashboard.sandbox.state.tokens, *dashboard.sandbox.state.jwts]:
        assert secret not in html


def test_deny_gives_a_clear_message_and_stores_nothing(page, dashboard):
    add_demo_application(page, dashboard)
    authorize(page, dashboard, account="Acme Retail", decision="Deny")
    expect(alert(page, "Access was not granted")).to_be_visible()
    shoot(page, "authorize-denied")
    assert workspace(dashboard).connections() == []


def test_replaying_the_callback_url_stores_no_second_token(page, dashboard):
    add_demo_application(page, dashboard)
    callback = []
    page.on("request", lambda r: callback.append(r.url) if "/authorize?" in r.url and "code=" in r.url else None)
    authorize(page, dashboard, account="Northwind Travel")
    expect(alert(page, "is connected")).to_be_visible()
    exchanges = dashboard.sandbox.state.calls["token"]
    fingerprint = workspace(dashboard).connections()[0].token_fingerprint

    page.go_back()  # Back from the confirmation lands on Copernica's redirect again
    if "code=" not in page.url:
        page.goto(callback[0])
    expect(alert(page, "nothing was changed")).to_be_visible()
    expect(alert(page, "is connected")).to_be_visible()
    shoot(page, "authorize-replayed")
    assert dashboard.sandbox.state.calls["token"] == exchanges
    [conn] = workspace(dashboard).connections()
    assert conn.token_fingerprint == fingerprint


def test_revoked_token_shows_invalid_token_with_its_hint(page, dashboard):
    add_demo_application(page, dashboard)
    authorize(page, dashboard, account="Acme Retail")
    expect(alert(page, "is connected")).to_be_visible()
    dashboard.control("revoke", account_id="101")

    page.goto(f"{dashboard.url}/inspect")
    expect(alert(page, "Valid.")).to_be_visible()  # what the last check found, shown before any call
    page.get_by_role("button", name="Inspect now").click()
    expect(alert(page, "Invalid token. Copernica no longer accepts this connection's token")).to_be_visible()
    expect(alert(page, "re-authorize it with Copernica")).to_be_visible()
    technical = page.get_by_test_id("stExpander").filter(has_text="Technical detail")
    technical.get_by_text("Technical detail", exact=True).click()
    expect(technical.get_by_text("Invalid access token")).to_be_visible()  # Copernica's words, one click away
    shoot(page, "inspect-invalid-token")
    page.goto(dashboard.url)
    expect(page.get_by_text("Copernica refused the token")).to_be_visible()
    shoot(page, "overview-attention")


def test_the_link_works_however_long_the_page_was_read(page, dashboard):
    """The state is issued on the click: anything issued while the page loaded is expired
    (as after 10.5 minutes of reading) and the click still connects."""
    ws = workspace(dashboard)
    ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY,
                        client_secret=DEMO_CLIENT_SECRET)
    page.goto(f"{dashboard.url}/authorize")
    expect(page.get_by_role("button", name="Authorize with Copernica")).to_be_visible()
    ws.db.execute("UPDATE pending_authorizations SET expires_at = '2000-01-01T00:00:00+00:00'")
    page.get_by_role("button", name="Authorize with Copernica").click()
    page.get_by_label("Acme Retail").check()
    page.get_by_role("button", name="Give access").click()
    expect(alert(page, "Acme Retail” (id 101, Acme BV) is connected")).to_be_visible()
    ws.close()


def test_check_all_reports_progress_and_saves_every_result(page, dashboard):
    seed_pasted_connections(dashboard, 6)
    page.goto(dashboard.url)
    expect(page.get_by_text(re.compile(r"^6 of 6 connections shown"))).to_be_visible()
    page.get_by_role("button", name="Check all now").click()
    expect(alert(page, "6 checked: 6 valid")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^6 of 6 connections shown"))).to_be_visible()
    shoot(page, "overview-checked-all")
    ws = workspace(dashboard)
    assert all(ws.history_count(c.id) == 2 for c in ws.connections())


def test_stopping_check_all_keeps_what_finished(page, dashboard):
    seed_pasted_connections(dashboard, 12)
    dashboard.control("latency", ms=1500)
    page.goto(dashboard.url)
    page.get_by_role("button", name="Check all now").click()
    expect(page.get_by_text(re.compile(r"Checked \d+ of 12 · \d+ not valid so far"))).to_be_visible(timeout=20_000)
    # the table stays while it runs
    expect(page.get_by_text(re.compile(r"^12 of 12 connections shown"))).to_be_visible()
    shoot(page, "overview-check-all-running")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text(re.compile(r"Stopped after \d+ of 12 checks"))).to_be_visible()
    dashboard.control("latency", ms=0)
    ws = workspace(dashboard)
    checked = sum(ws.history_count(c.id) - 1 for c in ws.connections())
    assert 1 <= checked < 12


def test_callback_as_the_first_request_after_the_server_starts(page, fresh_dashboard):
    """Copernica's redirect may be the first page a freshly (re)started dashboard serves."""
    from ..helpers import consent

    dashboard = fresh_dashboard
    ws = workspace(dashboard)
    app = ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    callback = consent(ws.start_authorization(app.id), account="102")
    page.goto(callback)
    expect(alert(page, "“Bloom Florists” (id 102, Bloom & Co) is connected")).to_be_visible()
    expect(page.get_by_role("link", name="Overview")).to_be_visible()  # st.navigation, not the legacy pages
    expect(page).to_have_url(re.compile(r"/authorize\?connected=\d+$"))
    shoot(page, "authorize-first-request")
    assert [c.account.id for c in ws.connections()] == ["102"]
