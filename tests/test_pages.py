"""The pages with Streamlit's AppTest: widgets in, core called, results rendered."""

import re

import pytest
import responses
from streamlit.testing.v1 import AppTest

from copernica_core import Actor, Role

from . import factories
from .conftest import API, AUTH, make_workspace
from .factories import IDENTITY, make_jwt
from .factories import seed_development as seed_connection
from .helpers import app, callback_params, texts


def add_application(env) -> int:
    ws = make_workspace(env)
    app_id = ws.save_application(label="Agency app", client_key="ck-123456", client_secret="cs-abcdef-secret").id
    ws.close()
    return app_id


def mock_copernica(token="tok-0123456789abcdef"):
    responses.get(f"{API}/v4/token", json={"access_token": token})
    responses.post(AUTH, body=make_jwt())
    responses.get(f"{API}/v4/identity", json=IDENTITY)


def test_overview_without_connections_explains_what_to_do(page_env):
    at = app().run()
    assert not at.exception
    assert "No connections yet" in texts(at)
    assert "Client key" in texts(at)


def test_overview_with_an_application_but_no_connections_points_at_authorize(page_env):
    add_application(page_env)
    at = app().run()
    assert not at.exception
    assert "No connections yet. Connect a Copernica account on the Authorize page" in texts(at)
    assert "Client key" not in texts(at)  # the application is there: do not ask for it again


def test_overview_without_connections_tells_a_viewer_who_connects_accounts(page_env, monkeypatch):
    import signin

    add_application(page_env)
    monkeypatch.setattr(signin, "acting_person", lambda settings: Actor("vic@agency.example", Role.VIEWER))
    at = app().run()
    assert not at.exception
    assert "An admin of this dashboard connects Copernica accounts" in texts(at)
    assert "Authorize page" not in texts(at)


def test_adding_an_application_saves_it_and_clears_the_secret(page_env):
    at = app("credentials").run()
    at.text_input(key="new_label").input("Agency app")
    at.text_input(key="new_key").input("ck-123456")
    at.text_input(key="new_secret").input("cs-abcdef-secret")
    at.button[0].click().run()
    assert not at.exception
    assert "Added Agency app" in texts(at)
    # Copernica cannot check a secret without a code: the page says when it will be checked
    assert "that first authorization checks them" in texts(at)
    assert at.text_input(key="new_secret").value == ""
    ws = make_workspace(page_env)
    assert [a.client_key for a in ws.applications()] == ["ck-123456"]


def test_deleting_an_application_is_confirmed_and_says_what_it_forgot(page_env):
    app_id = add_application(page_env)
    ws = make_workspace(page_env)
    for account in ("7", "8"):
        factories.seed_connection(ws, account, f"Shop {account}", application_id=app_id)
    at = app("credentials").run()
    assert "123456 · 2 connections" in texts(at)
    assert "Deleting forgets this application and its 2 connections with their history here." in texts(at)
    assert not [b for b in at.button if b.label == "Delete application"]  # only once confirmed
    at.checkbox(key=f"app{app_id}_confirm_delete").check().run()
    next(b for b in at.button if b.label == "Delete application").click().run()
    assert not at.exception
    assert "Deleted Agency app and forgot its 2 connections with their history" in texts(at)
    assert ws.applications() == [] and ws.connections() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("new_label", "   ", "Label is required"),
    ("new_key", "has space", "printable characters without spaces"),
    ("new_key", "k" * 10_000, "too long"),
    ("new_label", "bad\x00label", "control"),
])
def test_bad_application_input_is_explained_and_saves_nothing(page_env, field, value, message):
    at = app("credentials").run()
    values = {"new_label": "Agency app", "new_key": "ck-123456", "new_secret": "cs-abcdef-secret"}
    values[field] = value
    for key, text in values.items():
        at.text_input(key=key).input(text)
    at.button[0].click().run()
    assert not at.exception
    assert message in "\n".join(e.value for e in at.error)
    assert make_workspace(page_env).applications() == []


