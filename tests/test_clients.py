"""Agencies: clients, imports that do not hijack, fixing a connection where it is, worst
first, status reports, and the command line for cron."""

from __future__ import annotations

import csv
import io
import json

import pytest

from copernica_core.models import Outcome
from copernica_core.overview import client_summaries, summarize, worst_first
from copernica_core.report import counted

from .factories import seed_connection
from .helpers import run, write_csv


def test_an_import_does_not_hijack_a_connection_whose_token_moved(cli_env, control, capsys, tmp_path, sws):
    [token_a] = control.tokens("101")
    [token_b] = control.tokens("102")
    rows = f"label,token,client\nClient A,{token_a},A BV\nCamping Het Bos,{token_b},Bos\n"
    path = write_csv(tmp_path / "t.csv", rows)
    assert run(capsys, "import-tokens", path)[0] == 0
    control.post("move", **{"from": "101", "to": "102"})  # A's token now reaches B's account
    code, out, _ = run(capsys, "import-tokens", write_csv(tmp_path / "again.csv", f"label,token\nClient A,{token_a}\n"))
    assert code == 1
    assert "already connected as #2 “Camping Het Bos” (client Bos)" in out and "--replace" in out
    assert "0 imported, 0 updated, 1 failed" in out
    b = sws.connection(2)
    assert b.label == "Camping Het Bos" and b.client == "Bos"
    assert sws.reveal_token(2).reveal() == token_b  # its token untouched
    code, out, _ = run(capsys, "import-tokens", "--replace",
                       write_csv(tmp_path / "replace.csv", f"label,token\nClient A,{token_a}\n"))
    assert code == 0 and "0 imported, 1 updated, 0 failed" in out


@pytest.mark.parametrize("label", ["", "Client A"])
def test_an_import_does_not_move_a_connection_to_another_client_or_swap_its_token(
        cli_env, control, capsys, tmp_path, sws, label):
    """An empty label (or the same one), a new token of a connected account and another client:
    refused and named, unless --replace."""
    [token_a] = control.tokens("101")
    first = write_csv(tmp_path / "a.csv", f"label,token,client\nClient A,{token_a},A BV\n")
    assert run(capsys, "import-tokens", first)[0] == 0
    [new_token] = control.tokens("101")
    row = f"label,token,client\n{label},{new_token},Other BV\n"
    code, out, _ = run(capsys, "import-tokens", write_csv(tmp_path / "b.csv", row))
    assert code == 1 and "0 imported, 0 updated, 1 failed" in out
    assert "already connected as #1 “Client A” (client A BV); it would change its token and client" in out
    kept = sws.connection(1)
    assert (kept.label, kept.client, sws.reveal_token(1).reveal()) == ("Client A", "A BV", token_a)
    pasted = sws.add_token(new_token, label=label, client="Other BV")  # the paste form: the same rule
    assert pasted.conflict.id == 1 and pasted.would_change == ("token", "client")
    code, out, _ = run(capsys, "import-tokens", "--replace", write_csv(tmp_path / "c.csv", row))
    assert code == 0 and "0 imported, 1 updated, 0 failed" in out
    assert (sws.connection(1).client, sws.reveal_token(1).reveal()) == ("Other BV", new_token)


def test_a_re_import_reports_updates_as_updates_and_accepts_semicolons(cli_env, control, capsys, tmp_path):
    tokens = control.tokens("101") + control.tokens("102")
    text = "label;token;client\n" + "".join(f"Shop {i};{t};Acme\n" for i, t in enumerate(tokens))
    assert "2 imported, 0 updated, 0 failed" in run(capsys, "import-tokens", write_csv(tmp_path / "a.csv", text))[1]
    code, out, _ = run(capsys, "import-tokens", write_csv(tmp_path / "b.csv", text))
    assert code == 0 and "0 imported, 2 updated, 0 failed" in out


def test_a_pasted_connection_is_fixed_where_it_is_keeping_label_client_and_history(sws, control):
    [old] = control.tokens("103")
    conn = sws.add_token(old, label="Northwind shop", client="Northwind").connection
    control.post("revoke", account_id="103")
    assert [c.result.outcome for c in sws.check()] == [Outcome.INVALID_TOKEN]
    [new] = control.tokens("103")
    fixed = sws.add_token(new, connection_id=conn.id)
    assert fixed.replaced and fixed.connection.id == conn.id
    assert (fixed.connection.label, fixed.connection.client, fixed.connection.status) == (
        "Northwind shop", "Northwind", "valid")
    assert sws.history_count(conn.id) == 3 and len(sws.connections()) == 1


def test_a_token_of_another_account_does_not_fix_a_connection(sws, control):
    [token] = control.tokens("101")
    conn = sws.add_token(token, label="Acme").connection
    [other] = control.tokens("102")
    attempt = sws.add_token(other, connection_id=conn.id)
    assert attempt.connection is None and attempt.result.outcome is Outcome.ACCOUNT_CHANGED
    assert sws.reveal_token(conn.id).reveal() == token


def test_reauthorizing_bound_to_a_connection_replaces_its_token_in_place(sws, control):
    from .helpers import consent

    app = sws.applications()[0]
    first = sws.complete_authorization_url(consent(sws.start_authorization(app.id, client="Bloom"), account="102"))
    assert sws.connection(first.connection_id).client == "Bloom"
    again = sws.complete_authorization_url(
        consent(sws.start_authorization(app.id, connection_id=first.connection_id), account="102"))
    assert again.replaced and again.connection_id == first.connection_id
    assert sws.connection(first.connection_id).client == "Bloom"


