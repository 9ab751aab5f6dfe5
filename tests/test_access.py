"""The acting person: the core refuses what a role may not do (below any page), errors are
types, and a check tells each connection's status before and after."""

from __future__ import annotations

import pytest

from copernica_core import Action, Actor, Forbidden, NotFound, Role
from copernica_core.models import Outcome

from .conftest import make_workspace
from .factories import seed_connection

VIEWER = Actor("viewer@example.com", Role.VIEWER)
TESTER_ADMIN = Actor("admin@example.com", Role.ADMIN)

# every operation that changes or reveals something, with arguments that would otherwise work
ADMIN_ONLY = {
    "save_application": lambda ws, ids: ws.save_application(label="X", client_key="ck-x", client_secret="cs-xxxxxx"),
    "delete_application": lambda ws, ids: ws.delete_application(ids["application"]),
    "rename_connection": lambda ws, ids: ws.rename_connection(ids["connection"], "New name"),
    "disconnect": lambda ws, ids: ws.disconnect(ids["connection"]),
    "reveal_token": lambda ws, ids: ws.reveal_token(ids["connection"]),
    "add_token": lambda ws, ids: ws.add_token("tok-abcdefgh-123"),
    "start_authorization": lambda ws, ids: ws.start_authorization(ids["application"]),
    "complete_authorization": lambda ws, ids: ws.complete_authorization(code="c" * 20, state="s" * 40),
    "complete_authorization_url": lambda ws, ids: ws.complete_authorization_url("http://localhost/authorize?state=x"),
    "prune": lambda ws, ids: ws.prune(older_than_days=1),
    "rotate_key": lambda ws, ids: ws.rotate_key(),
    "events": lambda ws, ids: ws.events(),
}


@pytest.fixture
def seeded(env):
    ws = make_workspace(env)
    app = ws.save_application(label="App", client_key="ck-1", client_secret="cs-secret-1")
    ids = {"application": app.id, "connection": seed_connection(ws, "7", "Seven")}
    ws.close()
    return ids


def snapshot(env) -> tuple:
    ws = make_workspace(env)
    try:
        return tuple(list(ws.db.query(f"SELECT * FROM {t}")) for t in
                     ("applications", "connections", "events", "checks", "pending_authorizations", "meta"))
    finally:
        ws.close()


@pytest.mark.parametrize("operation", list(ADMIN_ONLY))
def test_a_viewer_is_refused_every_admin_operation_by_the_core(env, seeded, operation):
    before = snapshot(env)
    viewer = make_workspace(env, actor=VIEWER)
    with pytest.raises(Forbidden, match=r"viewer@example\.com"):
        ADMIN_ONLY[operation](viewer, seeded)
    viewer.close()
    assert snapshot(env) == before


def test_a_viewer_can_look_check_and_download(sandbox_env, control):
    admin = make_workspace(sandbox_env)
    [token] = control.tokens("101")
    connection = admin.add_token(token).connection
    admin.close()
    viewer = make_workspace(sandbox_env, actor=VIEWER)
    assert [c.id for c in viewer.connections()] == [connection.id]
    assert [c.result.outcome for c in viewer.check()] == [Outcome.VALID]
    assert viewer.history_count(connection.id) == 2
    assert viewer.history_csv(connection.id).count("\n") == 3
    assert not viewer.may(Action.MANAGE) and viewer.may(Action.CHECK)
    viewer.close()


def test_renaming_a_connection_that_does_not_exist_is_not_found_and_records_nothing(ws):
    with pytest.raises(NotFound):
        ws.rename_connection(12345, "Ghost")
    assert list(ws.db.query("SELECT * FROM events")) == []


@pytest.mark.parametrize("operation", ["connection", "disconnect", "reveal_token"])
def test_a_missing_connection_is_not_found(ws, operation):
    with pytest.raises(NotFound):
        getattr(ws, operation)(999)


def test_a_check_tells_each_connections_status_before_and_after(sws, control):
    [first] = control.tokens("101")
    [second] = control.tokens("102")
    a, b = sws.add_token(first).connection, sws.add_token(second).connection
    control.post("revoke", account_id="102")
    run = sws.check()
    changes = {c.connection_id: (c.before, c.after) for c in run.changes}
    assert changes == {a.id: (Outcome.VALID, Outcome.VALID), b.id: (Outcome.VALID, Outcome.INVALID_TOKEN)}
    assert [c.connection_id for c in run.changes if c.changed] == [b.id]


def test_statuses_have_one_order_worst_first():
    assert sorted(Outcome, key=lambda o: o.severity) == [
        Outcome.ACCOUNT_CHANGED, Outcome.INVALID_TOKEN, Outcome.UNAVAILABLE, Outcome.RATE_LIMITED,
        Outcome.UNEXPECTED, Outcome.UNCHECKED, Outcome.VALID]
    assert {o for o in Outcome if o.needs_a_person} == {Outcome.ACCOUNT_CHANGED, Outcome.INVALID_TOKEN}
    assert Outcome.of("something new") is Outcome.UNEXPECTED