@pytest.mark.usefixtures("copernica_double")
def test_callback_with_a_valid_state_connects_the_account(page_env):
    responses.add_passthru("http://localhost")
    app_id = add_application(page_env)
    ws = make_workspace(page_env, actor=Actor.local_dashboard())
    state = callback_params(ws.start_authorization(app_id))["state"]
    mock_copernica()
    at = app("authorize")
    at.query_params["state"] = state
    at.query_params["code"] = "code-1234567890"
    at.run()
    assert not at.exception
    assert "Development" in "\n".join(e.value for e in at.success)
    assert at.query_params.get("code") in (None, [])
    [conn] = ws.connections()
    assert conn.account.id == "34"
    assert "tok-0123456789abcdef" not in texts(at)
    assert at.query_params["connected"] in (str(conn.id), [str(conn.id)])
    reloaded = app("authorize")  # a reload is a new session: the address keeps the confirmation
    reloaded.query_params["connected"] = str(conn.id)
    reloaded.run()
    assert "is connected" in "\n".join(e.value for e in reloaded.success)


@pytest.mark.usefixtures("copernica_double")
def test_replayed_callback_exchanges_nothing_the_second_time(page_env):
    app_id = add_application(page_env)
    ws = make_workspace(page_env, actor=Actor.local_dashboard())
    state = callback_params(ws.start_authorization(app_id))["state"]
    mock_copernica()
    for _ in range(2):
        at = app("authorize")
        at.query_params["state"] = state
        at.query_params["code"] = "code-1234567890"
        at.run()
    [shown] = [e.value for e in at.success]  # the same confirmation, not an alarm
    assert "is connected" in shown and "nothing was changed" in shown
    assert sum("/v4/token" in c.request.url for c in responses.calls) == 1


def test_forged_state_is_refused_on_the_page(page_env):
    add_application(page_env)
    at = app("authorize")
    at.query_params["state"] = "forged-state-value-1234567890"
    at.query_params["code"] = "code-1234567890"
    at.run()
    assert not at.exception
    assert "not ours" in "\n".join(e.value for e in at.warning)
    assert make_workspace(page_env).connections() == []


def test_denied_callback_is_explained(page_env):
    app_id = add_application(page_env)
    state = callback_params(make_workspace(page_env, actor=Actor.local_dashboard()).start_authorization(app_id))[
        "state"]
    at = app("authorize")
    at.query_params["state"] = state
    at.query_params["error"] = "access_denied"
    at.run()
    assert "Access was not granted" in "\n".join(e.value for e in at.warning)


def test_the_authorization_link_is_made_when_clicked_and_opens_in_the_same_tab(page_env):
    from datetime import UTC, datetime, timedelta

    add_application(page_env)
    ws = make_workspace(page_env)
    pending = lambda: list(ws.db.query("SELECT expires_at FROM pending_authorizations"))  # noqa: E731
    at = app("authorize").run()
    assert pending() == []  # reading the page starts no clock
    next(b for b in at.button if b.label == "Authorize with Copernica").click().run()
    clicked = datetime.now(UTC)
    [row] = pending()
    expires = datetime.fromisoformat(row["expires_at"])
    assert timedelta(minutes=9) < expires - clicked <= timedelta(minutes=10)
    [script] = [h.proto.body for h in at.get("html") if "location.assign" in h.proto.body]
    assert "client_id=ck-123456" in script and "state=" in script
    link = next(m.value for m in at.markdown if "Continue to" in m.value)
    assert 'target="_self"' in link and "client_id=ck-123456" in link
    at.run()  # any later run does not navigate again
    assert not [h for h in at.get("html") if "location.assign" in h.proto.body]
    ws.close()


def test_a_pasted_address_that_fails_is_explained_under_the_field_which_keeps_it(page_env):
    add_application(page_env)
    at = app("authorize").run()
    pasted = "http://localhost:8501/authorize?state=not-ours-0123456789abcdef&code=secret-code-123456"
    field = next(t for t in at.text_input if t.label == "Paste the redirect URL")
    field.input(pasted)
    next(b for b in at.button if b.label == "Complete authorization").click().run()
    field = next(t for t in at.text_input if t.label == "Paste the redirect URL")
    assert field.value == pasted.replace("secret-code-123456", "(hidden)")  # a code is never put back
    expander = next(e for e in at.expander if e.label.startswith("Copernica sent your browser"))
    assert "This authorization link is not ours" in "\n".join(e.value for e in expander.warning)
    assert "secret-code-123456" not in texts(at)


