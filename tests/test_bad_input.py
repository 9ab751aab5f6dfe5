"""The bad-input matrix: every input either gets a clear message and stores nothing, or is
stored exactly as typed (and shown as text by the pages, see test_pages)."""

import json

import pytest

from copernica_core.cli import main
from copernica_core.errors import BadInput

HOSTILE = {
    "empty": "",
    "whitespace": "   \t ",
    "huge": "x" * 10_000,
    "nul": "abc\x00def",
    "control": "abc\x07\x1bdef",
    "unicode": "Ünïcødé 名前 🚀",
    "html": "<script>alert('x')</script>",
    "markdown": "**bold** [click](https://evil.example) ![i](x.png)",
    "sql": "x'); DROP TABLE connections; --",
}
# what a label accepts; credentials (key, secret, token) must be printable ASCII without spaces
LABEL_OK = {"unicode", "html", "markdown", "sql"}


def stored(ws) -> tuple:
    return (list(ws.db.query("SELECT * FROM applications")), list(ws.db.query("SELECT * FROM connections")),
            list(ws.db.query("SELECT * FROM checks")))


def attempt(operation, *args, **kwargs):
    """The operation's result, or the BadInput it raised."""
    try:
        return operation(*args, **kwargs)
    except BadInput as refused:
        return refused


@pytest.mark.parametrize("name", list(HOSTILE))
def test_application_label(ws, name):
    result = attempt(ws.save_application, label=HOSTILE[name], client_key="ck-1", client_secret="cs-secret-1")
    if name in LABEL_OK:
        assert result.label == HOSTILE[name].strip()
    else:
        assert isinstance(result, BadInput) and "label" in result.errors
        assert stored(ws) == ([], [], [])


@pytest.mark.parametrize("field", ["client_key", "client_secret", "redirect_uri"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_application_credentials_and_redirect_uri(ws, field, name):
    values = {"label": "App", "client_key": "ck-1", "client_secret": "cs-secret-1",
              "redirect_uri": "http://localhost:8501/authorize", field: HOSTILE[name]}
    result = attempt(ws.save_application, **values)
    if field == "redirect_uri" and name in ("empty", "whitespace"):
        assert result.redirect_uri == ws.settings.redirect_uri  # blank means the default
    elif field in ("client_key", "client_secret") and name == "html":
        assert not isinstance(result, BadInput)  # printable ASCII without spaces: a possible key
    else:
        assert isinstance(result, BadInput), (field, name)
        assert result.errors.get(field)
        assert stored(ws) == ([], [], [])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_pasted_token_is_refused_or_verified_and_never_stored_unverified(sws, name):
    before = stored(sws)
    result = attempt(sws.add_token, HOSTILE[name])
    if isinstance(result, BadInput):
        assert result.errors["token"]
    else:
        assert result.connection is None and result.result.outcome.value == "invalid_token"
    assert stored(sws) == before


@pytest.mark.parametrize("name", list(HOSTILE))
def test_pasted_redirect_url(sws, name):
    before = stored(sws)
    result = sws.complete_authorization_url(HOSTILE[name])
    assert result.status == "refused" and result.message
    assert stored(sws) == before


@pytest.mark.parametrize("param", ["code", "state", "error", "error_description"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_callback_query_parameters(sws, param, name):
    from .helpers import callback_params, consent

    url = consent(sws.start_authorization(sws.applications()[0].id))
    params = {**callback_params(url), param: HOSTILE[name]}
    result = sws.complete_authorization(**params)
    blank = name in ("empty", "whitespace")
    if param == "error_description" or (param == "error" and blank):
        assert result.status == "connected"  # nothing wrong was said: the code is good
    elif param == "code" and name == "html":
        assert result.status == "failed"  # a well-formed code that Copernica refuses
    else:
        assert result.status == "refused", result
        assert len(sws.connections()) == 0
    text = result.title + result.message + result.hint
    assert not any(ord(ch) < 32 for ch in text) and len(text) < 1000


def test_csv_import_with_hostile_rows_reports_each_and_stores_none(sws, capsys, tmp_path, monkeypatch, sandbox_env):
    for key, value in sandbox_env.items():
        monkeypatch.setenv(key, value)
    rows = "".join(f'"{n}","{v.replace(chr(34), chr(34) * 2)}"\n' for n, v in HOSTILE.items() if "\x00" not in v)
    path = tmp_path / "tokens.csv"
    path.write_text("label,token\n" + rows + "\x00,\x00\n", encoding="utf-8")
    code = main(["import-tokens", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("not imported") == len(HOSTILE)
    assert "Traceback" not in out
    assert sws.connections() == []


@pytest.mark.parametrize("argv", [
    ["check", "--connection", "abc"], ["check", "--connection", "-1"], ["check", "--concurrency", "0"],
    ["history", "--since", "'; DROP TABLE checks"], ["history", "--connection", "999"],
    ["import-tokens", "/nonexistent\x07file"], ["nonsense"], ["prune", "--older-than", "0"],
])
def test_bad_command_line_arguments_exit_2_with_a_message(env, monkeypatch, capsys, argv):
    monkeypatch.setenv("COPERNICA_DB", env["COPERNICA_DB"])
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and err.strip() and "Traceback" not in err


def test_connections_json_escapes_nothing_and_breaks_nothing(sws, control, capsys, monkeypatch, sandbox_env):
    for key, value in sandbox_env.items():
        monkeypatch.setenv(key, value)
    [token] = control.tokens("101")
    sws.add_token(token, label=HOSTILE["html"] + HOSTILE["sql"])
    assert main(["connections", "--json"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert record["label"] == HOSTILE["html"] + HOSTILE["sql"]
