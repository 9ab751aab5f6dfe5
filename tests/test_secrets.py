"""No secret in the database file, its WAL, the logs or an exception message."""

import logging
from pathlib import Path

from copernica_core.sandbox import DEMO_CLIENT_SECRET
from copernica_core.secret import Secret, scrub

from .helpers import consent


def every_secret(sandbox) -> set[str]:
    state = sandbox.state
    return {DEMO_CLIENT_SECRET, *state.tokens, *state.jwts, *state.codes}


def test_full_flow_leaves_no_secret_in_database_wal_or_logs(sws, sandbox, control, caplog, env):
    caplog.set_level(logging.DEBUG)
    app = sws.applications()[0]
    assert sws.complete_authorization_url(consent(sws.start_authorization(app.id), account="101")).ok
    [pasted] = control.tokens("102")
    sws.add_token(pasted, label="Pasted")
    sws.check()
    control.post("fail", endpoint="identity", kind="json500", times=1)
    sws.check()
    control.post("revoke", account_id="102")
    sws.check()
    secrets = every_secret(sandbox)
    assert len(secrets) >= 5
    db_file = Path(env["COPERNICA_DB"])
    files = [db_file, db_file.with_name(db_file.name + "-wal")]
    blobs = {str(f): f.read_bytes() for f in files if f.exists()}
    assert str(files[1]) in blobs  # the WAL is scanned, not skipped
    logs = caplog.text
    assert "client_secret=********" in logs  # the chatty libraries did log, scrubbed
    for secret in secrets:
        assert secret not in logs
        for name, blob in blobs.items():
            assert secret.encode() not in blob, f"a secret is readable in {name}"
    rows = [str(r) for t in ("checks", "events", "pending_authorizations") for r in sws.db[t].rows]
    for secret in secrets:
        assert not any(secret in r for r in rows)


def test_secret_repr_and_str_hide_the_value():
    secret = Secret("hunter2-long-secret")
    assert "hunter2" not in repr(secret) and "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2-long-secret"


def test_scrub_removes_query_parameters_bearer_values_and_jwts():
    text = ("GET /v4/token?client_id=a&client_secret=abc123456&code=xyz987654 "
            "Authorization: Bearer abc.def.ghi eyJhbGciOi.eyJleHAiOjF9.sig {'access_token': 'tok123456'}")
    cleaned = scrub(text)
    for value in ("abc123456", "xyz987654", "abc.def.ghi", "eyJhbGciOi", "tok123456"):
        assert value not in cleaned
    assert "client_id=a" in cleaned


def test_a_heartbeat_key_never_reaches_the_debug_log_even_cut(sandbox_env, monitor, caplog):
    """urllib3 logs only the path ("GET /ping/<key> HTTP/1.1"); a line may also be cut anywhere."""
    from copernica_core import watch
    from copernica_core.config import load_settings
    from copernica_core.secret import install_log_scrubbing

    install_log_scrubbing()
    caplog.set_level(logging.DEBUG)
    url = load_settings({**sandbox_env, "COPERNICA_HEARTBEAT_URL": monitor.url()}, secrets_files=[]).heartbeat_url
    assert watch.ping(url, failed=True) == ""
    key = "5f1e-monitor-key-0123456789"
    assert monitor.pings == [f"/ping/{key}/fail"]
    assert "\"GET ********/fail HTTP/1.1\"" in caplog.text  # urllib3 did log the request, scrubbed
    assert key not in caplog.text
    assert key not in scrub(f"monitor said: {key} is unknown, see /ping/{key[:12]}")


def test_a_plain_http_heartbeat_is_refused_unless_it_stays_on_this_machine():
    import pytest

    from copernica_core.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="plain http to another machine"):
        load_settings({"COPERNICA_HEARTBEAT_URL": "http://kuma.example.com/api/push/abcdef0123"}, secrets_files=[])
    assert load_settings({"COPERNICA_HEARTBEAT_URL": "http://127.0.0.1:3001/api/push/abcdef0123"},
                         secrets_files=[]).heartbeat_url