def test_roles_come_from_addresses_and_domains():
    from copernica_core.access import role_for

    admins, viewers = ("ann@agency.example",), ("@agency.example", "ext@partner.example")
    assert role_for("Ann@Agency.example", admins=admins, viewers=viewers) is Role.ADMIN
    assert role_for("victor@agency.example", admins=admins, viewers=viewers) is Role.VIEWER
    assert role_for("ext@partner.example", admins=admins, viewers=viewers) is Role.VIEWER
    assert role_for("sam@elsewhere.example", admins=admins, viewers=viewers) is None
    assert role_for("", admins=admins, viewers=viewers) is None


LOCAL = "http://localhost:8501"


@pytest.mark.parametrize(("headers", "peer", "local"), [
    ({"origin": LOCAL, "host": "localhost:8501"}, None, True),
    ({"origin": "http://127.0.0.1:8501"}, None, True),
    ({"origin": "http://[::1]:8501"}, None, True),
    # nginx's default Host is the upstream's own address: the browser's Origin says where it is
    ({"origin": "http://connections.example.com", "host": "127.0.0.1:8501"}, None, False),
    ({"host": "localhost:8501"}, None, False),  # no Origin: not a browser on this machine, unsure
    ({"origin": "null", "host": "localhost:8501"}, None, False),
    ({"origin": LOCAL, "x-forwarded-for": "203.0.113.7, 127.0.0.1"}, None, False),
    ({"origin": LOCAL, "x-forwarded-for": "::1"}, None, True),
    ({"origin": LOCAL, "x-real-ip": "198.51.100.2"}, None, False),
    ({"origin": LOCAL, "x-forwarded-host": "connections.example.com"}, None, False),
    ({"origin": LOCAL, "forwarded": 'for="[2001:db8::1]:4711";proto=https'}, None, False),
    ({"origin": LOCAL, "forwarded": "for=127.0.0.1;host=localhost:8501"}, None, True),
    ({"origin": LOCAL, "forwarded": "for=unknown"}, None, False),
    ({"origin": LOCAL}, "192.0.2.10", False),  # the connection itself comes from elsewhere
])
def test_this_machine_is_decided_from_origin_and_forwarded_addresses_never_host(headers, peer, local):
    from copernica_core.access import is_local_request

    assert is_local_request(headers, peer=peer) is local


def test_a_used_or_expired_state_names_no_starter(sws, sandbox_env):
    """A replayed redirect address must not let a signed-out visitor act as its starter."""
    from datetime import timedelta

    from copernica_core.config import load_settings
    from copernica_core.doorstep import Doorstep

    from .helpers import callback_params, consent

    sws = make_workspace(sandbox_env, actor=Actor("ann@agency.example", Role.ADMIN))
    app_id = sws.applications()[0].id
    params = callback_params(consent(sws.start_authorization(app_id), account="101"))
    door = Doorstep(load_settings(sandbox_env, secrets_files=[]))
    assert door.starter_of(params["state"]) == "ann@agency.example"
    assert sws.complete_authorization(**params).ok
    assert door.starter_of(params["state"]) is None  # used
    waiting = callback_params(consent(sws.start_authorization(app_id), account="102"))["state"]
    clock = door.clock
    door.clock = lambda: clock() + timedelta(minutes=11)
    assert door.starter_of(waiting) is None  # expired
    assert door.starter_of("forged-" * 8) is None
    door.close()


def test_an_authorization_completes_only_for_the_person_who_started_it(sws, sandbox_env):
    from .helpers import callback_params, consent

    ann = make_workspace(sandbox_env, actor=Actor("ann@agency.example", Role.ADMIN))
    bob = make_workspace(sandbox_env, actor=Actor("bob@agency.example", Role.ADMIN))
    params = callback_params(consent(ann.start_authorization(sws.applications()[0].id), account="101"))
    refused = bob.complete_authorization(**params)
    assert refused.status == "refused" and "ann@agency.example" in refused.message
    assert sws.connections() == []
    assert ann.complete_authorization(**params).status == "connected"  # still hers to complete
    assert [e.actor for e in sws.events() if e.action == "authorized"] == ["ann@agency.example"]


def test_a_workspace_has_a_fixed_acting_person_and_no_default(env):
    """Datasette's way: the actor is always explicit; nobody may do nothing."""
    from copernica_core import Workspace
    from copernica_core.config import load_settings

    settings = load_settings(env, secrets_files=[])
    with pytest.raises(TypeError):
        Workspace(settings)
    with pytest.raises(TypeError, match="acting person"):
        Workspace(settings, actor=None)
    ws = Workspace(settings, actor=Actor.nobody())
    with pytest.raises(Forbidden):
        ws.connections()
    with pytest.raises(AttributeError):
        ws.actor = TESTER_ADMIN
    ws.close()


def test_the_events_command_lists_who_did_what(cli_env, capsys, sws):
    import json

    from copernica_core.cli import main

    sws.save_application(label="Second", client_key="ck-second", client_secret="cs-second-secret")
    assert main(["events", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {"who": "test", "action": "application added"}.items() <= records[0].items()