@pytest.mark.usefixtures("copernica_double")
def test_inspect_now_shows_the_outcome_and_its_history(page_env):
    cid = seed_connection(page_env)
    responses.post(AUTH, body=make_jwt())
    responses.get(f"{API}/v4/identity", status=503, content_type="text/html", body="<html>down</html>")
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    next(b for b in at.button if b.label == "Inspect now").click().run()
    assert not at.exception
    assert "Unavailable" in "\n".join(e.value for e in at.warning)
    assert make_workspace(page_env).history_count(cid) >= 2


def test_overview_search_and_filter(page_env):
    seed_connection(page_env, label="Flowers")
    at = app().run()
    assert at.dataframe[0].value["Label"].tolist() == ["Flowers"]
    at.pills[0].set_value(["invalid_token"]).run()
    assert "No connection matches" in texts(at)
    at.pills[0].set_value(["valid"]).run()
    assert at.dataframe[0].value["Label"].tolist() == ["Flowers"]
    at.text_input[0].input("no such client").run()
    assert "No connection matches" in texts(at)


def test_user_text_is_rendered_as_text_not_markdown(page_env):
    cid = seed_connection(page_env)
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    heading = at.subheader[0].value
    assert "\\[x\\]" in heading and "\\<b\\>" in heading


def test_revealing_a_token_is_explicit_and_recorded(page_env):
    cid = seed_connection(page_env)
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    assert "tok-0123456789abcdef" not in str(at.code) + texts(at)
    next(b for b in at.button if b.label == "Reveal the access token").click().run()
    assert any(c.value == "tok-0123456789abcdef" for c in at.code)
    assert [e.action for e in make_workspace(page_env).events(connection_id=cid)] == ["token revealed"]
    at.run()
    assert not any(c.value == "tok-0123456789abcdef" for c in at.code)


def test_alerts_page_adds_a_target_shows_it_redacted_and_sends_a_test(page_env):
    from .receivers import Webhook

    hook = Webhook()
    try:
        at = app("alerts").run()
        assert "No targets yet" in texts(at)
        at.text_input[0].input("nonsense://x")
        next(b for b in at.button if b.label == "Add target").click().run()
        assert "Apprise does not understand" in "\n".join(e.value for e in at.error)
        at.text_input[0].input(hook.url("page-secret-112233"))
        at.text_input[1].input("Ops hook")
        next(b for b in at.button if b.label == "Add target").click().run()
        assert not at.exception
        html = texts(at)
        assert "Ops hook" in html and "page-secret-112233" not in html
        assert "Added Ops hook\\. Send it a test notification above" in html  # said after the rerun (escaped text)
        next(b for b in at.button if b.label == "Send a test notification").click().run()
        assert "Sent." in "\n".join(e.value for e in at.success)
        assert hook.messages and hook.messages[0]["title"] == "Copernica Connections: test notification"
        assert "page-secret-112233" not in str(at.dataframe[0].value.to_dict())
    finally:
        hook.stop()


@pytest.mark.usefixtures("copernica_double")
def test_overview_shows_that_no_watcher_runs_and_the_calls(page_env):
    cid = seed_connection(page_env, label="Flowers")
    mock_copernica()
    make_workspace(page_env).check([cid])  # a JWT and an identity call: two billed calls
    at = app().run()
    caption = "\n".join(e.value for e in at.caption)
    assert "No scheduled checks" in caption
    assert "Copernica bills every check: 2 billed today, 2 in the last 30 days" in caption


def test_overview_lists_worst_first_one_connection_in_each_status(page_env):
    from copernica_core.models import Outcome

    ws = make_workspace(page_env)
    for i, status in enumerate(reversed(list(Outcome))):
        factories.seed_connection(ws, str(100 + i), f"Account {i}", label=f"Shop {status.value}", status=status)
    ws.close()
    at = app().run()
    assert not at.exception
    labels = at.dataframe[-1].value["Label"].tolist()
    assert labels == [f"Shop {o.value}" for o in Outcome]  # declared worst first
    statuses = at.dataframe[-1].value["Status"].tolist()
    assert statuses[0] == ["Account changed"] and statuses[-1] == ["Valid"]


