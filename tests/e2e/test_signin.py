"""Sign-in and roles in Chromium, against a real OpenID Connect provider on loopback
(oidc-provider-mock) and the sandbox Copernica."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

from ..conftest import make_workspace
from .conftest import (
    ADMIN,
    CHROMIUM,
    CHROMIUM_FLAGS,
    STRANGER,
    alert,
    as_if_just_installed,
    auth_secrets,
    run_dashboard,
    shoot,
    sign_in,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def signed_dashboard(tmp_path_factory, sandbox_server, oidc):
    """The dashboard with sign-in on: Ann is admin, anyone @agency.example a viewer."""
    folder = tmp_path_factory.mktemp("signed")
    secrets = auth_secrets(folder / "secrets.toml", oidc, redirect_uri="http://localhost:{port}/oauth2callback")
    env = {"COPERNICA_ADMINS": ADMIN, "COPERNICA_VIEWERS": "@agency.example",
           "COPERNICA_PUBLIC_URL": "http://localhost:{port}", "COPERNICA_AGENCY_NAME": "Harbor Media"}
    with run_dashboard(folder, sandbox_server, env=env, args=("--secrets.files", str(secrets))) as running:
        yield running


@pytest.fixture
def signed(signed_dashboard, sandbox):
    with as_if_just_installed(signed_dashboard) as running:
        yield running


def test_signed_out_shows_a_sign_in_page_and_no_data(page, signed):
    make_workspace(signed.env).save_application(label="Secret agency app", client_key="ck-hidden",
                                                client_secret="cs-hidden-secret")
    for path in ("", "credentials", "inspect", "activity", "alerts"):
        page.goto(f"{signed.url}/{path}")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        html = page.content()
        assert "Secret agency app" not in html and "ck-hidden" not in html
    shoot(page, "signin-signed-out")


def test_an_admin_authorizes_an_account_and_the_activity_names_her(page, signed):
    sign_in(page, signed.url, "ann")
    expect(page.get_by_text(f"Signed in as {ADMIN} (admin)", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name=ADMIN)).to_have_count(0)  # no mailto link
    page.goto(f"{signed.url}/credentials")
    page.get_by_label("Label", exact=True).first.fill("Agency app")
    page.get_by_label("Client key").first.fill(DEMO_CLIENT_KEY)
    page.get_by_label("Client secret").first.fill(DEMO_CLIENT_SECRET)
    page.get_by_role("button", name="Add application").click()
    expect(alert(page, "Added Agency app")).to_be_visible()
    page.goto(f"{signed.url}/authorize")
    page.get_by_text("Authorize with Copernica").click()
    page.get_by_label("Bloom Florists").check()
    page.get_by_role("button", name="Give access").click()
    expect(alert(page, "“Bloom Florists” (id 102, Bloom & Co) is connected")).to_be_visible()
    page.goto(f"{signed.url}/activity")
    expect(page.get_by_role("heading", name="Activity")).to_be_visible()
    shoot(page, "signin-activity")
    events = make_workspace(signed.env).events()
    assert {e.actor for e in events if e.action in ("authorized", "application added")} == {ADMIN}


def test_the_redirect_completes_for_its_starter_when_the_sign_in_cookie_was_lost(page, signed):
    sign_in(page, signed.url, "ann")
    ws = make_workspace(signed.env)
    ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    page.goto(f"{signed.url}/authorize")
    page.get_by_text("Authorize with Copernica").click()
    page.context.clear_cookies()  # lost on the way to Copernica and back
    page.get_by_label("Northwind Travel").check()
    page.get_by_role("button", name="Give access").click()
    expect(alert(page, "“Northwind Travel” (id 103, Northwind Group) is connected")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("link", name="Credentials")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)  # no false "Page not found" over it
    shoot(page, "signin-callback-without-cookie")
    [event] = [e for e in ws.events() if e.action == "authorized"]
    assert event.actor == ADMIN


def test_someone_else_cannot_complete_an_authorization_started_by_the_admin(browser, page, signed):
    from ..helpers import callback_params, consent

    sign_in(page, signed.url, "ann")
    ws = make_workspace(signed.env)
    ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    page.goto(f"{signed.url}/authorize")
    page.get_by_role("button", name="Authorize with Copernica").click()  # the state is issued now
    expect(page.get_by_role("button", name="Give access")).to_be_visible()
    callback = consent(page.url, account="101")  # Copernica's consent page, answered for Ann
    other = browser.new_context().new_page()
    sign_in(other, signed.url, "victor")
    other.goto(callback)
    expect(other.get_by_text("Only admins can use this page")).to_be_visible()
    assert ws.connections() == []
    page.goto(callback)  # Ann herself: still hers to complete
    expect(alert(page, "“Acme Retail” (id 101, Acme BV) is connected")).to_be_visible()
    assert callback_params(callback)["state"]
    other.context.close()


def test_a_viewer_looks_and_checks_but_admin_pages_and_actions_are_refused(page, signed):
    ws = make_workspace(signed.env)
    [token] = signed.control("tokens", account_id="101")["tokens"]
    connection = ws.add_token(token, label="Acme shop").connection
    sign_in(page, signed.url, "victor")
    nav = page.get_by_test_id("stSidebar")
    for name in ("Overview", "Inspect", "Alerts"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    for name in ("Credentials", "Authorize", "Activity"):
        expect(nav.get_by_role("link", name=name)).to_have_count(0)
    page.get_by_role("button", name="Check all now").click()
    expect(alert(page, "1 checked: 1 valid")).to_be_visible()
    for path in ("credentials", "authorize", "activity"):
        page.goto(f"{signed.url}/{path}")
        expect(page.get_by_text("Only admins can use this page")).to_be_visible()
    shoot(page, "signin-viewer-refused")
    page.goto(f"{signed.url}/inspect?connection={connection.id}")
    expect(page.get_by_role("button", name="Inspect now")).to_be_visible()
    expect(page.get_by_text("Renaming, disconnecting and revealing the token are for admins")).to_be_visible()
    expect(page.get_by_role("button", name="Reveal the access token")).to_have_count(0)
    expect(page.get_by_role("button", name="Disconnect")).to_have_count(0)
    shoot(page, "signin-viewer-inspect")


def test_a_stranger_has_no_access(page, signed):
    sign_in(page, signed.url, "sam", lands_on="You have no access")
    expect(page.get_by_text(f"You are signed in as {STRANGER}, which is not on")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    shoot(page, "signin-no-access")


def test_an_address_the_provider_has_not_verified_is_refused_even_an_admins(page, signed):
    """Anyone can claim an address at a provider that does not check it: Eve's ID token says
    Ann's address with email_verified false."""
    make_workspace(signed.env).save_application(label="Secret agency app", client_key="ck-hidden",
                                                client_secret="cs-hidden-secret")
    sign_in(page, signed.url, "eve", lands_on="You have no access")
    expect(page.get_by_text(f"does not confirm that {ADMIN} is your address")).to_be_visible()
    expect(page.get_by_role("link", name="Credentials")).to_have_count(0)
    page.goto(f"{signed.url}/credentials")
    expect(page.get_by_role("heading", name="You have no access")).to_be_visible()
    assert "Secret agency app" not in page.content()
    shoot(page, "signin-unverified-address")


