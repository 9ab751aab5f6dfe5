"""The acting person: the core refuses what a role may not do (below any page), errors are
types, and a check tells each connection's status before and after."""

from __future__ import annotations

import contextlib
import re
from types import SimpleNamespace

import pytest

from copernica_core import Action, Actor, BadInput, Forbidden, NotFound, Role
from copernica_core.models import Outcome

from .conftest import make_workspace
from .factories import seed_connection

VIEWER = Actor("viewer@example.com", Role.VIEWER)
TESTER_ADMIN = Actor("admin@example.com", Role.ADMIN)

# The permission test is derived from the class: every public method of Workspace refuses a
# viewer, a link visitor and nobody, unless it is on one of these allow-lists, each entry with
# why. A new method is refused to all three, or it fails this test until it is listed here.
OPEN_TO_EVERYONE = {
    "close": "closes the workspace's own database connection",
    "may": "tells what the acting person may do (pages hide what the core would refuse)",
    "who_to_ask": "names whom to ask, from the settings only",
}
VIEWER_MAY = {  # a viewer looks, checks (and so alerts), and downloads; nothing changes a secret or a connection
    "applications": "application labels, for the Inspect page",
    "application": "one application's label",
    "application_connections": "the connections an application concerns",
    "connections": "the Overview's rows", "connection": "one connection", "connection_count": "how many",
    "find_connections": "Inspect's search", "snapshot": "the Overview", "clients": "the client filter",
    "client_contacts": "a client's contact, shown without keys", "reconnect_links_sent": "\"link sent to …\"",
    "client_languages": "the language each client reads, for the client panel",
    "unknown_connection_ids": "check --connection's usage error",
    "history": "a connection's checks", "iter_history": "the same, streamed", "history_csv": "its CSV",
    "history_count": "paging", "uptime": "uptime", "daily_outcomes": "the chart", "report": "the status report",
    "notify_target_labels": "where alerts go, by label only", "recent_deliveries": "what was sent",
    "watcher_status": "the watcher line", "copernica_calls": "billed calls",
    "check": "Check all now", "check_now": "the same, recorded", "apply_alert_rules": "check --notify",
}
LINK_VISITOR_MAY = {  # a client holding a connect link: that link's authorization, nothing else
    "start_link_authorization": "the link's way to Copernica",
    "link_page": "what the link's page shows: its account, its client's language, its own address",
    "complete_authorization": "Copernica's redirect back for that link",
}


def public_operations() -> list[str]:
    import inspect

    from copernica_core.workspace import Workspace

    return [name for name, member in inspect.getmembers(Workspace, inspect.isfunction) if not name.startswith("_")]


def arguments(method, ids: dict, tmp_path) -> dict:
    """Plausible arguments for every parameter without a default (the check comes first anyway)."""
    import inspect

    by_name = {"connection_id": ids["connection"], "application_id": ids["application"], "connection_ids":
               [ids["connection"]], "destination": tmp_path / "backup.db", "reconnect_links": True, "days": 7,
               "older_than_days": 1, "link_id": 1, "target_id": 1, "rows": [],
               "link": SimpleNamespace(actor="client via link #1", connection_id=None),
               "every": None, "stop": None, "cancel": None, "on_run": print, "on_note": print}
    return {name: by_name.get(name, "x" * 40) for name, p in inspect.signature(method).parameters.items()
            if name != "self" and p.default is p.empty}


def test_every_allow_listed_operation_exists():
    operations = set(public_operations())
    assert len(operations) > 40
    assert set(OPEN_TO_EVERYONE) | set(VIEWER_MAY) | set(LINK_VISITOR_MAY) <= operations


@pytest.mark.parametrize("operation", public_operations())
def test_every_operation_refuses_whom_it_must_and_changes_nothing(env, seeded, operation, tmp_path):
    from copernica_core.workspace import Workspace

    if operation in OPEN_TO_EVERYONE:
        return
    refused = [(VIEWER, operation not in VIEWER_MAY),
               (Actor.client_link("client via link #1"), operation not in LINK_VISITOR_MAY),
               (Actor.nobody(), True)]
    for actor, must_refuse in refused:
        before = snapshot(env)
        ws = make_workspace(env, actor=actor)
        try:
            if must_refuse:
                with pytest.raises(Forbidden, match=re.escape(actor.who)):
                    getattr(ws, operation)(**arguments(getattr(Workspace, operation), seeded, tmp_path))
            else:  # allowed: whatever else it says about these arguments, never "you may not"
                with contextlib.suppress(NotFound, BadInput):
                    getattr(ws, operation)(**arguments(getattr(Workspace, operation), seeded, tmp_path))
        except Forbidden as error:
            raise AssertionError(f"{operation} refused {actor}, which the allow-list lets through") from error
        finally:
            ws.close()
        if must_refuse:
            assert snapshot(env) == before, f"{operation} changed something for {actor} before refusing"


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