def test_no_account_change_is_hidden_behind_and_n_more(page_env):
    """Eight alerts as boxes; every further account change still listed, with its link."""
    from copernica_core.models import Outcome

    ws = make_workspace(page_env)
    for i in range(12):
        factories.seed_connection(ws, str(200 + i), f"Moved {i}", status=Outcome.ACCOUNT_CHANGED,
                                  label=f"Moved {i:02d}" if i != 11 else "Moved 11 <b>[x](http://evil)</b>")
    for i in range(3):
        factories.seed_connection(ws, str(300 + i), f"Revoked {i}", label=f"Revoked {i}",
                                  status=Outcome.INVALID_TOKEN)
    ws.close()
    at = app().run()
    assert not at.exception
    assert "**4 more connections now reach another Copernica account.**" in texts(at)
    [links] = [h.proto.body for h in at.get("html") if "inspect?connection=" in h.proto.body]
    for i in range(8, 11):
        cid = next(c.id for c in make_workspace(page_env).connections() if c.label == f"Moved {i:02d}")
        assert f'<a href="inspect?connection={cid}">Moved {i:02d}</a>' in links  # same tab: no target
    assert "Moved 11 &lt;b&gt;[x](http://evil)&lt;/b&gt;</a>" in links  # a label is text
    assert "…and 3 more: the table below lists them first." in texts(at)


def test_a_pasted_token_that_would_take_over_another_connection_is_refused_and_named(page_env, sandbox, control,
                                                                                      monkeypatch):
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    [token_a] = control.tokens("101")
    [token_b] = control.tokens("102")
    ws = make_workspace({**page_env, **sandbox.env()})
    ws.add_token(token_b, label="Camping Het Bos")
    ws.close()
    control.post("move", **{"from": "101", "to": "102"})
    at = app("credentials").run()
    at.text_input(key="paste_label").input("Client A")
    at.text_input(key="paste_token").input(token_a)
    next(b for b in at.button if b.label == "Verify and add").click().run()
    warning = "\n".join(w.value for w in at.warning)
    assert "already connected as **Camping Het Bos**" in warning and "Nothing was changed" in warning
    ws = make_workspace({**page_env, **sandbox.env()})
    assert [c.label for c in ws.connections()] == ["Camping Het Bos"]
    assert ws.reveal_token(ws.connections()[0].id).reveal() == token_b
    ws.close()


def seed_checks(env, connection_id: int, outcomes: list, *, message: str = "seeded") -> None:
    """Checks of `connection_id`, one per outcome, an hour apart, the last one now."""
    from datetime import timedelta

    from copernica_core import store
    from copernica_core.models import Verdict

    ws = make_workspace(env)
    now = ws.clock()
    store.record_checks(ws.db, ws.vault, [
        (connection_id, Verdict(o, message, http_status=400), None, now - timedelta(hours=len(outcomes) - i), False)
        for i, o in enumerate(outcomes)])
    ws.close()


@pytest.mark.usefixtures("copernica_double")  # with nothing registered: any call to Copernica would fail the page
def test_inspect_explains_the_last_check_and_the_fix_before_any_call(page_env):
    from copernica_core import Outcome

    cid = seed_connection(page_env, label="Shop")
    seed_checks(page_env, cid, [Outcome.VALID, Outcome.INVALID_TOKEN],
                message="Copernica refused this access token (“Invalid access token”)")
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    assert not at.exception and len(responses.calls) == 0
    [box] = at.error
    assert box.value.startswith("**Invalid token.** Copernica no longer accepts this connection's token")
    assert "paste a new access token of account Development" in box.value  # a pasted token's own fix
    assert "HTTP" not in box.value and "JWT" not in box.value
    technical = next(e for e in at.expander if e.label == "Technical detail")
    assert "Invalid access token" in "\n".join(m.value for m in technical.markdown)
    # the fix right under the explanation, not in an expander further down
    assert any(m.value.startswith("**Fix this connection**") for m in at.markdown)
    assert "Fix this connection" not in [e.label for e in at.expander]
    assert next(t.label for t in at.text_input) == "Paste a new access token for it"
    assert [m.value for m in at.metric][:2] == ["not enough history yet"] * 2  # not "66.7%"
    assert "Field" not in str(at.dataframe) and "None" not in texts(at)