def test_a_replayed_redirect_address_shows_a_signed_out_visitor_nothing(browser, page, signed):
    """Once used, the address Copernica sent Ann back to proves nothing about who holds it."""
    from ..helpers import consent

    sign_in(page, signed.url, "ann")
    ws = make_workspace(signed.env)
    ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    page.goto(f"{signed.url}/authorize")
    page.get_by_role("button", name="Authorize with Copernica").click()
    expect(page.get_by_role("button", name="Give access")).to_be_visible()
    callback = consent(page.url, account="101")
    page.goto(callback)
    expect(alert(page, "“Acme Retail” (id 101, Acme BV) is connected")).to_be_visible()
    visitor = browser.new_context().new_page()  # signed out: no cookie at all
    visitor.goto(callback)
    expect(visitor.get_by_role("heading", name="This authorization link was already used")).to_be_visible()
    expect(visitor.get_by_role("button", name="Sign in")).to_be_visible()
    html = visitor.content()
    assert "Acme" not in html and ADMIN not in html
    visitor.context.close()


@pytest.mark.parametrize("allow_anonymous", [False, True])
def test_without_sign_in_another_host_name_is_refused_unless_allowed(browser, tmp_path, sandbox, allow_anonymous):
    """Off by default, safe by default: a deployment that added its host name to
    server.allowedHosts but configured no sign-in still serves only loopback names."""
    hosts = [arg for host in ("localhost", "127.0.0.1", "dashboard.test") for arg in ("--server.allowedHosts", host)]
    env = {"COPERNICA_ALLOW_ANONYMOUS": "true"} if allow_anonymous else {}
    with run_dashboard(tmp_path, sandbox, env=env, args=tuple(hosts)) as dashboard:
        resolve = "--host-resolver-rules=MAP dashboard.test 127.0.0.1"
        remote = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_FLAGS, resolve])
        try:
            page = remote.new_page()
            page.goto(dashboard.url.replace("localhost", "dashboard.test"))
            if allow_anonymous:
                expect(page.get_by_role("heading", name="Connections")).to_be_visible()
            else:
                expect(page.get_by_role("heading", name="This dashboard answers only on this machine")).to_be_visible()
                expect(page.get_by_role("link", name="Credentials")).to_have_count(0)
                shoot(page, "signin-other-host-refused")
        finally:
            remote.close()


