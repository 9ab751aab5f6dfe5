"""Backups with real processes: a backup taken while a check-all writes is consistent and
restores elsewhere with every token working; a restore refuses, changing nothing and making
no file, a backup the key at hand cannot open, a file that is not a backup, and a database
that holds data unless told to replace it (which keeps the old one aside)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from copernica_core.crypto import new_key

from .conftest import make_workspace
from .helpers import cli_process, start_cli, wait_for

FLEET = 24


@pytest.fixture
def fleet(sandbox_env, control):
    """Two dozen pasted connections on the sandbox; their key is the key file beside the database."""
    ws = make_workspace(sandbox_env)
    for account in control.post("accounts", count=FLEET)["accounts"]:
        [token] = control.tokens(account)
        ws.add_token(token)
    ws.close()
    return sandbox_env


def checks_in(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM checks").fetchone()[0]


def test_a_backup_taken_during_a_check_all_restores_elsewhere_and_every_token_works(fleet, control, tmp_path):
    db = Path(fleet["COPERNICA_DB"])
    before = checks_in(db)
    control.post("latency", ms=300)  # the check-all takes some 3.6 s: the backup lands in its middle
    checking = start_cli(fleet, "check", "--concurrency", "2", log=tmp_path / "check.log")
    try:
        wait_for(lambda: checks_in(db) > before, 30, "the check-all to write its first results")
        made = cli_process(fleet, "backup", str(tmp_path / "backup.db"))
    finally:
        checking.wait(timeout=60)
    control.post("latency", ms=0)
    assert made.returncode == 0, made.stderr
    assert f"{FLEET} connections" in made.stdout and "key whose id is" in made.stdout
    assert (tmp_path / "backup.db").stat().st_mode & 0o777 == 0o600  # tokens, encrypted, for the owner only
    with sqlite3.connect(tmp_path / "backup.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        in_backup = copy.execute("SELECT count(*) FROM checks").fetchone()[0]
    assert before < in_backup < checks_in(db)  # taken mid-run, and whole

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(db.with_name("secret.key"), elsewhere / "secret.key")  # the key travels apart
    other = {**fleet, "COPERNICA_DB": str(elsewhere / "copernica.db")}
    restored = cli_process(other, "restore", str(tmp_path / "backup.db"))
    assert restored.returncode == 0, restored.stderr
    assert f"Restored 0 applications, {FLEET} connections" in restored.stdout
    checked = cli_process(other, "check", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr  # every token decrypts and is valid
    assert f"{FLEET} checked: {FLEET} valid" in checked.stderr
    ws = make_workspace(other)
    assert [e.action for e in ws.events(limit=1)] == ["database restored from a backup"]
    ws.close()


def test_a_restore_refuses_a_backup_the_key_at_hand_cannot_open_and_changes_nothing(fleet, tmp_path):
    assert cli_process(fleet, "backup", str(tmp_path / "backup.db")).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    other = {**fleet, "COPERNICA_DB": str(elsewhere / "copernica.db")}

    no_key = cli_process(other, "restore", str(tmp_path / "backup.db"))
    assert no_key.returncode == 2
    assert "needs the key with id" in no_key.stderr and "there is no key here" in no_key.stderr
    assert not elsewhere.exists()  # no database, and above all no new key file

    wrong_key = cli_process({**other, "COPERNICA_SECRET_KEY": new_key().reveal()}, "restore",
                            str(tmp_path / "backup.db"))
    assert wrong_key.returncode == 2
    needed = no_key.stderr.split("needs the key with id ")[1].split(",")[0]
    assert f"needs the key with id {needed}" in wrong_key.stderr
    assert "the key at hand (COPERNICA_SECRET_KEY)" in wrong_key.stderr
    assert not elsewhere.exists()

    (tmp_path / "notes.txt").write_text("not a database")
    assert "not a Copernica Connections backup" in cli_process(other, "restore", str(tmp_path / "notes.txt")).stderr
    assert "There is no file" in cli_process(other, "restore", str(tmp_path / "missing.db")).stderr
    assert not elsewhere.exists()


def test_a_restore_over_data_needs_replace_and_keeps_the_old_database_aside(fleet, control, tmp_path):
    assert cli_process(fleet, "backup", str(tmp_path / "backup.db")).returncode == 0
    again = cli_process(fleet, "backup", str(tmp_path / "backup.db"))
    assert again.returncode == 2 and "never overwrites" in again.stderr

    ws = make_workspace(fleet)
    [token] = control.tokens("102")
    ws.add_token(token, label="Added after the backup")
    ws.close()
    refused = cli_process(fleet, "restore", str(tmp_path / "backup.db"))
    assert refused.returncode == 2 and f"already holds 0 applications, {FLEET + 1} connections" in refused.stderr

    replaced = cli_process(fleet, "restore", str(tmp_path / "backup.db"), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    db = Path(fleet["COPERNICA_DB"])
    [aside] = db.parent.glob("copernica.db.before-restore-*")
    ws = make_workspace(fleet)
    assert "Added after the backup" not in [c.label for c in ws.connections()]
    ws.close()
    ws = make_workspace({**fleet, "COPERNICA_DB": str(aside)})  # nothing lost: the old database, whole
    assert "Added after the backup" in [c.label for c in ws.connections()]
    ws.close()


def test_a_restore_is_refused_while_a_watcher_runs_on_the_database(fleet, tmp_path):
    assert cli_process(fleet, "backup", str(tmp_path / "backup.db")).returncode == 0
    watching = start_cli({**fleet, "COPERNICA_WATCH_LEASE": "30s"}, "watch", "--every", "1h",
                         log=tmp_path / "watch.log")
    try:
        wait_for(lambda: "Watching every" in (tmp_path / "watch.log").read_text(), 20, "the watcher to start")
        refused = cli_process(fleet, "restore", str(tmp_path / "backup.db"), "--replace")
        assert refused.returncode == 2 and "A watcher" in refused.stderr and "stop it" in refused.stderr
        assert not list(Path(fleet["COPERNICA_DB"]).parent.glob("*.before-restore-*"))
    finally:
        watching.terminate()
        watching.wait(timeout=30)


def test_a_restore_drill_right_after_the_watcher_was_killed_is_not_refused(fleet, tmp_path):
    """A watcher killed on this machine (kill -9: its 30 s lease is still there) runs no more:
    the restore drill goes on at once instead of waiting for the lease to run out."""
    import signal

    assert cli_process(fleet, "backup", str(tmp_path / "backup.db")).returncode == 0
    watching = start_cli({**fleet, "COPERNICA_WATCH_LEASE": "30s"}, "watch", "--every", "1h",
                         log=tmp_path / "watch.log")
    wait_for(lambda: "checked" in (tmp_path / "watch.log").read_text(), 20, "the watcher's first run")
    watching.send_signal(signal.SIGKILL)
    watching.wait(timeout=30)
    restored = cli_process(fleet, "restore", str(tmp_path / "backup.db"), "--replace")
    assert restored.returncode == 0, restored.stderr


def test_a_backup_with_triggers_added_by_hand_is_refused_and_changes_nothing(agency, tmp_path):
    """Two triggers added with sqlite3: one that re-opens a used link, one that erases the
    "token revealed" events as they are written. Refused by the schema check, and by the seal."""
    env, ws = agency
    ws.invite(client="Acme")
    assert cli_process(env, "backup", str(tmp_path / "backup.db")).returncode == 0
    with sqlite3.connect(tmp_path / "backup.db") as edited:
        edited.execute("CREATE TRIGGER links_twice AFTER UPDATE OF used_at ON invitations BEGIN "
                       "UPDATE invitations SET used_at = NULL WHERE id = NEW.id; END")
        edited.execute("CREATE TRIGGER no_reveals AFTER INSERT ON events WHEN NEW.action = 'token revealed' BEGIN "
                       "DELETE FROM events WHERE id = NEW.id; END")
    elsewhere = {**env, "COPERNICA_DB": str(tmp_path / "elsewhere" / "copernica.db")}
    shutil.copytree(Path(env["COPERNICA_DB"]).parent, tmp_path / "elsewhere", ignore=shutil.ignore_patterns("*.db*"))
    refused = cli_process(elsewhere, "restore", str(tmp_path / "backup.db"))
    assert refused.returncode == 2 and "trigger links_twice, trigger no_reveals" in refused.stderr
    assert "Traceback" not in refused.stderr and not Path(elsewhere["COPERNICA_DB"]).exists()
    with sqlite3.connect(tmp_path / "backup.db") as edited:  # a schema this version knows, but rows changed
        edited.execute("DROP TRIGGER links_twice")
        edited.execute("DROP TRIGGER no_reveals")
        edited.execute("UPDATE invitations SET client = 'Evil Corp'")
    refused = cli_process(elsewhere, "restore", str(tmp_path / "backup.db"))
    assert refused.returncode == 2 and "was changed after it was made (its seal does not match)" in refused.stderr
    assert not Path(elsewhere["COPERNICA_DB"]).exists()


def test_an_unsealed_backup_is_restored_only_when_asked(agency, tmp_path):
    env, _ = agency
    assert cli_process(env, "backup", str(tmp_path / "backup.db")).returncode == 0
    with sqlite3.connect(tmp_path / "backup.db") as edited:
        edited.execute("DELETE FROM meta WHERE name = 'backup_seal'")
    elsewhere = {**env, "COPERNICA_DB": str(tmp_path / "elsewhere" / "copernica.db")}
    shutil.copytree(Path(env["COPERNICA_DB"]).parent, tmp_path / "elsewhere", ignore=shutil.ignore_patterns("*.db*"))
    refused = cli_process(elsewhere, "restore", str(tmp_path / "backup.db"))
    assert refused.returncode == 2 and "is not sealed" in refused.stderr and "--unsealed" in refused.stderr
    restored = cli_process(elsewhere, "restore", str(tmp_path / "backup.db"), "--unsealed")
    assert restored.returncode == 0 and "the backup was not sealed" in restored.stdout


def test_a_restore_withdraws_the_links_open_in_the_backup_and_says_so(agency, tmp_path):
    """A link used (or withdrawn) after the backup was made must not work again once it is restored."""
    from .helpers import use_link

    env, ws = agency
    used, _ = ws.invite(client="Acme")
    withdrawn, link = ws.invite(client="Bloom")
    assert cli_process(env, "backup", str(tmp_path / "backup.db")).returncode == 0
    assert use_link(env, used, account="101").status == "connected"
    ws.withdraw_link(link.id)
    ws.close()
    restored = cli_process(env, "restore", str(tmp_path / "backup.db"), "--replace")
    assert restored.returncode == 0, restored.stderr
    assert "2 connect links open in the backup withdrawn" in restored.stdout
    for url in (used, withdrawn):
        assert use_link(env, url, account="101").startswith("This link was withdrawn")
    ws = make_workspace(env)
    assert ws.connections() == [] and ws.connect_links() == []
    [told] = [e for e in ws.events() if e.action == "database restored from a backup"]
    assert "2 connect links open in the backup withdrawn" in told.detail


def test_a_backup_without_secrets_written_with_another_key_is_refused_and_health_sees_a_wrong_key(env, tmp_path):
    """Round 3 restored it with a traceback and left a database nothing opens, while health said ok."""
    make_workspace(env).close()  # a database with no secret at all, which records its key
    assert cli_process(env, "backup", str(tmp_path / "backup.db")).returncode == 0
    other = {"COPERNICA_DB": str(tmp_path / "other" / "copernica.db")}
    make_workspace(other).close()  # another installation, with a key of its own
    refused = cli_process(other, "restore", str(tmp_path / "backup.db"), "--replace")
    assert refused.returncode == 2 and "needs the key with id" in refused.stderr and "Traceback" not in refused.stderr
    assert cli_process(other, "health").returncode == 0  # unchanged, and still opening
    Path(other["COPERNICA_DB"]).unlink()
    shutil.copy(tmp_path / "backup.db", other["COPERNICA_DB"])  # what the old restore left behind
    sick = cli_process(other, "health")
    assert sick.returncode == 1 and "does not open" in sick.stdout + sick.stderr
