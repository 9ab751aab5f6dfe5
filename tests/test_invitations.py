"""Connect links in the core, against the sandbox: a client connects its own account from a
link without any dashboard session; the link is single use, expires, can be revoked, is stored
only as a hash; a reconnect link refuses another account; a new-connection link never takes
over another client's connection; every step is an event; the alert targets hear of a use."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from copernica_core import Actor
from copernica_core.errors import BadInput
from copernica_core.invitations import LookupLimit

from .conftest import make_workspace
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
    assert [i.id for i in ws.invitations(open_only=True)] == []
    actions = {(e.actor, e.action) for e in ws.events()}
    assert ("test", "connect link made") in actions
    assert (f"client via link #{link.id}", "connected through a link") in actions
    assert (f"client via link #{link.id}", "connect link refused") in actions  # the second use
    [told] = [m for m in webhook.messages if "through a link" in m["title"]]
    assert told["title"] == "Camping Het Bos connected its Copernica account through a link"
    secret = parse_qs(urlsplit(url).query)["invite"][0]
    db = Path(env["COPERNICA_DB"])
    stored = db.read_bytes() + (db.with_name(db.name + "-wal").read_bytes()
                                if db.with_name(db.name + "-wal").exists() else b"")
    assert secret.encode() not in stored  # only its hash


def test_expired_and_revoked_links_are_refused_without_a_way_to_copernica(agency):
    env, ws = agency
    url, link = ws.invite(client="Acme", expires=timedelta(minutes=5))
    ws.db.execute("UPDATE invitations SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?", [link.id])
    assert use(env, url, account="101").startswith("This link has expired")
    url, link = ws.invite(client="Acme")
    ws.revoke_invitation(link.id)
    assert use(env, url, account="101").startswith("This link was withdrawn")
    secret = parse_qs(urlsplit(url).query)["invite"][0]
    with pytest.raises(BadInput):
        make_workspace(env, actor=Actor.client_link(link.actor)).start_link_authorization(secret)
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
    with pytest.raises(BadInput, match="pasted token"):
        ws.invite(connection_id=pasted.id)
    ws.close()


def test_unknown_links_looked_up_too_often_are_answered_without_looking():
    limit = LookupLimit(allowed=3, window=60)
    for _ in range(3):
        assert not limit.blocked()
        limit.missed()
    assert limit.blocked()