def renew_from_link(visit, url: str, *, renews: str, choose: str) -> None:
    """A client opens a reconnect link of Camping Het Bos, which names the account it renews,
    and gives access at the sandbox's consent page with the account `choose`."""
    visit.goto(url)
    expect(visit.get_by_text(f"Harbor Media asks you to renew its access to your Copernica account {renews}.")
           ).to_be_visible()
    visit.get_by_role("button", name="Continue to Copernica").click()
    visit.get_by_label(choose).check()
    visit.get_by_role("button", name="Give access").click()


def test_a_client_connects_its_own_account_from_a_link_without_signing_in(browser, page, signed):
    """The admin makes a link with `invite`; a browser that never signed in opens it, consents
    at Copernica and is connected, seeing nothing else; a second use, an expired link and a
    reconnect link answered with another account are refused."""
    import re

    from ..helpers import cli_process

    sign_in(page, signed.url, "ann")  # an admin of the agency
    ws = make_workspace(signed.env)
    ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    made = cli_process(signed.env, "invite", "--client", "Camping Het Bos", "--json")
    assert made.returncode == 0, made.stderr
    link = json.loads(made.stdout)
    assert link["url"].startswith(f"{signed.url}/?invite=") and link["expires_at"]

    client = browser.new_context(viewport={"width": 1280, "height": 900})  # the client: never signed in
    visit = client.new_page()
    visit.goto(link["url"])
    expect(visit.get_by_text("Harbor Media asks for access to your Copernica account for Camping Het Bos.")
           ).to_be_visible()
    expect(visit.get_by_role("dialog")).to_have_count(0)  # no false "Page not found" over it
    shoot(visit, "connect-link")
    visit.get_by_role("button", name="Continue to Copernica").click()
    expect(visit.get_by_role("button", name="Give access")).to_be_visible()
    visit.get_by_label("Northwind Travel").check()
    visit.get_by_role("button", name="Give access").click()
    expect(alert(visit, "is connected")).to_be_visible()
    expect(visit.get_by_text("There is nothing more to do: you can close this page.")).to_be_visible()
    expect(visit.get_by_role("dialog")).to_have_count(0)
    expect(visit.get_by_role("link", name="Overview")).to_have_count(0)  # no navigation, no other connection
    shoot(visit, "connect-link-connected")
    [conn] = ws.connections()
    assert (conn.client, conn.account.id) == ("Camping Het Bos", "103")

    visit.goto(link["url"])  # the second use: it worked, nothing more to do
    expect(alert(visit, "Your Copernica account “Northwind Travel” (id 103) is connected to Harbor Media.")
           ).to_be_visible()
    expect(visit.get_by_role("button", name="Continue to Copernica")).to_have_count(0)

    expired = json.loads(cli_process(signed.env, "invite", "--client", "Acme", "--expires", "5m", "--json").stdout)
    ws.db.execute("UPDATE invitations SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?",
                  [expired["invitation_id"]])
    visit.goto(expired["url"])
    expect(visit.get_by_text(re.compile("This link has expired"))).to_be_visible()

    renew = json.loads(cli_process(signed.env, "invite", "--connection", str(conn.id), "--json").stdout)
    renew_from_link(visit, renew["url"], renews="“Northwind Travel” (id 103)", choose="Acme Retail")
    expect(alert(visit, "You chose another Copernica account (“Acme Retail” (id 101)) than the one this link is "
                        "for (“Northwind Travel” (id 103))")).to_be_visible()
    expect(visit.get_by_role("button", name="Try again")).to_be_visible()
    assert ws.connection(conn.id).account.id == "103" and len(ws.connections()) == 1
    client.close()

    db = Path(signed.env["COPERNICA_DB"])
    secret = link["url"].split("invite=")[1]
    stored = b"".join(f.read_bytes() for f in db.parent.glob(db.name + "*"))
    assert secret.encode() not in stored
    actions = [(e.actor, e.action) for e in ws.events()]
    assert ("client via link #1", "connected through a link") in actions
    assert any(action == "connect link made" and who.startswith("cli") for who, action in actions)


