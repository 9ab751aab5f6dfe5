"""Every Copernica answer described in docs/copernica.md, mocked with `responses`."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses

from copernica_core.api import CopernicaAPI
from copernica_core.config import load_settings
from copernica_core.inspection import CachedJwt, inspect_token
from copernica_core.models import Outcome
from copernica_core.secret import Secret

from .conftest import API, AUTH
from .factories import IDENTITY, make_jwt


def client(version: int = 4) -> CopernicaAPI:
    return CopernicaAPI(load_settings({"COPERNICA_API_VERSION": str(version)}, secrets_files=[]))


TOKEN = Secret("access-token-0123456789")


@pytest.mark.usefixtures("copernica_double")
def test_v4_valid_token_with_bare_jwt():
    jwt = make_jwt()
    responses.post(AUTH, body=jwt, content_type="text/plain")
    responses.get(f"{API}/v4/identity", json=IDENTITY)
    inspection = inspect_token(client(), TOKEN, expected_account_id="34")
    assert inspection.result.outcome is Outcome.VALID
    assert inspection.result.account.company == "Copernica BV"
    assert inspection.result.calls == 2
    assert inspection.new_jwt.jwt.reveal() == jwt
    assert responses.calls[0].request.body == "access_token=access-token-0123456789"
    assert responses.calls[1].request.headers["Authorization"] == f"Bearer {jwt}"


@pytest.mark.parametrize("body", [lambda j: json.dumps(j), lambda j: json.dumps({"token": j}),
                                  lambda j: json.dumps({"access_token": j}), lambda j: json.dumps({"jwt": j})])
@pytest.mark.usefixtures("copernica_double")
def test_jwt_as_json_string_or_object_is_accepted(body):
    jwt = make_jwt()
    responses.post(AUTH, body=body(jwt), content_type="application/json")
    responses.get(f"{API}/v4/identity", json=IDENTITY)
    assert inspect_token(client(), TOKEN).result.outcome is Outcome.VALID


@pytest.mark.usefixtures("copernica_double")
def test_jwt_expiry_is_read_from_its_payload():
    exp = time.time() + 3600
    responses.post(AUTH, body=make_jwt(exp))
    responses.get(f"{API}/v4/identity", json=IDENTITY)
    inspection = inspect_token(client(), TOKEN)
    assert abs(inspection.new_jwt.expires_at.timestamp() - int(exp)) < 1


@pytest.mark.usefixtures("copernica_double")
def test_cached_jwt_is_reused_without_calling_the_jwt_server():
    responses.get(f"{API}/v4/identity", json=IDENTITY)
    cached = CachedJwt(Secret(make_jwt()), datetime.now(UTC) + timedelta(hours=2))
    inspection = inspect_token(client(), TOKEN, cached_jwt=cached)
    assert inspection.result.outcome is Outcome.VALID
    assert inspection.new_jwt is None
    assert len(responses.calls) == 1


@pytest.mark.usefixtures("copernica_double")
def test_nearly_expired_cached_jwt_is_replaced():
    responses.post(AUTH, body=make_jwt())
    responses.get(f"{API}/v4/identity", json=IDENTITY)
    cached = CachedJwt(Secret(make_jwt()), datetime.now(UTC) + timedelta(minutes=1))
    inspection = inspect_token(client(), TOKEN, cached_jwt=cached)
    assert inspection.new_jwt is not None
    assert len(responses.calls) == 2


@pytest.mark.parametrize(("second_answer", "outcome"), [
    ({"json": IDENTITY}, Outcome.VALID),  # the fresh JWT works
    ({"status": 403, "json": {"error": {"message": "no"}}}, Outcome.INVALID_TOKEN),  # refused again
])
@pytest.mark.usefixtures("copernica_double")
def test_a_refused_cached_jwt_is_replaced_once_and_a_second_refusal_is_invalid_token(second_answer, outcome):
    responses.get(f"{API}/v4/identity", status=401, json={"error": {"message": "expired"}})
    responses.post(AUTH, body=make_jwt())
    responses.get(f"{API}/v4/identity", **second_answer)
    cached = CachedJwt(Secret(make_jwt()), datetime.now(UTC) + timedelta(hours=2))
    inspection = inspect_token(client(), TOKEN, cached_jwt=cached)
    assert inspection.result.outcome is outcome and inspection.result.calls == 3
    assert inspection.drop_cached_jwt and (inspection.new_jwt is not None) == (outcome is Outcome.VALID)


@pytest.mark.usefixtures("copernica_double")
def test_jwt_server_rejecting_the_token_is_invalid_token():
    responses.post(AUTH, status=400, json={"error": {"message": "Invalid access token"}})
    result = inspect_token(client(), TOKEN).result
    assert result.outcome is Outcome.INVALID_TOKEN
    assert "Invalid access token" in result.message
    assert len(responses.calls) == 1


@pytest.mark.usefixtures("copernica_double")
def test_v3_sends_the_token_as_query_parameter_and_keeps_v3_fields():
    responses.get(f"{API}/v3/identity", json={**IDENTITY, "customer": {"id": "1", "name": "C", "isPartner": False},
                                               "usedBy": [], "license": {"id": "2", "isTrial": True}})
    result = inspect_token(client(3), TOKEN).result
    assert result.outcome is Outcome.VALID
    assert result.account.extra["license"]["isTrial"] is True
    assert "access_token=access-token-0123456789" in responses.calls[0].request.url


IDENTITY_ANSWERS = {  # what v3 identity answers -> (outcome, words found in the message or detail)
    "400 invalid access token": (dict(status=400, json={"error": {"message": "Invalid access token"}}),
                                 Outcome.INVALID_TOKEN, "Invalid access token"),
    "html 503": (dict(status=503, content_type="text/html",
                      body="<html><head><title>503 Service Unavailable</title></head></html>"),
                 Outcome.UNAVAILABLE, "HTML page"),
    "429 with retry-after": (dict(status=429, headers={"Retry-After": "7"}, json={}), Outcome.RATE_LIMITED, "7 s"),
    "html 200": (dict(status=200, content_type="text/html", body="<html>Maintenance</html>"),
                 Outcome.UNEXPECTED, "HTML"),
    "json 200 without id": (dict(json={"name": "no id"}), Outcome.UNEXPECTED, "expected JSON"),
    "unknown 4xx": (dict(status=404, json={"error": {"message": "No such thing"}}), Outcome.UNEXPECTED,
                    "No such thing"),
    "connection failure": (dict(body=requests.exceptions.ConnectionError("refused")), Outcome.UNAVAILABLE,
                           "connect"),
}


@pytest.mark.parametrize("answer", list(IDENTITY_ANSWERS))
@pytest.mark.usefixtures("copernica_double")
def test_identity_answer_gives_its_outcome(answer):
    kwargs, outcome, words = IDENTITY_ANSWERS[answer]
    responses.get(f"{API}/v3/identity", **kwargs)
    result = inspect_token(client(3), TOKEN).result
    assert result.outcome is outcome
    assert words in result.message + " " + result.detail


@pytest.mark.usefixtures("copernica_double")
def test_identity_under_data_is_accepted():
    responses.get(f"{API}/v3/identity", json={"data": IDENTITY})
    assert inspect_token(client(3), TOKEN).result.account.name == "Development"


@pytest.mark.usefixtures("copernica_double")
def test_numeric_and_uppercase_id_is_accepted():
    responses.get(f"{API}/v3/identity", json={"ID": 34, "name": "Development"})
    assert inspect_token(client(3), TOKEN, expected_account_id="34").result.outcome is Outcome.VALID


@pytest.mark.usefixtures("copernica_double")
def test_another_account_than_stored_is_account_changed():
    responses.get(f"{API}/v3/identity", json=IDENTITY)
    result = inspect_token(client(3), TOKEN, expected_account_id="99").result
    assert result.outcome is Outcome.ACCOUNT_CHANGED
    assert "99" in result.message and "34" in result.message


@pytest.mark.usefixtures("copernica_double")
def test_timeout_is_unavailable_and_names_no_secret():
    leaky = requests.exceptions.ReadTimeout("url ?access_token=access-token-0123456789")
    responses.get(f"{API}/v3/identity", body=leaky)
    result = inspect_token(client(3), TOKEN).result
    assert result.outcome is Outcome.UNAVAILABLE
    assert "access-token" not in result.message


@pytest.mark.usefixtures("copernica_double")
def test_error_body_echoing_the_token_is_redacted():
    responses.get(f"{API}/v3/identity", status=400,
                  json={"error": {"message": "Bad token access-token-0123456789 given"}})
    result = inspect_token(client(3), TOKEN).result
    assert result.outcome is Outcome.INVALID_TOKEN and "Bad token" in result.message + result.detail  # it was read
    assert "access-token-0123456789" not in result.message + result.detail


@pytest.mark.usefixtures("copernica_double")
def test_code_exchange_returns_the_access_token():
    responses.get(f"{API}/v4/token", json={"access_token": "new-token-abcdef123456"})
    reply = client().exchange_code(client_key="ck", client_secret=Secret("cs-secret-value"),
                                   redirect_uri="http://localhost:8501/authorize", code=Secret("code-value-123"))
    assert reply.failure is None and reply.token.reveal() == "new-token-abcdef123456"
    sent = responses.calls[0].request
    assert sent.method == "GET"
    for part in ("client_id=ck", "client_secret=cs-secret-value", "code=code-value-123",
                 "redirect_uri=http%3A%2F%2Flocalhost%3A8501%2Fauthorize"):
        assert part in sent.url


@pytest.mark.usefixtures("copernica_double")
def test_code_exchange_error_body_is_a_failure_with_copernicas_message():
    responses.get(f"{API}/v4/token", status=400, json={"error": {"message": "Invalid authorization code"}})
    reply = client().exchange_code(client_key="ck", client_secret=Secret("cs-secret-value"),
                                   redirect_uri="http://localhost:8501/authorize", code=Secret("code-value-123"))
    assert reply.token is None
    assert "Invalid authorization code" in reply.failure.message
    assert "cs-secret-value" not in reply.failure.message


@pytest.mark.parametrize("kwargs", [
    {"status": 200, "json": {"token": "not-it"}},
    {"status": 200, "body": "<html>oops</html>", "content_type": "text/html"},
    {"status": 502, "body": "<html>Bad gateway</html>", "content_type": "text/html"},
])
@pytest.mark.usefixtures("copernica_double")
def test_code_exchange_without_access_token_is_a_failure(kwargs):
    responses.get(f"{API}/v4/token", **kwargs)
    reply = client().exchange_code(client_key="ck", client_secret=Secret("cs-secret-value"),
                                   redirect_uri="http://localhost:8501/authorize", code=Secret("code-value-123"))
    assert reply.token is None and reply.failure is not None


@pytest.mark.usefixtures("copernica_double")
def test_oversized_answers_are_read_only_up_to_the_cap():
    from copernica_core.api import MAX_BODY_BYTES, new_http_session, send

    responses.get(f"{API}/v3/identity", body="x" * (3 * MAX_BODY_BYTES), content_type="text/plain")
    answer = send(new_http_session(), "GET", f"{API}/v3/identity", timeout=5)
    assert answer.truncated and len(answer.text) == MAX_BODY_BYTES
    assert inspect_token(client(3), TOKEN).result.outcome is Outcome.UNEXPECTED


@pytest.mark.usefixtures("copernica_double")
def test_oversized_token_exchange_answer_is_capped_too(caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="requests_oauthlib")
    responses.get(f"{API}/v4/token", body="{" + " " * (3 * 1_048_576), content_type="application/json")
    reply = client().exchange_code(client_key="ck", client_secret=Secret("cs-secret-value"),
                                   redirect_uri="http://localhost:8501/authorize", code=Secret("code-value-123"))
    assert reply.token is None and reply.failure.outcome is Outcome.UNEXPECTED
    logged = [r.getMessage() for r in caplog.records if "content" in r.getMessage()]
    assert logged and max(map(len, logged)) < 1_100_000  # requests-oauthlib saw the capped body only
