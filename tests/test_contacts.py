"""Clients who fix their own connections: a client's contact, opted in, gets a plain message
with a fresh reconnect link when one of its tokens stops working, and the link works; outages
and other trouble never go to clients; the link is never kept in clear."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from copernica_core import contacts
from copernica_core.errors import BadInput
from copernica_core.models import Outcome
from copernica_core.report import as_csv, as_html

from . import helpers
from .conftest import make_workspace, running
from .helpers import use_link as use
from .receivers import Webhook

CLIENT = "Camping Het Bos"


@pytest.fixture
def client_hook():
    """The client's own webhook, beside the agency's (`webhook`)."""
    yield from running(Webhook())


def stored_bytes(env) -> bytes:
    return helpers.stored_bytes(env)


def test_an_opted_in_client_gets_a_working_reconnect_link_once_per_break(agency, webhook, client_hook, control):
    env, ws = agency
    first = use(env, ws.invite(client=CLIENT)[0], account="102")
    ws.set_client_contact(CLIENT, client_hook.url("camping-0123456789abcdef"), reconnect_links=True)
    ws.check_now()
    assert ws.apply_alert_rules().reconnect_links == 0  # it works: nothing to send

    control.post("revoke", account_id="102")
    ws.check_now()
    assert ws.apply_alert_rules().reconnect_links == 1
    [to_client] = client_hook.messages
    assert to_client["title"] == "Your agency: the access you gave to your Copernica account has stopped working"
    body = to_client["message"]
    url = re.search(r"https://connections\.example\.com/\?invite=\S+", body).group(0)
    account = ws.connection(first.connection_id).account
    assert f"your Copernica account “{account.name}” (id 102) has stopped working" in body  # its name quoted
    assert "[connect link]" not in body and "client" not in to_client["title"].casefold()
    assert all("stopped working" not in m["title"] for m in webhook.messages)  # the agency hears its own alert
    [alert] = [m for m in webhook.messages if "token revoked or invalid" in m["title"]]
    shown = contacts.shown(client_hook.url("camping-0123456789abcdef"))
    assert re.search(rf"reconnect link sent to {re.escape(shown)} [\d-]+ [\d:]+ UTC, not used yet", alert["message"])
    secret = parse_qs(urlsplit(url).query)["invite"][0]
    assert secret.encode() not in stored_bytes(env)  # delivered: the link is kept nowhere

    ws.check_now()
    assert ws.apply_alert_rules().reconnect_links == 0 and len(client_hook.messages) == 1  # once per break
    [sent] = ws.reconnect_links_sent().values()
    assert (sent.connection_id, sent.sent_to, sent.used_at) == (first.connection_id, contacts.shown(
        client_hook.url("camping-0123456789abcdef")), None)

    assert not sent.reminded
    from datetime import UTC, datetime, timedelta

    from copernica_core.config import load_settings
    from copernica_core.workspace import Workspace

    later = Workspace(load_settings(env, secrets_files=[]), actor=ws.actor,
                      clock=lambda: datetime.now(UTC) + timedelta(hours=25))  # past COPERNICA_REMIND_EVERY
    assert [n.kind for n in later.apply_alert_rules().evaluation.notices] == ["reminder"]
    later.close()
    assert ws.reconnect_links_sent()[first.connection_id].reminded  # the Overview's card now says so plainly
    again = use(env, url, account="102")  # the client opens the link it was sent
    assert (again.status, again.replaced, again.connection_id) == ("connected", True, first.connection_id)
    assert ws.connection(first.connection_id).status is Outcome.VALID
    assert ws.reconnect_links_sent()[first.connection_id].used_at is not None
    actions = [(e.actor, e.action) for e in ws.events(connection_id=first.connection_id)]
    assert ("test", "reconnect link sent") in actions
    assert (f"client via link #{sent.id}", "connected through a link") in actions


def test_clients_that_did_not_opt_in_and_outages_get_nothing(agency, client_hook, control):
    env, ws = agency
    for account in ("101", "102", "103"):
        use(env, ws.invite(client=CLIENT)[0], account=account)
    ws.set_client_contact(CLIENT, client_hook.url(), reconnect_links=False)
    control.post("revoke", account_id="101")
    ws.check_now()
    assert ws.apply_alert_rules().reconnect_links == 0  # not opted in
    ws.set_client_contact(CLIENT, client_hook.url(), reconnect_links=True)
    control.post("fail", endpoint="any", kind="json500", times=100)
    ws.check_now()
    ws.apply_alert_rules()  # the outage is seen; it is told once it lasted COPERNICA_ALERT_AFTER
    ws.db.execute("UPDATE watcher SET outage_since = '2000-01-01T00:00:00.000000Z'")
    report = ws.apply_alert_rules()
    assert report.evaluation.outage_notice == "down" and report.reconnect_links == 0
    assert client_hook.messages == []


def test_a_client_contact_by_e_mail_goes_through_the_agencys_mail_server(agency, mailbox, control):
    env, ws = agency
    with pytest.raises(BadInput, match="COPERNICA_MAIL_URL"):
        ws.set_client_contact(CLIENT, "anna@camping.example", reconnect_links=True)
    ws.close()
    ws = make_workspace({**env, "COPERNICA_MAIL_URL": mailbox.url(), "COPERNICA_AGENCY_NAME": "Harbor Media",
                         "COPERNICA_CONTACT": "help@harbor.example"})
    use(env, ws.invite(client=CLIENT)[0], account="103")
    contact = ws.set_client_contact(CLIENT, "anna@camping.example", reconnect_links=True)
    assert contact.shown == "anna@camping.example" and contact.target is not None
    control.post("revoke", account_id="103")
    ws.check_now()
    assert ws.apply_alert_rules().reconnect_links == 1
    [mail] = mailbox.mails
    assert "To: anna@camping.example" in mail and "ops@example.com" not in mail
    assert "Harbor Media: the access you gave" in mail and "Questions? Contact help@harbor.example." in mail
    assert "/?invite=" in mail
    ws.close()


def test_an_address_with_an_international_domain_arrives_from_the_agency_by_name(agency, mailbox, control):
    """anna@bloemisterij-één.nl reaches the SMTP server as the IDNA form of its domain (not cut
    at the first accent), from the agency by name, marked auto-generated; an address whose name
    part e-mail cannot carry is refused when it is entered, saying why."""
    env, ws = agency
    ws.close()
    ws = make_workspace({**env, "COPERNICA_MAIL_URL": mailbox.url(), "COPERNICA_AGENCY_NAME": "Harbor Media",
                         "COPERNICA_TIMEZONE": "Europe/Amsterdam"})
    with pytest.raises(BadInput, match=r"before the @ in zoë@bloemisterij\.nl has letters e-mail cannot carry"):
        ws.set_client_contact(CLIENT, "zoë@bloemisterij.nl", reconnect_links=True)
    use(env, ws.invite(client=CLIENT)[0], account="103")
    ws.set_client_contact(CLIENT, "anna@bloemisterij-één.nl", reconnect_links=True)
    ws.set_client_language(CLIENT, "nl")  # and it reads Dutch
    assert ws.client_contacts()[CLIENT].shown == "anna@bloemisterij-één.nl"
    control.post("revoke", account_id="103")
    ws.check_now()
    assert ws.apply_alert_rules().reconnect_links == 1
    [mail], [recipients] = mailbox.mails, mailbox.recipients
    assert recipients == ["anna@xn--bloemisterij-n-nkba.nl"]
    assert "To: anna@xn--bloemisterij-n-nkba.nl" in mail
    assert "From: Harbor Media <watch@example.com>" in mail and "Auto-Submitted: auto-generated" in mail
    import email

    message = email.message_from_string(mail)
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert message["Subject"] == "Harbor Media: de toegang die u gaf tot uw Copernica-account werkt niet meer"
    assert text.startswith("Goedendag,") and "Dit bericht is verstuurd door Harbor Media." in text
    assert re.search(r"De link werkt één keer, tot \d+ \w+ 20\d\d, \d\d:\d\d \(Midden-Europese \w+\)\.", text)
    ws.close()


def test_bad_contacts_are_refused_and_change_nothing(agency):
    _, ws = agency
    for contact, why in [("not an address", "e-mail address"), ("nope://x", "Apprise does not understand")]:
        with pytest.raises(BadInput, match=why):
            ws.set_client_contact(CLIENT, contact, reconnect_links=True)
    assert ws.client_contacts() == {}
    ws.set_client_contact(CLIENT, "json://hooks.example.com/secret-path-0123456789", reconnect_links=False)
    assert ws.client_contacts()[CLIENT].shown == "json://hooks.example.com/…"
    ws.set_client_contact(CLIENT, "", reconnect_links=False)
    assert ws.client_contacts() == {}


def test_a_clients_report_speaks_to_it_with_a_working_reconnect_link_when_its_links_are_on(agency, control):
    env, ws = agency
    broken = use(env, ws.invite(client=CLIENT)[0], account="102").connection_id
    use(env, ws.invite(client=CLIENT)[0], account="103")
    control.post("revoke", account_id="102")
    ws.check_now()
    without = ws.report(client=CLIENT)  # links off: no link made
    assert [r.link for r in without.rows] == ["", ""] and ws.connect_links() == []
    ws.set_client_contact(CLIENT, "json://hooks.example.com/secret-path-0123456789", reconnect_links=True)
    report = ws.report(client=CLIENT)
    first = report.rows[0]
    assert (first.connection.id, first.what_to_do) == (
        broken, f"The access you gave has stopped working; give it again with this link: {first.link}")
    assert report.rows[1].what_to_do == "" and report.rows[1].uptime_text == "not enough history yet"
    page = as_html(report)
    assert f'<a href="{first.link}">' in page and "<th>Client</th>" not in page and "period " in page
    assert "reconnect_link" in as_csv(report).splitlines()[0]
    assert use(env, first.link, account="102").replaced  # the link in the report works


def test_contacts_from_the_command_line(cli_env, capsys, monkeypatch):
    from .helpers import run

    monkeypatch.setenv("COPERNICA_PUBLIC_URL", "https://connections.example.com")
    assert run(capsys, "contacts")[1] == "No client has a contact yet.\n"
    code, out, _ = run(capsys, "contacts", "--client", CLIENT, "--to", "json://hooks.example.com/key-0123456789abcdef",
                       "--reconnect-links", "on")
    assert code == 0 and out == f"{CLIENT}: json://hooks.example.com/…, reconnect links on\n"
    assert run(capsys, "contacts", "--client", CLIENT, "--reconnect-links", "off")[0] == 0  # the contact is kept
    shown = run(capsys, "contacts", "--client", CLIENT)[1]  # only --client: shown, not changed
    assert shown == f"{CLIENT}: json://hooks.example.com/…, reconnect links off\n"
    code, out, _ = run(capsys, "contacts", "--json")
    assert json.loads(out) == [{"client": CLIENT, "contact": "json://hooks.example.com/…", "reconnect_links": False,
                                "language": None, "problem": None}] and "key-0123" not in out
    assert run(capsys, "contacts", "--client", CLIENT, "--language", "nl")[1] == f"{CLIENT} reads Dutch.\n"
    assert json.loads(run(capsys, "contacts", "--json")[1])[0]["language"] == "nl"
    assert run(capsys, "contacts", "--client", CLIENT, "--language", "browser")[0] == 0
    assert json.loads(run(capsys, "contacts", "--json")[1])[0]["language"] is None
    assert run(capsys, "contacts", "--language", "nl")[0] == 2  # no client named
    code, _, err = run(capsys, "contacts", "--client", CLIENT, "--to", "anna@camping.example")
    assert code == 2 and "COPERNICA_MAIL_URL" in err  # refused: what was there stays
    assert json.loads(run(capsys, "contacts", "--json")[1])[0]["contact"] == "json://hooks.example.com/…"
    assert run(capsys, "contacts", "--to", "x@example.com")[0] == 2  # no client named
    assert run(capsys, "contacts", "--client", CLIENT, "--remove")[1] == f"{CLIENT} has no contact now.\n"
    assert run(capsys, "contacts", "--client", CLIENT)[1] == f"{CLIENT} has no contact.\n"
    assert run(capsys, "contacts")[1] == "No client has a contact yet.\n"


def test_ntfy_topics_are_masked_wherever_a_target_or_contact_is_shown(agency, control, capsys, monkeypatch):
    """An ntfy topic is that target's only secret: not in targets, contacts, events, "sent to",
    the links' list or the command line's output."""
    from copernica_core import notify

    from .helpers import run

    assert notify.redact("ntfy://camping-cloud-topic-0123") == "ntfys://…"  # ntfy.sh: the host is the topic
    assert notify.redact("ntfys://ntfy.example.com/agency-topic-0123") == "ntfys://ntfy.example.com/…"
    env, ws = agency
    use(env, ws.invite(client=CLIENT)[0], account="102")
    ws.add_notify_target("ntfy://127.0.0.1:9/agency-topic-0123456789")
    ws.set_client_contact(CLIENT, "ntfy://127.0.0.1:9/camping-topic-0123456789", reconnect_links=True)
    control.post("revoke", account_id="102")
    ws.check_now()
    assert ws.apply_alert_rules().reconnect_links == 1
    shown = [str(t) for t in ws.notify_targets()] + [str(c) for c in ws.client_contacts().values()]
    shown += [e.detail for e in ws.events()] + [str(d) for d in ws.recent_deliveries()]
    shown += [str(i) for i in ws.connect_links(open_only=False)]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for command in (["contacts", "--json"], ["invitations", "--all"]):
        code, out, _ = run(capsys, *command)
        assert code == 0
        shown.append(out)
    text = "\n".join(shown)
    assert "127.0.0.1:9/…" in text and "ntfy://" in text and "sent" in text.casefold()
    assert "topic-0123456789" not in text
