"""The callback state machine, against the sandbox's real consent answers."""

from datetime import timedelta

from copernica_core.oauth import state_hash
from copernica_core.sandbox import DEMO_CLIENT_KEY

from .helpers import callback_params, consent


def start(sws, **kwargs) -> str:
    return sws.start_authorization(sws.applications()[0].id, **kwargs)


def test_authorization_url_carries_client_key_redirect_uri_and_a_strong_state(sws):
    params = callback_params(start(sws))
    assert params["client_id"] == DEMO_CLIENT_KEY
    assert params["redirect_uri"] == "http://localhost:8501/authorize"
    assert params["response_type"] == "code"
    assert len(params["state"]) >= 43  # 32 random bytes, url-safe base64


def test_only_the_hash_of_the_state_is_stored(sws):
    state = callback_params(start(sws))["state"]
    rows = list(sws.db.query("SELECT state_hash FROM pending_authorizations"))
    assert rows == [{"state_hash": state_hash(state)}]


def test_valid_callback_connects_the_chosen_account(sws):
    result = sws.complete_authorization_url(consent(start(sws), account="102"))
    assert result.ok, result
    assert result.account.name == "Bloom Florists"
    [conn] = sws.connections()
    assert conn.account.id == "102" and conn.status == "valid" and conn.label == "Bloom Florists"


def test_replayed_callback_shows_the_stored_result_and_exchanges_nothing(sws, control):
    url = consent(start(sws))
    first = sws.complete_authorization_url(url)
    calls = control.stats().get("token", 0)
    again = sws.complete_authorization_url(url)
    assert again.replayed and again.status == first.status and again.connection_id == first.connection_id
    assert control.stats().get("token", 0) == calls
    assert len(sws.connections()) == 1


def test_forged_state_is_refused_and_stores_nothing(sws):
    result = sws.complete_authorization(code="whatever-code", state="forged-state-value-that-is-long")
    assert result.status == "refused" and "not ours" in result.title
    assert sws.connections() == []


def test_expired_state_is_refused(sws):
    url = consent(start(sws))
    later = sws.clock() + timedelta(minutes=11)
    sws.clock = lambda: later
    result = sws.complete_authorization_url(url)
    assert result.status == "refused" and "expired" in result.title
    assert sws.connections() == []


def test_denied_access_is_explained_and_stores_nothing(sws):
    url = consent(start(sws), decision="deny")
    assert callback_params(url)["error"] == "access_denied"
    result = sws.complete_authorization_url(url)
    assert result.status == "refused" and "not granted" in result.title
    assert sws.connections() == []


def test_denied_state_replayed_shows_the_same_failure(sws):
    url = consent(start(sws), decision="deny")
    sws.complete_authorization_url(url)
    again = sws.complete_authorization_url(url)
    assert again.replayed and "not granted" in again.title


def test_return_without_code_is_refused(sws):
    state = callback_params(start(sws))["state"]
    result = sws.complete_authorization(code=None, state=state)
    assert result.status == "refused" and "without an authorization code" in result.title
    assert sws.connections() == []


def test_weak_state_comes_back_from_copernica_without_a_code(sws):
    url = start(sws)
    url = url.replace(callback_params(url)["state"], "weak")
    back = callback_params(consent(url))
    assert back["state"] == "weak" and "code" not in back  # it came back, without a code


def test_missing_state_is_refused(sws):
    result = sws.complete_authorization(code="abc-code-value", state=None)
    assert result.status == "refused"


def test_reauthorizing_the_same_account_replaces_the_token_and_keeps_history(sws):
    first = sws.complete_authorization_url(consent(start(sws), account="101"))
    before = sws.connection(first.connection_id)
    sws.check()
    again = sws.complete_authorization_url(consent(start(sws, connection_id=first.connection_id), account="101"))
    assert again.ok and again.replaced and again.connection_id == first.connection_id
    after = sws.connection(first.connection_id)
    assert after.token_fingerprint != before.token_fingerprint
    assert sws.history_count(first.connection_id) == 3
    assert len(sws.connections()) == 1


def test_reconnect_that_lands_on_another_account_names_both_and_changes_nothing(sws):
    first = sws.complete_authorization_url(consent(start(sws), account="101"))
    fingerprint = sws.connection(first.connection_id).token_fingerprint
    result = sws.complete_authorization_url(consent(start(sws, connection_id=first.connection_id), account="103"))
    assert result.status == "mismatch"
    assert "Northwind Travel" in result.message and "Acme Retail" in result.message
    assert sws.connection(first.connection_id).token_fingerprint == fingerprint
    assert len(sws.connections()) == 1


def test_wrong_client_secret_fails_with_copernicas_message(sws):
    app = sws.applications()[0]
    sws.save_application(application_id=app.id, label=app.label, client_key=app.client_key,
                         client_secret="wrong-secret-value")
    result = sws.complete_authorization_url(consent(start(sws)))
    assert result.status == "failed" and "Invalid client credentials" in result.message
    assert sws.connections() == []


def test_pasted_redirect_url_that_is_not_one_is_refused(sws):
    for text in ["", "hello", "https://example.com/authorize", "javascript:alert(1)"]:
        assert sws.complete_authorization_url(text).status == "refused"


def test_two_accounts_become_two_connections_and_share_nothing(sws):
    sws.complete_authorization_url(consent(start(sws), account="101"))
    sws.complete_authorization_url(consent(start(sws), account="102"))
    assert sorted(c.account.id for c in sws.connections()) == ["101", "102"]
