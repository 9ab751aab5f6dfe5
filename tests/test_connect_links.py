"""Connect links in the core, against the sandbox: a client connects its own account from a
link without any dashboard session; the link is single use, expires, can be revoked, is stored
only as a hash; a reconnect link refuses another account; a new-connection link never takes
over another client's connection; every step is an event; the alert targets hear of a use."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from copernica_core import Actor
from copernica_core.config import load_settings
from copernica_core.doorstep import Doorstep
from copernica_core.errors import BadInput

from .conftest import make_workspace
from .helpers import BROWSER, callback_params, consent, stored_bytes
from .helpers import use_link as use


def test_a_client_connects_its_account_from_a_link_once(agency, webhook):
    env, ws = agency
    url, link = ws.invite(client="Camping Het Bos")
    assert url.startswith("https://connections.example.com/?invite=")
    result = use(env, url, account="103")
    assert result.status == "connected"
    [conn] = ws.connections()
    assert (conn.client, conn.account.id, conn.application_id) == ("Camping Het Bos", "103", link.application_id)
    assert use(env, url, account="103").startswith("This link was already used")
    assert [i.id for i in ws.connect_links(open_only=True)] == []
    actions = {(e.actor, e.action) for e in ws.events()}
    assert ("test", "connect link made") in actions
    assert (f"client via link #{link.id}", "connected through a link") in actions
    # the second use is refused (the link was used), not recorded: its page says that it worked
    assert (f"client via link #{link.id}", "connect link refused") not in actions
    [told] = [m for m in webhook.messages if "through a link" in m["title"]]
    assert told["title"] == "Camping Het Bos connected its Copernica account through a link"
    secret = parse_qs(urlsplit(url).query)["invite"][0]
    assert secret.encode() not in stored_bytes(env)  # only its hash (and its ciphertext)


def test_expired_and_revoked_links_are_refused_without_a_way_to_copernica(agency):
    env, ws = agency
    url, link = ws.invite(client="Acme", expires=timedelta(minutes=5))
    ws.db.execute("UPDATE invitations SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?", [link.id])
    assert use(env, url, account="101").startswith("This link has expired")
    url, link = ws.invite(client="Acme")
    ws.withdraw_link(link.id)
    assert use(env, url, account="101").startswith("This link was withdrawn")
    secret = parse_qs(urlsplit(url).query)["invite"][0]
    with pytest.raises(BadInput):
        make_workspace(env, actor=Actor.client_link(link.actor)).start_link_authorization(secret, browser=BROWSER)
    assert ws.connections() == []


def test_a_reconnect_link_replaces_its_own_token_and_refuses_another_account(agency, control):
    env, ws = agency
    first = use(env, ws.invite(client="Bloom")[0], account="102")
    history_before = ws.history_count(first.connection_id)
    control.post("revoke", account_id="102")
    url, _ = ws.invite(connection_id=first.connection_id)
    wrong = use(env, url, account="101")
    assert wrong.status == "mismatch" and len(ws.connections()) == 1
    url, _ = ws.invite(connection_id=first.connection_id)
    again = use(env, url, account="102")
    assert (again.status, again.replaced, again.connection_id) == ("connected", True, first.connection_id)
    assert ws.connection(first.connection_id).client == "Bloom"
    assert ws.history_count(first.connection_id) > history_before  # history kept


def test_a_new_connection_link_never_takes_over_another_clients_connection(agency):
    env, ws = agency
    use(env, ws.invite(client="Acme")[0], account="101")
    taken = use(env, ws.invite(client="Someone else")[0], account="101")
    assert taken.status == "mismatch" and "already connected here for another client" in taken.message
    assert [c.client for c in ws.connections()] == ["Acme"]
    allowed = use(env, ws.invite(client="Someone else", allow_replace=True)[0], account="101")
    assert allowed.status == "connected"


def test_links_need_the_public_address_and_a_renewable_connection(sandbox_env, control):
    ws = make_workspace(sandbox_env)
    with pytest.raises(BadInput, match="COPERNICA_PUBLIC_URL"):
        ws.invite(client="Acme")
    ws.close()
    ws = make_workspace({**sandbox_env, "COPERNICA_PUBLIC_URL": "https://c.example.com"})
    pasted = ws.add_token(control.tokens("101")[0]).connection
    with pytest.raises(BadInput, match="pasted token: a link renews it through your Copernica application, so add "
                                       "it on the Credentials page first"):
        ws.invite(connection_id=pasted.id)
    ws.close()


def test_a_pasted_connection_is_renewed_in_place_from_a_link(agency, control):
    """The README onboards a fleet by pasting tokens: when one stops working, its client renews it
    from a link, through the agency's application, and the connection keeps its id, label,
    client and history (and has that application from then on)."""
    env, ws = agency
    [token] = control.tokens("102")
    pasted = ws.add_token(token, label="Bloom shop", client="Bloom").connection
    assert pasted.application_id is None
    control.post("revoke", account_id="102")
    ws.check_now()
    before = ws.history_count(pasted.id)
    url, link = ws.invite(connection_id=pasted.id)
    assert link.connection_id == pasted.id and link.client == "Bloom"
    assert not use(env, url, account="101").ok  # another account is refused, nothing changes
    result = use(env, url, account="102")
    assert result.ok and result.replaced and result.connection_id == pasted.id
    renewed = ws.connection(pasted.id)
    assert (renewed.label, renewed.client, renewed.status) == ("Bloom shop", "Bloom", "valid")
    assert renewed.application_id == ws.applications()[0].id and len(ws.connections()) == 1
    assert ws.history_count(pasted.id) == before + 1


def test_no_number_of_wrong_links_locks_out_a_real_one(agency):
    env, ws = agency
    url, _ = ws.invite(client="Acme")
    with Doorstep(load_settings(env, secrets_files=[])) as lookup:
        for n in range(200):
            assert lookup.link(f"made-up-{n:04d}-" + "x" * 30).startswith("This link is not known here")
    assert use(env, url, account="101").status == "connected"


def test_a_link_row_written_without_the_key_opens_nothing(agency):
    """Someone who can write to the database but has no key cannot make a link of their own:
    the stored hash is keyed (and a plain hash, as links had before, matches nothing)."""
    import hashlib

    env, ws = agency
    ws.invite(client="Acme")  # the database has its link key
    forged = "forged-secret-0123456789abcdef0123456789abcdef"
    for stored in (hashlib.sha256(b"copernica-connections invitation\0" + forged.encode()).hexdigest(),
                   hashlib.sha256(forged.encode()).hexdigest()):
        ws.db.execute("INSERT INTO invitations (secret_hash, application_id, client, made_by, created_at, expires_at) "
                      "VALUES (?, 1, 'Evil', 'x', '2026-01-01T00:00:00.000000Z', '2999-01-01T00:00:00.000000Z')",
                      [stored])
        assert use(env, f"https://connections.example.com/?invite={forged}", account="101").startswith(
            "This link is not known here")
        ws.db.execute("DELETE FROM invitations WHERE client = 'Evil'")
    assert ws.connections() == []


def test_a_links_consent_page_forwarded_to_another_browser_connects_nothing(agency):
    """Login CSRF: the holder of a link forwards Copernica's consent page; a victim who gives
    access comes back in a browser without the link's cookie. Nothing is connected, and the
    link still works in the browser that opened it."""
    env, ws = agency
    url, link = ws.invite(client="Evil Corp")
    for cookie in ("", "another-browser-0123456789"):
        refused = use(env, url, account="102", back_in=cookie)
        assert refused.status == "refused" and refused.title == "This was started in another browser"
    assert ws.connections() == [] and [i.id for i in ws.connect_links()] == [link.id]
    assert use(env, url, account="101").status == "connected"


def test_a_reconnect_never_changes_the_client(agency, control):
    env, ws = agency
    first = use(env, ws.invite(client="Bloom")[0], account="102")
    control.post("revoke", account_id="102")
    ws.check_now()
    url, _ = ws.invite(connection_id=first.connection_id)  # made while its client was Bloom
    ws.set_client([first.connection_id], "Bloom Florists BV")
    again = use(env, url, account="102")
    assert again.status == "connected"
    assert ws.connection(first.connection_id).client == "Bloom Florists BV"


def test_a_refused_links_views_are_recorded_once_an_hour(agency):
    env, ws = agency
    url, link = ws.invite(client="Acme")
    ws.withdraw_link(link.id)
    for _ in range(5):
        assert use(env, url, account="101").startswith("This link was withdrawn")
    refusals = [e for e in ws.events() if e.action == "connect link refused"]
    assert len(refusals) == 1 and refusals[0].actor == link.actor
    ws.db.execute("UPDATE invitations SET refusal_told_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?", [link.id])
    use(env, url, account="101")
    assert len([e for e in ws.events() if e.action == "connect link refused"]) == 2


def test_a_connection_has_one_open_reconnect_link_given_again_until_withdrawn(agency, control):
    env, ws = agency
    cid = use(env, ws.invite(client="Bloom")[0], account="102").connection_id
    control.post("revoke", account_id="102")
    ws.check_now()
    url, link = ws.invite(connection_id=cid)
    assert ws.invite(connection_id=cid) == (url, link)  # the same link again: what was sent keeps working
    ws.set_client_contact("Bloom", "json://127.0.0.1:9/hook", reconnect_links=True)
    for _ in range(3):
        assert ws.report(client="Bloom").rows[0].link == url
    assert [i.id for i in ws.connect_links()] == [link.id]  # three reports mint nothing new
    ws.withdraw_link(link.id)
    renewed, new = ws.invite(connection_id=cid)
    assert renewed != url and [i.id for i in ws.connect_links()] == [new.id]
    assert use(env, url, account="102").startswith("This link was withdrawn")
    assert use(env, renewed, account="102").status == "connected"


def test_links_that_lost_their_reason_are_withdrawn(agency, control):
    env, ws = agency
    cid = use(env, ws.invite(client="Bloom")[0], account="102").connection_id
    control.post("revoke", account_id="102")
    ws.check_now()
    ws.invite(connection_id=cid)
    fix(ws, cid)
    fixed = ws.connect_links(open_only=False)[0]
    assert fixed.revoked_at and fixed.withdrawn_why == "the connection works again"
    assert "(the connection works again)" in fixed.state(ws.clock())
    for change in ({"contact": "json://127.0.0.1:9/other"}, {"contact": None, "reconnect_links": False},
                   {"contact": ""}):
        ws.set_client_contact("Bloom", "json://127.0.0.1:9/hook", reconnect_links=True)
        control.post("revoke", account_id="102")
        ws.check_now()
        _, link = ws.invite(connection_id=cid)
        ws.db.execute("UPDATE invitations SET sent_to = 'json://127.0.0.1/…' WHERE id = ?", [link.id])
        ws.set_client_contact("Bloom", **{"reconnect_links": True, **change})
        assert ws.connect_links() == [], change
        fix(ws, cid)


def fix(ws, connection_id: int) -> None:
    """An admin re-authorizes the connection from the dashboard (Fix this connection)."""
    conn = ws.connection(connection_id)
    redirect = consent(ws.start_authorization(conn.application_id, connection_id=connection_id),
                       account=conn.account.id)
    assert ws.complete_authorization(**callback_params(redirect)).ok
