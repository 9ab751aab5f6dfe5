"""`python -m copernica_core`: the commands, their JSON fields and their exit codes."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from copernica_core.cli import main

from .helpers import run, write_csv

ROOT = Path(__file__).resolve().parent.parent


def test_check_with_no_connections_exits_0(cli_env, capsys):
    code, out, _ = run(capsys, "check", "--json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize("command", ["check", "connections", "history", "export", "report", "events"])
def test_a_database_that_does_not_exist_is_not_created_by_commands_that_only_read(cli_env, capsys, command,
                                                                                   monkeypatch, tmp_path):
    """A typo in a cron line must not report "all valid" forever."""
    typo = tmp_path / "dta" / "copernica.db"
    monkeypatch.setenv("COPERNICA_DB", str(typo))
    code, _, err = run(capsys, command)
    assert code == 2 and str(typo) in err
    assert not typo.exists()


def test_import_check_and_history_from_the_command_line(cli_env, control, capsys, tmp_path):
    good = control.tokens("101") + control.tokens("102")
    path = write_csv(tmp_path / "t.csv", f"label,token\nShop A,{good[0]}\nShop B,{good[1]}\n")
    code, out, _ = run(capsys, "import-tokens", path)
    assert code == 0, out
    assert "row 2: imported" in out and "Acme Retail" in out and "2 imported, 0 updated, 0 failed" in out

    code, out, _ = run(capsys, "check", "--json")
    records = json.loads(out)
    assert code == 0
    assert {r["label"] for r in records} == {"Shop A", "Shop B"}
    for r in records:
        assert {"connection_id", "label", "outcome", "account_id", "account_name", "http_status",
                "latency_ms", "message"} <= set(r)
        assert r["outcome"] == "valid"

    code, out, _ = run(capsys, "history", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 4 and {r["outcome"] for r in rows} == {"valid"}


def test_check_exits_1_when_any_connection_is_not_valid(cli_env, control, capsys, tmp_path):
    [token] = control.tokens("103")
    run(capsys, "import-tokens", write_csv(tmp_path / "t.csv", f"label,token\nX,{token}\n"))
    control.post("revoke", account_id="103")
    code, out, _ = run(capsys, "check", "--json")
    assert code == 1 and json.loads(out)[0]["outcome"] == "invalid_token"


def test_check_lists_what_is_broken_first_with_its_client(cli_env, control, capsys, tmp_path):
    tokens = [control.tokens(account)[0] for account in ("101", "102", "103")]
    run(capsys, "import-tokens", write_csv(tmp_path / "t.csv", "label,token,client\n" + "".join(
        f"{label},{token},{client}\n" for label, token, client in
        zip(["Alpha", "Beta", "Gamma"], tokens, ["Acme BV", "Bloom & Co", "Northwind"], strict=True))))
    control.post("revoke", account_id="103")
    code, out, _ = run(capsys, "check")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["connection_id", "label", "client", "outcome"]
    assert "Gamma  Northwind" in lines[1] and "invalid_token" in lines[1]  # the broken one first
    assert "Alpha" in lines[2] and "Acme BV" in lines[2] and "Beta" in lines[3]
    _, out, _ = run(capsys, "check", "--json")
    assert next((r["label"], r["client"]) for r in json.loads(out)) == ("Gamma", "Northwind")


def test_check_of_an_unknown_connection_exits_2_with_one_line(cli_env, capsys):
    code, _out, err = run(capsys, "check", "--connection", "999")
    assert code == 2 and "no connection with id 999" in err and "Traceback" not in err


def test_import_reports_each_failed_row_and_stores_none_of_them(cli_env, control, capsys, tmp_path):
    [token] = control.tokens("101")
    path = write_csv(tmp_path / "t.csv", f"label,token\nGood,{token}\nEmpty,\nBad,not-a-real-token\n"
                                         "Spaces,has spaces in it\n")
    code, out, _ = run(capsys, "import-tokens", path)
    assert code == 1
    assert "row 3: not imported: Access token is required." in out
    assert "row 4: not imported: invalid_token" in out
    assert "row 5: not imported" in out
    code, out, _ = run(capsys, "connections", "--json")
    assert [c["label"] for c in json.loads(out)] == ["Good"]


def test_import_without_the_header_exits_2(cli_env, capsys, tmp_path):
    code, _, err = run(capsys, "import-tokens", write_csv(tmp_path / "t.csv", "name,secret\na,b\n"))
    assert code == 2 and "label,token" in err


def test_import_of_an_unreadable_file_exits_2(cli_env, capsys, tmp_path):
    code, _, err = run(capsys, "import-tokens", str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in err


def test_connections_json_has_the_documented_fields(cli_env, control, capsys, tmp_path):
    [token] = control.tokens("102")
    run(capsys, "import-tokens", write_csv(tmp_path / "t.csv", f"label,token\nFlowers,{token}\n"))
    code, out, _ = run(capsys, "connections", "--json")
    [record] = json.loads(out)
    assert code == 0
    assert {"connection_id", "label", "application", "account_id", "account_name", "company", "status",
            "last_checked", "last_ok", "stale", "duplicate"} <= set(record)
    assert record["company"] == "Bloom & Co" and record["stale"] is False and record["duplicate"] is False
    assert token not in out


def test_export_csv_and_json_hold_no_token(cli_env, control, capsys, tmp_path):
    [token] = control.tokens("101")
    run(capsys, "import-tokens", write_csv(tmp_path / "t.csv", f"label,token\nShop,{token}\n"))
    for fmt in ("--csv", "--json"):
        code, out, _ = run(capsys, "export", fmt)
        assert code == 0 and "Shop" in out and token not in out


def test_history_with_a_bad_since_exits_2(cli_env, capsys):
    code, _, err = run(capsys, "history", "--since", "yesterday")
    assert code == 2 and "--since" in err


def test_configuration_error_exits_2(monkeypatch, capsys, env):
    monkeypatch.setenv("COPERNICA_DB", env["COPERNICA_DB"])
    monkeypatch.setenv("COPERNICA_API_URL", "http://example.com")
    code, _, err = run(capsys, "connections")
    assert code == 2 and "COPERNICA_API_URL" in err


def test_module_runs_as_a_program(cli_env, tmp_path):
    done = subprocess.run([sys.executable, "-m", "copernica_core", "connections", "--json"],
                          capture_output=True, text=True, cwd=ROOT, env={**cli_env, "PATH": "/usr/bin:/bin"},
                          timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout) == []


def test_check_shows_progress_on_a_terminal_and_keeps_json_on_stdout_clean(cli_env, control, tmp_path):
    import os
    import pty

    [token] = control.tokens("101")
    main(["import-tokens", write_csv(tmp_path / "t.csv", f"label,token\nShop,{token}\n")])
    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "copernica_core", "check", "--json"], cwd=ROOT,
                          env={**os.environ, **cli_env}, stdout=subprocess.PIPE, stderr=follower, timeout=60)
    os.close(follower)
    terminal = os.read(leader, 4096).decode()
    os.close(leader)
    assert done.returncode == 0
    assert json.loads(done.stdout)[0]["outcome"] == "valid"
    assert "checked 1/1" in terminal


def test_check_quiet_prints_nothing_when_nothing_changed_and_names_what_did(cli_env, control, capsys, monkeypatch):
    """For cron, which mails whatever a job prints."""
    from .conftest import make_workspace

    monkeypatch.setenv("COPERNICA_PUBLIC_URL", "https://connections.example.com")
    ws = make_workspace(cli_env)
    for account in ("101", "102"):
        [token] = control.tokens(account)
        ws.add_token(token, client="Bloom BV" if account == "102" else None)
    assert run(capsys, "check", "--quiet") == (0, "", "")
    control.post("revoke", account_id="102")
    code, out, _ = run(capsys, "check", "--quiet")
    assert code == 1
    assert out == ("Bloom Florists (client Bloom BV) · valid → invalid_token · "
                   "https://connections.example.com/inspect?connection=2\n")
    assert run(capsys, "check", "--quiet") == (1, "", "")  # still broken, nothing new: nothing printed


def test_slips_at_the_command_line_get_a_way_forward(cli_env, control, capsys, monkeypatch, tmp_path):
    """A client name that matches nothing says so and offers near names; no database but the
    demo's points at the demo's; `watch --once --quiet` beside an active watcher mails nothing."""
    from copernica_core import demo

    from .conftest import make_workspace
    from .helpers import run, start_cli, wait_for

    ws = make_workspace(cli_env)
    for account, client in (("101", "Tandartspraktijk Zuid"), ("102", "Tandartspraktijk Zuid"), ("103", "Bloom")):
        ws.add_token(control.tokens(account)[0], client=client)
    ws.close()
    code, out, _ = run(capsys, "connections", "--client", "Tandarts")
    assert code == 0 and out == ("No connection has the client 'Tandarts' (the name must match exactly; there are "
                                 "3 connections). Did you mean 'Tandartspraktijk Zuid'?\n")
    assert "Did you mean 'Bloom'?" in run(capsys, "connections", "--client", "bloem")[1]  # a typo, another case

    demo_db = tmp_path / "demo" / "copernica.db"
    make_workspace({"COPERNICA_DB": str(demo_db)}).close()
    monkeypatch.setattr(demo, "DEMO_DB", demo_db)
    monkeypatch.setenv("COPERNICA_DB", str(tmp_path / "nothing.db"))
    code, _, err = run(capsys, "connections")
    shown = "demo/copernica.db"  # (relative to where the command runs: the test's folder)
    assert code == 2 and f"The demo's database is {shown}: COPERNICA_DB={shown} python -m copernica_core" in err
    monkeypatch.setenv("COPERNICA_DB", cli_env["COPERNICA_DB"])

    watcher = start_cli(cli_env, "watch", "--every", "1h", log=tmp_path / "w.log")
    try:
        wait_for(lambda: "checked" in (tmp_path / "w.log").read_text(), 20, "the service watcher's run")
        assert run(capsys, "watch", "--once", "--quiet") == (0, "", "")  # cron mails nothing
        assert run(capsys, "watch", "--once")[0] == 2  # said when someone asks
    finally:
        import signal

        watcher.send_signal(signal.SIGTERM)
        watcher.wait(timeout=30)


def test_csv_files_as_excel_writes_them_are_imported_whole(cli_env, control, capsys, tmp_path):
    """Excel's plain "CSV" on Windows is Windows-1252 with semicolons (a Dutch Excel), CRLF line
    ends, sometimes a first line `sep=;`, and rows of separators only below the data: "Één"
    arrives as Één, the hint line and the empty rows are no rows, and the import is complete
    (exit 0). A file that is no text says how to save it, the same on the page (decode_csv)."""
    from copernica_core.errors import BadInput
    from copernica_core.imports import decode_csv, read_token_csv

    from .conftest import make_workspace
    from .helpers import run

    [first], [second] = control.tokens("101"), control.tokens("102")
    excel = (f"sep=;\r\nlabel;token;client\r\nShop;{first};Bloemisterij Één\r\nBlog;{second};Café Zoë\r\n"
             ";;\r\n;;\r\n").encode("cp1252")
    (tmp_path / "excel.csv").write_bytes(excel)
    code, out, err = run(capsys, "import-tokens", str(tmp_path / "excel.csv"))
    assert code == 0, out + err
    ws = make_workspace(cli_env)
    assert sorted(c.client for c in ws.connections()) == ["Bloemisterij Één", "Café Zoë"]
    ws.close()
    assert [r.client for r in read_token_csv(decode_csv("\ufefflabel,token,client\nA,t-1,Één\n".encode()))] == ["Één"]
    unicode_text = "label\ttoken\nA\tt-1\n".encode("utf-16")  # Excel's "Unicode text": tabs
    assert [r.label for r in read_token_csv(decode_csv(unicode_text))] == ["A"]
    with pytest.raises(BadInput, match="CSV UTF-8"):
        decode_csv(b"label,token\n\x81\x8d\x8f\x90,x\n")  # bytes that are no text in any of these