def test_what_to_do_names_who_can_fix_it():
    from copernica_core.advice import what_to_do
    from copernica_core.models import Account, Connection, Outcome

    def connection(status: str, application_id) -> Connection:
        return Connection(1, application_id, None, "Shop", Account("34", "Development"), "fp", None, Outcome(status),
                          "", None, None, None, None, "2026-12-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")

    def advice(status, application_id, *, may_fix):
        return what_to_do(connection(status, application_id), may_fix=may_fix, on_inspect=True)

    assert "Ask an admin" in advice("invalid_token", 1, may_fix=False)
    assert "Re-authorize it with Copernica" in advice("invalid_token", 1, may_fix=True)
    assert "paste a new access token" in advice("invalid_token", None, may_fix=True)
    assert "ask an admin" in advice("account_changed", 1, may_fix=False)
    assert advice("valid", 1, may_fix=False) == ""
    assert "Check now" in advice("unchecked", 1, may_fix=False)


def test_inspect_confirms_a_rename_and_names_a_disconnected_connection(page_env):
    cid = seed_connection(page_env, label="Shop")
    ws = make_workspace(page_env)
    other = factories.seed_connection(ws, "35", "Other shop")  # what the page shows next
    ws.close()
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    form_label = next(t for t in at.text_input if t.label == "Label")
    form_label.input("Shop NL")
    next(b for b in at.button if b.label == "Save").click().run()
    assert "Saved the label of Shop NL" in texts(at)
    next(c for c in at.checkbox if c.label.startswith("Yes, forget this connection")).check().run()
    next(b for b in at.button if b.label == "Disconnect").click().run()
    assert "Disconnected Shop NL \\(account 34\\)" in texts(at)
    assert "Other shop" not in texts(at)  # the confirmation alone, not the next connection under it
    assert [c.id for c in make_workspace(page_env).connections()] == [other]