def test_a_client_whose_token_stopped_working_reconnects_from_the_link_it_was_sent(browser, signed):
    """The client opted in to reconnect links: when its token is revoked, the alert rules send
    its contact (a real webhook receiver) a plain message with a fresh link; the client opens
    it in a browser that never signed in, gives access again, and its connection works again
    in place."""
    import re

    from ..helpers import use_link
    from ..receivers import Webhook

    ws = make_workspace(signed.env)
    ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    first = use_link(signed.env, ws.invite(client="Camping Het Bos")[0], account="102")
    hook = Webhook()
    try:
        ws.set_client_contact("Camping Het Bos", hook.url("camping-0123456789abcdef"), reconnect_links=True)
        signed.control("revoke", account_id="102")
        ws.check_now()
        assert ws.apply_alert_rules().reconnect_links == 1
        [message] = hook.messages
    finally:
        hook.stop()
    assert message["title"] == "Harbor Media: the access you gave to your Copernica account has stopped working"
    url = re.search(rf"{re.escape(signed.url)}/\?invite=\S+", message["message"]).group(0)

    client = browser.new_context(viewport={"width": 1280, "height": 900})  # the client: never signed in
    visit = client.new_page()
    renew_from_link(visit, url, renews="“Bloom Florists” (id 102)", choose="Bloom Florists")
    expect(alert(visit, "is connected")).to_be_visible()
    expect(visit.get_by_role("link", name="Overview")).to_have_count(0)
    shoot(visit, "reconnect-link-used")
    client.close()
    again = ws.connection(first.connection_id)
    assert (again.status, again.client, len(ws.connections())) == ("valid", "Camping Het Bos", 1)
    assert ws.reconnect_links_sent()[again.id].used_at is not None


def test_a_links_consent_page_forwarded_to_another_browser_connects_nothing_there(browser, signed):
    """Login CSRF: the holder of a link for "Evil Corp" opens it, goes on to Copernica and
    forwards Copernica's consent page; a victim gives access in its own browser. The way back
    lacks the cookie of the browser that opened the link: nothing is connected, and the victim
    is told to open its own link. The link still works where it was opened."""
    ws = make_workspace(signed.env)
    ws.save_application(label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    url, _ = ws.invite(client="Evil Corp")
    holder = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    holder.goto(url)
    holder.get_by_role("button", name="Continue to Copernica").click()
    expect(holder.get_by_role("button", name="Give access")).to_be_visible()
    consent = holder.url  # what the holder forwards

    victim = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    victim.goto(consent)
    victim.get_by_label("Bloom Florists").check()
    victim.get_by_role("button", name="Give access").click()
    expect(alert(victim, "This link was opened in another browser")).to_be_visible()
    shoot(victim, "connect-link-forwarded-refused")
    assert ws.connections() == []
    victim.context.close()

    holder.get_by_label("Northwind Travel").check()  # in the browser that opened the link it completes
    holder.get_by_role("button", name="Give access").click()
    expect(alert(holder, "is connected")).to_be_visible()
    holder.context.close()
    assert [(c.client, c.account.id) for c in ws.connections()] == [("Evil Corp", "103")]
