"""The sandbox checks what Copernica checks, and the client copes with each of its answers."""

import pytest
import requests

from copernica_core.models import Outcome
from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

from .conftest import make_workspace
from .helpers import callback_params, consent

REDIRECT = "http://localhost:8501/authorize"


def code_for(sandbox, account="101", redirect=REDIRECT) -> str:
    url = (f"{sandbox.base_url}/en/authorize?response_type=code&client_id={DEMO_CLIENT_KEY}"
           f"&redirect_uri={redirect}&state=" + "s" * 43)
    return callback_params(consent(url, account=account))["code"]


def exchange(sandbox, code, *, secret=DEMO_CLIENT_SECRET, redirect=REDIRECT, version=4):
    return requests.get(f"{sandbox.base_url}/v{version}/token", params={
        "client_id": DEMO_CLIENT_KEY, "client_secret": secret, "redirect_uri": redirect, "code": code}, timeout=5)


def test_codes_are_single_use(sandbox):
    code = code_for(sandbox)
    assert "access_token" in exchange(sandbox, code).json()
    second = exchange(sandbox, code)
    assert second.status_code == 400 and second.json()["error"]["message"] == "Invalid authorization code"


def test_redirect_uri_must_equal_the_links(sandbox):
    response = exchange(sandbox, code_for(sandbox), redirect="http://localhost:9999/elsewhere")
    assert response.status_code == 400 and "redirect_uri" in response.json()["error"]["message"]


def test_client_secret_is_checked(sandbox):
    response = exchange(sandbox, code_for(sandbox), secret="wrong")
    assert response.status_code == 400 and "client credentials" in response.json()["error"]["message"]


def test_consent_page_names_the_accounts_and_refuses_unknown_applications(sandbox):
    page = requests.get(f"{sandbox.base_url}/nl/authorize?response_type=code&client_id={DEMO_CLIENT_KEY}"
                        f"&redirect_uri={REDIRECT}&state=x", timeout=5)
    assert page.status_code == 200 and "Bloom Florists" in page.text and "Give access" in page.text
    unknown = requests.get(f"{sandbox.base_url}/en/authorize?response_type=code&client_id=nobody"
                           f"&redirect_uri={REDIRECT}", timeout=5)
    assert unknown.status_code == 400


@pytest.mark.parametrize("jwt_format", ["bare", "json_string", "json_object"])
def test_every_jwt_answer_shape_works(sws, control, jwt_format):
    control.post("settings", jwt_format=jwt_format)
    [token] = control.tokens("103")
    added = sws.add_token(token)
    assert added.connection is not None and added.connection.account.name == "Northwind Travel"


def test_expired_jwt_is_replaced_without_failing_the_check(sws, control):
    control.post("settings", jwt_ttl=1)  # JWTs that expire at once
    [token] = control.tokens("101")
    added = sws.add_token(token)
    control.post("settings", jwt_ttl=86400)
    [checked] = sws.check([added.connection.id])
    assert checked.result.outcome is Outcome.VALID and checked.result.calls == 2


def test_the_whole_flow_works_on_api_version_3(sandbox_env, control):
    ws = make_workspace({**sandbox_env, "COPERNICA_API_VERSION": "3"})
    app = ws.save_application(label="Demo", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
    control.post("reset_stats")
    result = ws.complete_authorization_url(consent(ws.start_authorization(app.id), account="103"))
    assert result.ok
    [conn] = ws.connections()
    assert conn.account.extra["license"]["isTrial"] is True and conn.jwt_expires_at is None
    assert "jwt" not in control.stats()  # v3 never asks for a JWT
    control.post("revoke", account_id="103")
    [checked] = ws.check()
    assert checked.result.outcome is Outcome.INVALID_TOKEN and checked.result.http_status == 400
