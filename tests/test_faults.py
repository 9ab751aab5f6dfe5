"""The fault matrix against the sandbox: every failure of the token exchange, the JWT server
and identity ends in the right outcome, without a traceback, and loses nothing."""

import pytest

from copernica_core.api import CopernicaAPI
from copernica_core.config import load_settings
from copernica_core.inspection import inspect_token
from copernica_core.models import Outcome

from .conftest import free_port, make_workspace
from .helpers import consent

# what each injected fault must become
EXPECTED = {
    "html503": Outcome.UNAVAILABLE,
    "json500": Outcome.UNAVAILABLE,
    "429": Outcome.RATE_LIMITED,
    "hang": Outcome.UNAVAILABLE,
    "close": Outcome.UNAVAILABLE,
    "html200": Outcome.UNEXPECTED,
    "empty": Outcome.UNEXPECTED,
    "huge": Outcome.UNEXPECTED,
    "deep_json": Outcome.UNEXPECTED,
    "deep_json500": Outcome.UNAVAILABLE,
}


@pytest.fixture
def fast_env(sandbox_env):
    return {**sandbox_env, "COPERNICA_TIMEOUT": "1"}


@pytest.mark.parametrize("endpoint", ["jwt", "identity"])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_fault_on_inspection_gives_its_outcome(fast_env, control, endpoint, kind):
    [token] = control.tokens("101")
    control.post("fail", endpoint=endpoint, kind=kind, times=1)
    client = CopernicaAPI(load_settings(fast_env, secrets_files=[]))
    from copernica_core.secret import Secret

    result = inspect_token(client, Secret(token)).result
    assert result.outcome is EXPECTED[kind], result
    assert token not in result.message + result.detail


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_fault_on_token_exchange_fails_the_flow_and_stores_nothing(fast_env, control, kind):
    from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

    ws = make_workspace(fast_env)
    app = ws.save_application(label="Demo", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    url = consent(ws.start_authorization(app.id))
    control.post("fail", endpoint="token", kind=kind, times=1)
    result = ws.complete_authorization_url(url)
    assert result.status == "failed" and result.message
    assert ws.connections() == []
    assert ws.complete_authorization_url(url).replayed  # the failure is remembered, not retried


def test_connection_refused_is_unavailable(fast_env, control):
    from copernica_core.secret import Secret

    [token] = control.tokens("101")
    port = free_port()
    env = {**fast_env, "COPERNICA_API_URL": f"http://127.0.0.1:{port}",
           "COPERNICA_AUTH_URL": f"http://127.0.0.1:{port}/authenticate"}
    result = inspect_token(CopernicaAPI(load_settings(env, secrets_files=[])), Secret(token)).result
    assert result.outcome is Outcome.UNAVAILABLE and "connect" in result.message


def test_tls_to_a_plain_port_is_unavailable(fast_env, sandbox, control):
    from copernica_core.secret import Secret

    [token] = control.tokens("101")
    plain = sandbox.base_url.replace("http://", "https://")
    env = {**fast_env, "COPERNICA_API_URL": plain, "COPERNICA_AUTH_URL": plain + "/authenticate"}
    result = inspect_token(CopernicaAPI(load_settings(env, secrets_files=[])), Secret(token)).result
    assert result.outcome is Outcome.UNAVAILABLE and "TLS" in result.message


def test_check_all_through_an_outage_loses_no_connection_and_no_check(fast_env, control, monkeypatch):
    monkeypatch.setattr("copernica_core.batch.BACKOFF_BASE", 0.01)
    ws = make_workspace(fast_env)
    for account in ("101", "102", "103"):
        [token] = control.tokens(account)
        ws.add_token(token)
    control.post("fail", endpoint="identity", kind="html503", times=0)
    results = ws.check()
    assert {r.result.outcome for r in results} == {Outcome.UNAVAILABLE}
    assert all(r.attempts == 3 for r in results)
    control.post("clear")
    assert {r.result.outcome for r in ws.check()} == {Outcome.VALID}
    assert [ws.history_count(c.id) for c in ws.connections()] == [3, 3, 3]
    assert {c.status for c in ws.connections()} == {"valid"}


@pytest.mark.parametrize("endpoint", ["jwt", "identity"])
@pytest.mark.parametrize("kind", ["drip", "drip_headers"])
def test_a_dripping_answer_ends_at_the_total_time_limit(fast_env, control, endpoint, kind):
    """COPERNICA_TIMEOUT bounds a whole call, not only the gap between two bytes."""
    import time

    from copernica_core.secret import Secret

    [token] = control.tokens("101")
    control.post("fail", endpoint=endpoint, kind=kind, times=1)
    client = CopernicaAPI(load_settings(fast_env, secrets_files=[]))
    started = time.monotonic()
    result = inspect_token(client, Secret(token)).result
    assert result.outcome is Outcome.UNAVAILABLE, result
    assert "did not answer within 1 s" in result.message
    assert time.monotonic() - started < 8  # the drip goes on for a minute


def test_a_dripping_token_exchange_ends_at_the_total_time_limit(fast_env, control):
    import time

    from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

    ws = make_workspace(fast_env)
    app = ws.save_application(label="Demo", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    url = consent(ws.start_authorization(app.id))
    control.post("fail", endpoint="token", kind="drip", times=1)
    started = time.monotonic()
    result = ws.complete_authorization_url(url)
    assert result.status == "failed" and "did not answer within 1 s" in result.message
    assert time.monotonic() - started < 8
    ws.close()


ODD_ANSWERS = {  # (endpoint, kind): the outcome that one connection must get
    ("identity", "deep_json"): Outcome.UNEXPECTED,
    ("jwt", "deep_json"): Outcome.UNEXPECTED,
    ("jwt", "unicode_jwt"): Outcome.UNEXPECTED,
    ("identity", "odd_charset"): Outcome.INVALID_TOKEN,
    ("jwt", "odd_charset"): Outcome.INVALID_TOKEN,
}


@pytest.mark.parametrize(("endpoint", "kind"), list(ODD_ANSWERS))
def test_one_odd_answer_is_one_connections_outcome_and_the_run_goes_on(fast_env, control, endpoint, kind):
    ws = make_workspace(fast_env)
    for account in ("101", "102", "103"):
        [token] = control.tokens(account)
        ws.add_token(token)
    ws.db.execute("UPDATE connections SET jwt_enc = NULL, jwt_expires_at = NULL")
    control.post("fail", endpoint=endpoint, kind=kind, times=1)
    results = ws.check(concurrency=1)
    outcomes = sorted(r.result.outcome for r in results)
    assert len(results) == 3
    assert outcomes == sorted([ODD_ANSWERS[endpoint, kind], Outcome.VALID, Outcome.VALID])
    assert [ws.history_count(c.id) for c in ws.connections()] == [2, 2, 2]
    ws.close()


def test_pasting_a_token_whose_jwt_is_not_ascii_is_refused_plainly(fast_env, control):
    ws = make_workspace(fast_env)
    [token] = control.tokens("101")
    control.post("fail", endpoint="jwt", kind="unicode_jwt", times=1)
    added = ws.add_token(token)
    assert added.connection is None and added.result.outcome is Outcome.UNEXPECTED
    assert ws.connections() == []
    ws.close()


@pytest.mark.parametrize("endpoint", ["token", "jwt", "identity"])
def test_no_call_follows_a_redirect(fast_env, control, endpoint):
    """A redirect would carry the client secret, the code or the token to another host."""
    from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET
    from copernica_core.secret import Secret

    ws = make_workspace(fast_env)
    if endpoint == "token":
        app = ws.save_application(label="Demo", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
        url = consent(ws.start_authorization(app.id))
        control.post("fail", endpoint="token", kind="redirect", times=1)
        result = ws.complete_authorization_url(url)
        text = result.message
        assert result.status == "failed" and ws.connections() == []
    else:
        [token] = control.tokens("101")
        control.post("fail", endpoint=endpoint, kind="redirect", times=1)
        result = inspect_token(ws.api_factory(ws.settings), Secret(token)).result
        assert result.outcome is Outcome.UNEXPECTED
        text = result.message + result.detail
    assert "redirect" in text and "http://127.0.0.1:9/internal" in text
    assert DEMO_CLIENT_SECRET not in text and "code=" not in text
    ws.close()