def signed_in_app(page: str | None = None, **user) -> AppTest:
    at = app(page)
    at.secrets["auth"] = {"server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
                          "client_id": "x", "client_secret": "y", "cookie_secret": "z",
                          "redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = user
    return at


def test_the_identity_provider_being_down_is_explained_with_a_way_to_try_again(page_env):
    """Streamlit's own answer is a bare "Authentication error" page with no way back."""
    at = signed_in_app(is_logged_in=False).run()
    at.button(key="sign_in").click().run()
    assert not at.exception
    assert "The sign-in provider did not answer, so you cannot sign in right now" in texts(at)
    assert at.button(key="sign_in").label == "Try again"


def test_an_unverified_address_on_the_admin_list_has_no_access(page_env, monkeypatch):
    monkeypatch.setenv("COPERNICA_ADMINS", "ann@agency.example")
    at = signed_in_app(is_logged_in=True, email="ann@agency.example", email_verified=False).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["You have no access"]
    assert "does not confirm that ann@agency.example is your address" in " ".join(t.value for t in at.text)
    verified = signed_in_app(is_logged_in=True, email="ann@agency.example", email_verified=True).run()
    assert "Connections" in [t.value for t in verified.title]


@pytest.mark.parametrize(("role", "shown"), [(Role.VIEWER, False), (Role.ADMIN, True)])
def test_the_token_fingerprint_is_for_admins_only(page_env, monkeypatch, role, shown):
    import signin

    cid = seed_connection(page_env, label="Shop")
    fingerprint = make_workspace(page_env).connection(cid).token_fingerprint
    monkeypatch.setattr(signin, "acting_person", lambda settings: Actor("someone@agency.example", role))
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    assert not at.exception and "Shop" in texts(at)
    assert (fingerprint[len("sha256:"):] in texts(at)) is shown


def test_inspect_says_when_a_token_verdict_is_kept_through_an_outage(page_env):
    from datetime import timedelta

    from copernica_core import Outcome, store
    from copernica_core.models import Verdict

    cid = seed_connection(page_env, label="Shop")
    ws = make_workspace(page_env)
    now = ws.clock()
    store.record_checks(ws.db, ws.vault, [  # after the seeded valid check: revoked, then Copernica down
        (cid, Verdict(Outcome.INVALID_TOKEN, "refused", http_status=400), None, now + timedelta(seconds=1), False),
        (cid, Verdict(Outcome.UNAVAILABLE, "no answer", http_status=503), None, now + timedelta(seconds=2), False)])
    ws.close()
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("**Invalid token.**")  # still what a person must fix
    [kept] = [c.value for c in at.caption if "did not answer about the token" in c.value]
    assert "last check \\(Unavailable" in kept and "kept until a check gets an answer" in kept


def test_overview_says_copernica_is_not_answering_and_keeps_what_needs_a_person(page_env):
    from copernica_core.models import Outcome

    ws = make_workspace(page_env)
    ids = [factories.seed_connection(ws, str(300 + i), f"Shop {i}", label=f"Shop {i}",
                                     status=Outcome.INVALID_TOKEN if i == 0 else Outcome.UNAVAILABLE)
           for i in range(4)]
    ws.db.execute(f"UPDATE connections SET unanswered_since = '2026-11-30T19:50:00.000000Z' "
                  f"WHERE id IN ({','.join(map(str, ids))})")
    ws.close()
    at = app().run()
    assert not at.exception
    [banner] = [w.value for w in at.warning if "Copernica has not answered" in w.value]
    assert "since 30 Nov, 19:50 UTC** (4 of 4 connections); 1 connection already needed a person" in banner
    assert "Shop 0" in texts(at)  # still listed as needing a person


def test_a_viewer_is_told_whom_to_ask_by_name(page_env, monkeypatch):
    import signin
    from copernica_core.models import Outcome

    monkeypatch.setenv("COPERNICA_ADMINS", "ann@agency.example, @agency.example")
    ws = make_workspace(page_env)
    factories.seed_connection(ws, "301", "Tandarts Wit", label="Tandarts Wit", status=Outcome.INVALID_TOKEN)
    ws.close()
    monkeypatch.setattr(signin, "acting_person", lambda settings: Actor("vic@agency.example", Role.VIEWER))
    at = app().run()
    assert "Ask an admin of this dashboard (ann@agency.example) to fix it." in texts(at).replace("\\", "")
    monkeypatch.setenv("COPERNICA_CONTACT", "Marketing ops (ops@agency.example)")
    at = app().run()
    assert "Ask Marketing ops (ops@agency.example) to fix it." in texts(at).replace("\\", "")


def test_times_ahead_are_not_just_now():
    """'JWT cached until: just now' for tomorrow read as if it had expired."""
    from datetime import UTC, datetime, timedelta

    from widgets import ago

    now = datetime.now(UTC)
    assert ago(now + timedelta(hours=23, minutes=5)) == "in 23 h"
    assert ago(now - timedelta(minutes=3, seconds=5)) == "3 min ago"
    assert ago(now + timedelta(seconds=10)) == "just now"


def test_inspect_of_an_account_that_changed_names_the_account_reached_and_its_owner(page_env):
    from copernica_core import Outcome

    ws = make_workspace(page_env)
    moved = factories.seed_connection(ws, "101", "Acme Retail", label="Acme shop")
    factories.seed_connection(ws, "102", "Bloom Florists", label="Bloom")
    ws.close()
    seed_checks(page_env, moved, [Outcome.ACCOUNT_CHANGED])
    make_workspace(page_env).db.execute("UPDATE checks SET account_seen = '102' WHERE outcome = 'account_changed'")
    at = app("inspect")
    at.query_params["connection"] = str(moved)
    at.run()
    assert not at.exception
    shown = texts(at).replace("\\", "")
    assert "The token now reaches Copernica account 102, not Acme Retail (101)." in shown
    assert "Connection “Bloom” (#2) already stands for that account." in shown


def test_the_alerts_page_tells_a_viewer_where_alerts_go_by_name_and_whom_to_ask(page_env, monkeypatch):
    import signin

    ws = make_workspace(page_env)
    ws.add_notify_target("json://127.0.0.1:9/hooks/hook-secret-0123456789", label="#marketing-ops on Slack")
    ws.close()
    monkeypatch.setenv("COPERNICA_ADMINS", "ann@agency.example")
    monkeypatch.setattr(signin, "acting_person", lambda settings: Actor("vic@agency.example", Role.VIEWER))
    at = app("alerts").run()
    assert not at.exception
    shown = texts(at).replace("\\", "")
    assert "#marketing-ops on Slack" in shown and "json://" not in shown and "127.0.0.1" not in shown
    assert "ask an admin of this dashboard (ann@agency.example) to add you" in shown


def broken_authorized_connection(env, monkeypatch) -> tuple[int, int]:
    """An application and a connection of it whose token was refused, with links possible:
    (application id, connection id)."""
    from copernica_core import Outcome

    monkeypatch.setenv("COPERNICA_PUBLIC_URL", "https://connections.example.com")
    app_id = add_application(env)
    ws = make_workspace(env)
    cid = factories.seed_connection(ws, "101", "Acme Retail", label="Acme", status=Outcome.INVALID_TOKEN,
                                    application_id=app_id)
    ws.close()
    return app_id, cid


def test_inspect_makes_a_reconnect_link_for_a_broken_authorized_connection(page_env, monkeypatch):
    _, cid = broken_authorized_connection(page_env, monkeypatch)
    at = app("inspect")
    at.query_params["connection"] = str(cid)
    at.run()
    next(b for b in at.button if b.label == "Make a link for the client").click().run()
    assert not at.exception
    [link] = [c.value for c in at.code if c.value.startswith("https://connections.example.com/?invite=")]
    [made] = make_workspace(page_env).connect_links()
    assert made.connection_id == cid and link.split("invite=")[1] not in str(made)


def test_the_authorize_page_makes_lists_and_withdraws_client_links(page_env, monkeypatch):
    monkeypatch.setenv("COPERNICA_PUBLIC_URL", "https://connections.example.com")
    add_application(page_env)
    at = app("authorize").run()
    next(t for t in at.text_input if t.label == "Client").input("Camping Het Bos")
    next(b for b in at.button if b.label == "Make a link").click().run()
    assert not at.exception
    [link] = [c.value for c in at.code if "?invite=" in c.value]
    assert link.startswith("https://connections.example.com/?invite=")
    assert "#1 · Camping Het Bos · a new connection" in "\n".join(t.value for t in at.text)
    next(b for b in at.button if b.label == "Withdraw").click().run()
    assert make_workspace(page_env).connect_links() == []
    [closed] = [d.value for d in at.dataframe]  # the withdrawn link is still listed, as such
    assert closed["State"][0].startswith("withdrawn ") and closed["Client"][0] == "Camping Het Bos"
    assert not [b for b in at.button if b.label == "Withdraw"]
    assert [e.action for e in make_workspace(page_env).events(limit=2)] == ["connect link revoked",
                                                                            "connect link made"]


def test_the_overview_makes_links_from_an_alert_card_and_keeps_a_picked_clients_contact(page_env, monkeypatch):
    from datetime import timedelta

    from copernica_core.clock import utcnow
    from copernica_core.store import connect_links

    app_id, cid = broken_authorized_connection(page_env, monkeypatch)
    ws = make_workspace(page_env)
    ws.set_client([cid], "Acme BV")
    sent, _ = connect_links.make(ws.db, ws.vault, application_id=app_id, client="Acme BV", connection_id=cid,
                               made_by="watcher", now=utcnow(), expires=timedelta(days=7), sent_to="anna@acme.example")
    ws.close()
    at = app("overview")
    at.session_state["client_filter"] = ["Acme BV"]
    at.run()
    assert "Reconnect link sent to anna@acme.example just now, not used yet." in texts(at).replace("\\", "")
    next(b for b in at.button if b.label == "Make a link for the client").click().run()
    assert not at.exception
    [link] = [c.value for c in at.code if c.value.startswith("https://connections.example.com/?invite=")]
    next(t for t in at.text_input if t.label == "Contact").input("json://hooks.example.com/acme-0123456789abcdef")
    at.checkbox[0].check()
    next(b for b in at.button if b.label == "Save contact").click().run()
    assert not at.exception
    ws = make_workspace(page_env)
    contact = ws.client_contacts()["Acme BV"]
    assert (contact.shown, contact.reconnect_links) == ("json://hooks.example.com/…", True)
    assert link.split("invite=")[1] == sent  # the connection's one open link, given again
    [withdrawn] = ws.connect_links(open_only=False)  # it was sent to the contact before: a new contact withdraws it
    assert withdrawn.withdrawn_why == "the client's contact changed" and link.split("invite=")[1] not in str(withdrawn)
    assert "Contact: json://hooks.example.com/… · reconnect links on" in texts(at).replace("\\", "")


def test_inspect_in_a_large_fleet_finds_a_connection_by_search_instead_of_listing_them_all(page_env, monkeypatch):
    from widgets import connections

    monkeypatch.setattr(connections, "PICK_FROM_LIST", 2)
    ws = make_workspace(page_env)
    ids = [factories.seed_connection(ws, str(101 + n), f"Account {n}", label=label)
           for n, label in enumerate(["Acme shop", "Bloom", "Acme outlet"])]
    ws.set_client([ids[1]], "Bloom BV")
    ws.close()
    at = app("inspect").run()
    assert not at.exception and not at.selectbox  # no list of every connection
    assert "Type part of a label" in texts(at)
    at.text_input[0].input("acme").run()
    assert at.selectbox[0].options == ["Acme outlet · Account 2 (#3)", "Acme shop · Account 0 (#1)"]
    at.text_input[0].input(f"#{ids[1]}").run()
    assert at.selectbox[0].options[0] == "Bloom · Account 1 (#2)" and at.subheader[0].value.startswith("Bloom")
    at = app("inspect")
    at.query_params["connection"] = str(ids[2])
    at.run()
    assert at.selectbox[0].options == ["Acme outlet · Account 2 (#3)"] and not at.exception


def test_the_dashboard_shows_times_in_the_configured_zone_and_names_it(page_env, monkeypatch):
    """COPERNICA_TIMEZONE: the Activity page's times and the Overview's "As of" are in that zone,
    named (CET in winter, CEST in summer), not in UTC."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("COPERNICA_TIMEZONE", "Europe/Amsterdam")
    ws = make_workspace({**page_env, "COPERNICA_TIMEZONE": "Europe/Amsterdam"})
    seed_connection(page_env)
    ws.close()
    named = datetime.now(ZoneInfo("Europe/Amsterdam")).strftime("%Z")
    at = app("activity")
    at.run()
    assert not at.exception, at.exception
    assert f"Times are {named}." in texts(at), texts(at)
    overview = app()
    overview.run()
    assert re.search(rf"As of \d\d:\d\d:\d\d {named};", texts(overview))


def test_the_no_access_page_names_a_misplaced_admin_list(page_env, monkeypatch, tmp_path):
    """COPERNICA_ADMINS written under [auth] is not read, so nobody gets in: the page everyone
    then lands on says why (the admin's sidebar, where it was said before, cannot be reached)."""
    from copernica_core import config

    secrets = tmp_path / "secrets.toml"  # the settings' own reading of it; Streamlit's st.secrets untouched
    secrets.write_text('[auth]\nclient_id = "x"\nCOPERNICA_ADMINS = "ann@agency.example"\n')
    real = config._secrets_file_values
    monkeypatch.setattr(config, "_secrets_file_values", lambda files: real([secrets]))
    at = signed_in_app(is_logged_in=True, email="ann@agency.example", email_verified=True).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["You have no access"]
    [warning] = [w.value for w in at.warning]
    shown = warning.replace("\\", "")  # (markdown escapes)
    assert "COPERNICA_ADMINS" in shown and "[auth]" in shown
