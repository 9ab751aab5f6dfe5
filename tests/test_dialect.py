"""Copernica's real dialect, as other clients observed it (docs/copernica.md): each shape is
a sandbox setting or fault, and each ends in the outcome and the words stated there."""

from __future__ import annotations

import pytest

from copernica_core.models import Outcome
from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

from .conftest import make_workspace
from .helpers import callback_params, consent


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr("copernica_core.batch.BACKOFF_BASE", 0.01)


@pytest.fixture
def one(sws, control):
    [token] = control.tokens("101")
    added = sws.add_token(token, label="Acme")
    assert added.connection is not None
    control.post("reset_stats")
    return sws


def stored_jwt(ws) -> str | None:
    return ws.db.execute("SELECT jwt_enc FROM connections").fetchone()[0]


@pytest.mark.parametrize("shape", ["401", "403", "400", "400_prefixed"])
def test_a_dead_cached_jwt_is_replaced_once_and_the_check_is_valid(one, control, shape):
    before = stored_jwt(one)
    control.post("settings", jwt_refusal=shape)
    control.post("forget_jwts")  # Copernica rotated its signing key: every JWT is dead
    [checked] = one.check()
    assert checked.result.outcome is Outcome.VALID, checked.result
    assert control.stats() == {"identity": 2, "jwt": 1}
    assert stored_jwt(one) not in (None, before)
    [again] = one.check()
    assert again.result.outcome is Outcome.VALID and control.stats() == {"identity": 3, "jwt": 1}


@pytest.mark.parametrize("shape", ["400", "400_prefixed"])
def test_a_dead_jwt_never_outlives_one_refusal_even_when_no_fresh_one_comes(one, control, shape):
    control.post("settings", jwt_refusal=shape)
    control.post("forget_jwts")
    control.post("fail", endpoint="jwt", kind="overload503", times=0)
    [checked] = one.check()
    assert checked.result.outcome is Outcome.UNAVAILABLE
    assert stored_jwt(one) is None
    assert control.stats()["identity"] == 1  # the dead JWT was tried once, never again
    control.post("clear")
    [recovered] = one.check()
    assert recovered.result.outcome is Outcome.VALID and stored_jwt(one) is not None


@pytest.mark.parametrize(("shape", "words"), [
    ("400", "Invalid access token"),
    ("400_prefixed", "Copernica REST API Error 400: Invalid access token"),
    ("400_revoked", "Token revoked"),
    ("401_text", "Unauthorized"),
])
def test_every_refusal_of_the_jwt_server_is_an_invalid_token_in_copernicas_words(one, control, shape, words):
    control.post("settings", token_refusal=shape)
    control.post("revoke", account_id="101")
    [checked] = one.check()
    result = checked.result
    assert result.outcome is Outcome.INVALID_TOKEN and checked.attempts == 1
    assert words in result.message and words in result.detail
    assert stored_jwt(one) is None
    assert "IP addresses" in result.hint


def test_on_v3_the_invalid_token_hint_names_v4_only_tokens(sandbox_env, control):
    ws = make_workspace({**sandbox_env, "COPERNICA_API_VERSION": "3"})
    [token] = control.tokens("101")
    ws.add_token(token)
    control.post("revoke", account_id="101")
    [checked] = ws.check()
    assert checked.result.outcome is Outcome.INVALID_TOKEN
    assert "COPERNICA_API_VERSION" in checked.result.hint and "IP addresses" in checked.result.hint
    ws.close()


def start(ws) -> str:
    return consent(ws.start_authorization(ws.applications()[0].id), account="102")


@pytest.mark.parametrize("shape", ["400_json", "200_error", "400_html"])
@pytest.mark.parametrize("cause", ["secret", "code", "redirect"])
def test_a_refused_code_exchange_says_what_copernica_said_and_the_likely_cause(sws, control, shape, cause):
    control.post("settings", exchange_error=shape)
    if cause == "secret":
        sws.save_application(application_id=sws.applications()[0].id, label="Demo", client_key=DEMO_CLIENT_KEY,
                             client_secret="not-the-right-secret")
        url = start(sws)
    elif cause == "code":
        used = callback_params(start(sws))
        sws.complete_authorization(code=used["code"], state=used["state"])
        fresh = callback_params(start(sws))
        url = f"http://localhost:8501/authorize?state={fresh['state']}&code={used['code']}"
    else:
        url = start(sws)
        sws.db.execute("UPDATE pending_authorizations SET redirect_uri = 'http://localhost:9999/elsewhere'")
    before = len(sws.connections())
    result = sws.complete_authorization_url(url)
    assert result.status == "failed" and result.title == "Copernica did not accept the authorization"
    assert len(sws.connections()) == before
    expected = {"secret": ("Invalid client credentials", "client secret"),
                "code": ("Invalid authorization code", "expired or was already used"),
                "redirect": ("redirect_uri does not match", "redirect URI differs")}[cause]
    if shape == "400_html":  # an HTML page has no words to quote: every likely cause is named
        assert "HTML page" in result.message and "Possible causes" in result.hint
    else:
        assert expected[0] in result.message and expected[1] in result.hint
        assert result.hint.count("Copernica") <= 3
    assert DEMO_CLIENT_SECRET not in result.message + result.hint


def test_a_connection_closed_without_an_answer_is_said_so(one, control):
    control.post("fail", endpoint="identity", kind="close", times=3)
    [checked] = one.check()
    assert checked.result.outcome is Outcome.UNAVAILABLE
    assert "closed the connection without answering" in checked.result.message


@pytest.mark.parametrize(("kind", "words"), [("overload503", "overloaded"), ("overload504", "overloaded"),
                                             ("html502", "briefly unavailable")])
def test_the_load_balancers_error_pages_are_overload_and_retried(one, control, kind, words):
    control.post("fail", endpoint="identity", kind=kind, times=3)
    [checked] = one.check()
    assert checked.result.outcome is Outcome.UNAVAILABLE and checked.attempts == 3
    assert words in checked.result.message
    control.post("fail", endpoint="identity", kind=kind, times=1)
    [retried] = one.check()
    assert retried.result.outcome is Outcome.VALID and retried.attempts == 2
