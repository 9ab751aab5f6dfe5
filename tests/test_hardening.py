"""Regression tests for the adversarial review: terminal escapes, spreadsheet formulas, a
secret cut in half, exit codes where a traceback used to be, and the smaller items."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from copernica_core.api import Answer, error_message
from copernica_core.cli import main
from copernica_core.config import ConfigError, load_settings
from copernica_core.neutralise import for_spreadsheet, for_terminal
from copernica_core.sandbox import DemoAccount
from copernica_core.secret import Secret, excerpt

from .conftest import make_workspace
from .helpers import run, write_csv

HOSTILE = "\x1b[2K\r\x1b[32mAll good\x1b]0;pwned\x07\u202eevil"


@pytest.fixture
def hostile_connection(cli_env, control, sws):
    control.server.state.accounts["666"] = DemoAccount("666", HOSTILE, HOSTILE, "=HYPERLINK(\"http://x\")")
    [token] = control.tokens("666")
    added = sws.add_token(token, label="@SUM(A1:A9)")
    assert added.connection is not None
    return added.connection


@pytest.mark.parametrize("command", [["connections"], ["check"], ["history"], ["export", "--json"],
                                     ["connections", "--json"]])
def test_command_line_output_carries_no_terminal_escape(hostile_connection, capsys, command):
    _, out, err = run(capsys, *command)
    for ch in ("\x1b", "\x07", "\r", "\u202e"):
        assert ch not in out + err
    assert out


def test_import_report_carries_no_terminal_escape(cli_env, control, capsys, tmp_path):
    control.server.state.accounts["667"] = DemoAccount("667", HOSTILE, "", "")
    [token] = control.tokens("667")
    path = write_csv(tmp_path / "t.csv", f'label,token\nShop,{token}\n"{HOSTILE}",x-token-1\n')
    _, out, _ = run(capsys, "import-tokens", path)
    assert "row 2: imported" in out and "row 3: not imported" in out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out


def test_for_terminal_shows_codes_instead_of_acting():
    assert for_terminal("a\x1b[31mb\u202ec") == "a\\x1b[31mb\\u202ec"
    assert for_terminal("plain “quoted” text") == "plain “quoted” text"


def test_demo_inbox_keeps_an_alerts_lines_and_neutralises_each(tmp_path, capsys):
    from copernica_core.demo import Inbox

    inbox = Inbox(tmp_path / "notifications.log")
    try:
        alert = {"title": "1 needs attention", "message": "Needs attention:\n- Acme\x1b[2J"}
        inbox.received(json.dumps(alert).encode())
    finally:
        inbox.stop()
    lines = (tmp_path / "notifications.log").read_text().splitlines()
    assert lines[1:] == ["1 needs attention", "Needs attention:", "- Acme\\x1b[2J"]
    assert "\x1b" not in capsys.readouterr().out


@pytest.mark.parametrize("command", [["export", "--csv"], ["history", "--csv"]])
def test_csv_cells_never_start_a_formula(hostile_connection, cli_env, capsys, control, command):
    control.post("fail", endpoint="identity", kind="json500", times=3)
    run(capsys, "check")
    _, out, _ = run(capsys, *command)
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) > 1 and any(cell.startswith("'") for row in rows for cell in row)  # neutralised, not absent
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_for_spreadsheet_neutralises_text_not_numbers():
    assert for_spreadsheet("=1+1") == "'=1+1" and for_spreadsheet("-2") == "'-2"
    assert for_spreadsheet(-2) == -2 and for_spreadsheet("Acme") == "Acme" and for_spreadsheet(None) is None


def test_a_secret_straddling_the_cut_is_not_stored_in_part():
    token = Secret("t" * 10 + "0123456789abcdef" * 4)
    body = json.dumps({"debug": "x" * 170 + " token " + token.reveal()})
    message = error_message(Answer(400, "text/plain", body, 1.0))
    assert token.reveal()[:8] not in message and "tttttttt" not in message


def test_scrub_removes_the_cut_off_end_of_a_known_secret():
    token = Secret("abcdefgh" * 8)
    head, tail = excerpt("token is " + token.reveal()[:29], 400), excerpt(token.reveal()[-30:] + " was the token", 400)
    assert head.startswith("token is ") and tail.endswith(" was the token")  # the words around it stay
    assert "abcdefghabcdefgh" not in head and "********" in head
    assert "fghabcdefgh" not in tail and "********" in tail


@pytest.mark.parametrize("argv", [
    ["check", "--connection", "99999999999999999999"],
    ["check", "--connection", "²"],
    ["history", "--since", "0001-01-01T00:00+01:00"],
    ["history", "--since", "yesterday"],
    ["prune", "--older-than", "9999999999"],
    ["prune", "--older-than", "0"],
])
def test_bad_arguments_exit_2_with_a_message(cli_env, capsys, argv):
    with pytest.raises(SystemExit) as raised:
        code = main(argv)
        raise SystemExit(code)
    assert raised.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_csv_field_over_the_size_limit_exits_2(cli_env, capsys, tmp_path):
    path = write_csv(tmp_path / "big.csv", "label,token\nbig,\"" + "x" * 200_000 + "\"\n")
    code, _, err = run(capsys, "import-tokens", path)
    assert code == 2 and "cannot be read as CSV" in err


@pytest.mark.parametrize("fault", ["read-only", "disk full"])
@pytest.mark.parametrize("command", ["check", "import-tokens"])
def test_a_database_that_cannot_be_written_exits_2_with_a_message(cli_env, control, capsys, tmp_path,
                                                                   monkeypatch, fault, command):
    from copernica_core import acting
    from copernica_core.store import connections

    ws = make_workspace(cli_env)
    [token] = control.tokens("101")
    ws.add_token(token)
    ws.close()
    if fault == "read-only":  # the real thing: SQLite refuses every write on this connection
        opened = acting.open_database

        def read_only(path):
            db = opened(path)
            db.execute("PRAGMA query_only = 1")
            return db

        monkeypatch.setattr(acting, "open_database", read_only)
    else:  # what SQLite raises when the disk fills up under a write
        def full(*args, **kwargs):
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(connections, "_write_checks", full)  # every write of a check goes through it
    [more] = control.tokens("102")
    argv = ["check"] if command == "check" else [
        "import-tokens", write_csv(tmp_path / "t.csv", f"label,token\nB,{more}\n")]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "cannot be written" in err and "Traceback" not in err


def test_settings_never_print_the_key(env):
    from copernica_core.crypto import new_key

    key = new_key().reveal()
    settings = load_settings({**env, "COPERNICA_SECRET_KEY": key}, secrets_files=[])
    assert key not in repr(settings) and key not in str(settings)


def test_an_empty_key_file_is_named_and_not_blamed_on_the_variable(ws, env, tmp_path):
    ws.save_application(label="Shop", client_key="key-1234", client_secret="secret-1234")
    ws.close()
    (tmp_path / "data" / "secret.key").write_text("")
    with pytest.raises(ConfigError) as raised:
        make_workspace(env)
    assert "is empty" in str(raised.value) and "COPERNICA_SECRET_KEY" not in str(raised.value)


@pytest.mark.usefixtures("copernica_double")
def test_inspect_link_with_a_superscript_id_shows_the_picker(env, monkeypatch):
    from .helpers import ROOT, app

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ROOT)
    from .factories import seed_development as seed_connection

    seed_connection(env, label="Flowers")
    at = app("inspect")
    at.query_params["connection"] = "²"
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox[0].value is not None
