"""The client's side on a phone, in Dutch and in English: a client opens its connect link, denies
at Copernica, reads its own sentence with Try again, gives access, and a reload still says that
it worked; the agency's activity log has every attempt. Links that cannot be used say why and
whom to ask, in the client's language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

from .conftest import alert, run_dashboard, shoot, workspace

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
AGENCY = {"COPERNICA_AGENCY_NAME": "Harbor Media", "COPERNICA_CONTACT": "support@harbor.example",
          "COPERNICA_PUBLIC_URL": "http://localhost:{port}", "COPERNICA_TIMEZONE": "Europe/Amsterdam"}

# What each language says at each step (Copernica's own consent page is the sandbox's, in English).
WORDS = {
    "nl": {"title": "Uw Copernica-account koppelen", "asks": "Harbor Media vraagt toegang tot uw Copernica-account "
           "voor {client}.", "go": "Verder naar Copernica", "denied": "U hebt bij Copernica gekozen om geen toegang "
           "te geven. Er is niets veranderd.", "again": "Opnieuw proberen",
           "connected": "Uw Copernica-account “{account}” (id {id}) is gekoppeld aan Harbor Media.",
           "footer": "Deze link is u gestuurd door Harbor Media. Vragen? Neem contact op met support@harbor.example.",
           "expired": "Deze link is verlopen: hij werkte tot 1 januari 2000, 01:00 (Midden-Europese standaardtijd). "
                      "Vraag Harbor Media om een nieuwe.",
           "report": "Copernica-koppelingen van {client}", "until": "Deze link werkt één keer, tot",
           "stopped": "Toegang werkt niet meer (geweigerd door Copernica)"},
    "en": {"title": "Connect your Copernica account", "asks": "Harbor Media asks for access to your Copernica "
           "account for {client}.", "go": "Continue to Copernica", "denied": "You chose not to give access at "
           "Copernica. Nothing was changed.", "again": "Try again",
           "connected": "Your Copernica account “{account}” (id {id}) is connected to Harbor Media.",
           "footer": "This link was sent to you by Harbor Media. Questions? Contact support@harbor.example.",
           "expired": "This link has expired: it worked until 1 January 2000, 01:00 (Central European Standard "
                      "Time). Ask Harbor Media for a new one.",
           "report": "Copernica connections of {client}", "until": "This link works once, until",
           "stopped": "Access stopped working (refused by Copernica)"},
}


@pytest.fixture(scope="module")
def agency_dashboard(tmp_path_factory, sandbox_server):
    with run_dashboard(tmp_path_factory.mktemp("client-side"), sandbox_server, env=AGENCY) as running:
        ws = workspace(running)
        ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
        ws.close()
        yield running


@pytest.mark.parametrize(("language", "locale", "client", "account", "account_id"), [
    ("nl", "nl-NL", "Bloemisterij Één", "Bloom Florists", "102"),
    ("en", "en-GB", "Acme", "Acme Retail", "101")])
def test_a_client_on_a_phone_denies_tries_again_connects_and_a_reload_still_says_so(
        browser, agency_dashboard, language, locale, client, account, account_id, tmp_path):
    words = WORDS[language]
    ws = workspace(agency_dashboard)
    url, link = ws.invite(client=client)
    phone = browser.new_context(locale=locale, **PHONE)
    page = phone.new_page()
    try:
        page.goto(url)
        expect(page.get_by_role("heading", name=words["title"])).to_be_visible()
        expect(page.get_by_text(words["asks"].format(client=client))).to_be_visible()
        expect(page.get_by_text(words["footer"].replace("@", "@\u2060"))).to_be_visible()  # (no mailto: link)
        shoot(page, f"client-{language}-link")

        page.get_by_role("button", name=words["go"]).click()
        expect(page.get_by_role("button", name="Give access")).to_be_visible(timeout=60_000)  # Copernica's page
        page.get_by_label(account).check()
        page.get_by_role("button", name="Deny").click()
        expect(alert(page, words["denied"])).to_be_visible()
        expect(page).to_have_url(re.compile(r"/authorize\?invite="))  # not code and state: Try again is the client's
        expect(page.get_by_role("dialog")).to_have_count(0)  # no false "Page not found"
        shoot(page, f"client-{language}-denied")

        page.get_by_role("button", name=words["again"]).click()
        expect(page.get_by_role("button", name="Give access")).to_be_visible(timeout=60_000)
        page.get_by_label(account).check()
        page.get_by_role("button", name="Give access").click()
        connected = words["connected"].format(account=account, id=account_id)
        expect(alert(page, connected)).to_be_visible()
        expect(page).to_have_url(re.compile(r"\?invite="))  # the link's secret, not code and state: a reload is its
        shoot(page, f"client-{language}-connected")
        page.reload()
        expect(alert(page, connected)).to_be_visible()
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_role("button", name=words["go"])).to_have_count(0)
        shoot(page, f"client-{language}-connected-reloaded")

        expired, _ = ws.invite(client=client)
        ws.db.execute("UPDATE invitations SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE client = ? AND "
                      "used_at IS NULL", [client])
        page.goto(expired)
        expect(page.get_by_text(words["expired"])).to_be_visible()
        shoot(page, f"client-{language}-expired")
    finally:
        phone.close()
    said = [e.action for e in ws.events() if e.actor == link.actor]
    assert said[:4] == ["connected through a link", "client went to Copernica through a link",
                        "client denied access at Copernica", "client went to Copernica through a link"]
    [conn] = [c for c in ws.connections() if c.client == client]
    assert conn.account.id == account_id

    # its report, in its language, on the same phone: one block per connection, the link's expiry
    ws.set_client_language(client, language)
    ws.set_client_contact(client, "json://127.0.0.1:9/client-hook", reconnect_links=True)
    agency_dashboard.control("revoke", account_id=account_id)
    ws.check([conn.id])
    from copernica_core.report import as_html

    page_file = tmp_path / "report.html"
    page_file.write_text(as_html(ws.report(client=client)), encoding="utf-8")
    ws.close()
    phone = browser.new_context(locale=locale, **PHONE)
    page = phone.new_page()
    try:
        page.goto(page_file.as_uri())
        expect(page.get_by_role("heading", name=words["report"].format(client=client))).to_be_visible()
        expect(page.get_by_text(words["stopped"])).to_be_visible()
        expect(page.get_by_text(re.compile(words["until"]))).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390  # nothing off the screen's side
        shoot(page, f"client-{language}-report")
    finally:
        phone.close()