def test_worst_first_then_by_name_and_clients_worst_first(ws):
    for i, status in enumerate(Outcome):
        seed_connection(ws, str(100 + i), f"Account {i}", label=f"{status.value} b", status=status)
    seed_connection(ws, "200", label="invalid_token a", status=Outcome.INVALID_TOKEN)
    ws.set_client([c.id for c in ws.connections() if c.status == "valid"], "Fine BV")
    ws.set_client([c.id for c in ws.connections() if c.status == "invalid_token"], "Broken BV")
    order = [c.label for c in worst_first(ws.connections())]
    assert order == ["account_changed b", "invalid_token a", "invalid_token b", "unavailable b", "rate_limited b",
                     "unexpected b", "unchecked b", "valid b"]
    assert [s.client for s in client_summaries(ws.connections())] == ["Broken BV", "", "Fine BV"]
    assert [a.connection.label for a in summarize(ws.connections()).attention][:2] == [
        "account_changed b", "invalid_token a"]


def test_the_report_of_a_client_as_csv_and_printable_html(cli_env, capsys, tmp_path, sws):
    a = seed_connection(sws, "101", "Acme Retail", label="=Acme shop", status=Outcome.INVALID_TOKEN)
    seed_connection(sws, "102", "Bloom Florists", label="Bloom", status=Outcome.VALID)
    sws.set_client([a], "Acme <b>BV</b>")
    code, out, _ = run(capsys, "report", "--client", "Acme <b>BV</b>", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["connection"] for r in rows] == ["'=Acme shop"]
    assert rows[0]["status"] == "invalid_token" and rows[0]["uptime_30_days"] == "not enough history yet"
    assert rows[0]["what_to_do"] == ("The access you gave has stopped working; your agency will send you a link to "
                                     "give it again.")  # the client's words: no Inspect page, no token to paste
    assert "client" not in rows[0]  # one client: no Client column
    page = tmp_path / "report.html"
    page.write_text("an older report, readable by anyone")
    page.chmod(0o644)
    code, out, _ = run(capsys, "report", "--client", "Acme <b>BV</b>", "--html", str(page))
    html = page.read_text()
    assert page.stat().st_mode & 0o777 == 0o600  # it may hold a working reconnect link
    assert code == 0 and "Copernica connections of Acme &lt;b&gt;BV&lt;/b&gt;" in html
    assert "Access stopped working" in html and "Bloom" not in html and "http" not in html.split("<body>")[1]
    assert "<th>Client</th>" not in html and "@page { size: A4" in html
    code, out, _ = run(capsys, "report", "--csv")  # every connection: the agency's report, its words
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["client"] for r in rows] == ["Acme <b>BV</b>", ""] and "Inspect page" in rows[0]["what_to_do"]
    assert run(capsys, "report", "--client", "Nobody")[0] == 2


def test_check_for_cron_summary_failed_only_and_json_fields(cli_env, capsys, control, sws):
    for account in ("101", "102"):
        [token] = control.tokens(account)
        sws.add_token(token, client="Acme" if account == "101" else "")
    control.post("revoke", account_id="102")
    code, out, _ = run(capsys, "check", "--failed-only")
    assert code == 1 and "2 checked: 1 valid, 1 not valid" in out and "Acme Retail" not in out
    code, out, err = run(capsys, "check", "--json", "--client", "Acme")
    [record] = json.loads(out)
    assert code == 0 and record["checked_at"].endswith("Z") and "1 checked: 1 valid, 0 not valid" in err
    code, out, _ = run(capsys, "check", "--json", "--connection", "2")
    assert json.loads(out)[0]["account_id"] == "102"  # kept from the connection when the check failed
    assert run(capsys, "check", "--all", "--connection", "1")[0] == 2


def test_history_has_a_header_names_and_json_and_export_writes_true_false(cli_env, capsys, control, sws):
    [token] = control.tokens("101")
    sws.add_token(token, label="Acme shop", client="Acme")
    code, out, _ = run(capsys, "history")
    assert code == 0 and out.splitlines()[0].startswith("checked at (UTC)") and "#1 Acme shop" in out
    [record] = json.loads(run(capsys, "history", "--json", "--client", "Acme")[1])
    assert record["label"] == "Acme shop" and record["outcome"] == "valid"
    [row] = list(csv.DictReader(io.StringIO(run(capsys, "export", "--csv", "--client", "Acme")[1])))
    assert row["stale"] == "false" and row["duplicate"] == "false" and row["client"] == "Acme"
    assert json.loads(run(capsys, "connections", "--json", "--client", "Nobody")[1]) == []


@pytest.mark.parametrize("command", ["connections", "export"])
def test_client_filter_on_listings(cli_env, capsys, sws, command):
    seed_connection(sws, "101", "Acme", label="Acme shop")
    seed_connection(sws, "102", "Bloom", label="Bloom shop")
    sws.set_client([1], "Acme BV")
    records = json.loads(run(capsys, command, "--json", "--client", "Acme BV")[1])
    assert [r["label"] for r in records] == ["Acme shop"]


def test_counts_read_as_words():
    assert [counted(n, "connection") for n in (0, 1, 2)] == ["no connections", "1 connection", "2 connections"]
