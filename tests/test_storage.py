import os
import stat
import threading

import pytest

from copernica_core import store
from copernica_core.config import ConfigError
from copernica_core.models import Outcome, Verdict
from copernica_core.store import MIGRATIONS, open_database, schema_version
from tests.helpers import stored_bytes

from .conftest import make_workspace
from .factories import seed_connection


def test_key_file_is_created_beside_the_database_with_mode_0600(ws, tmp_path):
    key_file = tmp_path / "data" / "secret.key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_reopening_migrates_without_losing_rows(ws, env):
    ws.save_application(label="Shop", client_key="key-1234", client_secret="secret-1234")
    ws.close()
    again = make_workspace(env)
    assert [a.label for a in again.applications()] == ["Shop"]
    assert schema_version(again.db) == len(MIGRATIONS)
    again.close()


def test_secrets_are_not_readable_in_the_database_file(ws, tmp_path):
    ws.save_application(label="Shop", client_key="key-1234", client_secret="s3cr3t-value-xyz")
    raw = stored_bytes(ws.settings)  # the file, or a pg_dump
    assert b"s3cr3t-value-xyz" not in raw
    assert b"key-1234" in raw  # the client key is not secret


def test_wrong_key_stops_with_a_message_and_changes_nothing(ws, env, tmp_path):
    ws.save_application(label="Shop", client_key="key-1234", client_secret="secret-1234")
    ws.close()
    before = stored_bytes(ws.settings)
    from copernica_core.crypto import new_key

    with pytest.raises(ConfigError, match="COPERNICA_SECRET_KEY"):
        make_workspace({**env, "COPERNICA_SECRET_KEY": new_key().reveal()})
    assert stored_bytes(ws.settings) == before


def test_missing_key_file_with_existing_data_stops(ws, env, tmp_path):
    ws.save_application(label="Shop", client_key="key-1234", client_secret="secret-1234")
    ws.close()
    os.remove(tmp_path / "data" / "secret.key")
    with pytest.raises(ConfigError, match="no key"):
        make_workspace(env)
    assert not (tmp_path / "data" / "secret.key").exists()


def test_malformed_key_names_the_variable(env):
    with pytest.raises(ConfigError, match="COPERNICA_SECRET_KEY"):
        make_workspace({**env, "COPERNICA_SECRET_KEY": "not-a-key"})


def test_eight_threads_writing_checks_at_once_lose_nothing(ws, env):
    connection_id = seed_connection(ws, "7", "Seven")
    errors = []

    def writer(n: int) -> None:
        try:
            db = open_database(ws.settings.database)
            for _ in range(50):
                store.record_checks(db, ws.vault, [(connection_id, Verdict(Outcome.VALID, f"t{n}"), None,
                                                    ws.clock(), False)])
            db.close()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ws.history_count(connection_id) == 1 + 8 * 50


def test_prune_keeps_uptime_and_daily_totals_and_drops_old_rows(ws):
    from datetime import timedelta

    now = ws.clock()
    connection_id = seed_connection(ws, "7", "Seven")
    old = [(connection_id, Verdict(Outcome.VALID if i % 4 else Outcome.UNAVAILABLE, "x"), None,
            now - timedelta(days=20, minutes=i), False) for i in range(40)]
    store.record_checks(ws.db, ws.vault, old)
    before_daily = ws.daily_outcomes(connection_id, days=30)
    folded, _ = ws.prune(older_than_days=7)
    assert folded == 40
    assert ws.history_count(connection_id) == 1
    uptime = ws.uptime(connection_id, days=30)  # the pruned day counts whole, valid for 30 of its 40 checks
    assert uptime.observed_seconds >= 86400 and abs(uptime.valid_seconds - 0.75 * 86400) < 1
    assert ws.daily_outcomes(connection_id, days=30) == before_daily
    assert ws.prune(older_than_days=7)[0] == 0


def test_an_older_schema_is_migrated_without_losing_rows(env):
    """A database as the first version wrote it reaches the current schema, rows intact."""
    import sqlite3

    import sqlite_utils

    from copernica_core.store import MIGRATIONS

    path = env["COPERNICA_DB"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    old = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO events (at, actor, action) VALUES ('2026-01-01', 'me', 'kept')")
    old.close()
    db = open_database(path)
    assert schema_version(db) == len(MIGRATIONS)
    assert [r["action"] for r in db["events"].rows] == ["kept"]
    assert db["check_days"].exists() and "client" in db["connections"].columns_dict


def test_the_fleet_is_shared_until_a_connection_or_application_changes(env, engine):
    import shutil
    from pathlib import Path

    ws, other = make_workspace(env), make_workspace(env)  # another process writes through its own
    first = seed_connection(ws, "7", "Seven")
    fleet = ws.snapshot()
    assert ws.snapshot() is fleet and other.snapshot() is fleet  # nothing changed: nothing worked out again
    assert fleet.summary is fleet.summary

    other.rename_connection(first, "Seven NL")
    assert [c.label for c in ws.snapshot().connections] == ["Seven NL"]
    fleet = ws.snapshot()
    store.record_checks(other.db, other.vault, [
        (first, Verdict(Outcome.INVALID_TOKEN, "refused"), None, other.clock(), False)])
    assert ws.snapshot() is not fleet and ws.snapshot().summary.need_a_person == 1
    fleet = ws.snapshot()
    other.db.execute("UPDATE connections SET client = 'Bloom' WHERE id = ?", [first])  # any writer
    assert ws.snapshot().connections[0].client == "Bloom"
    app = other.save_application(label="Agency app", client_key="ck-123456", client_secret="cs-1234567890abcdef")
    fleet = ws.snapshot()
    other.save_application(application_id=app.id, label="Renamed app", client_key="ck-123456",
                           client_secret="", redirect_uri=app.redirect_uri)
    assert ws.snapshot() is not fleet
    ws.close(), other.close()
    if engine != "sqlite":
        return

    # another database at the same path, with as many changes, is not mistaken for this one
    path = Path(env["COPERNICA_DB"])
    shutil.rmtree(path.parent)
    fresh = make_workspace(env)
    seed_connection(fresh, "8", "Eight")
    assert [c.label for c in fresh.snapshot().connections] == ["Eight"]
    fresh.close()


def test_uptime_is_time_in_each_state_not_a_share_of_checks(ws):
    """A check's verdict holds until the next: a day valid, an hour broken, then five quick
    re-checks during the incident weigh as the hour they cover, not as five of seven checks."""
    from datetime import timedelta

    from copernica_core.report import uptime_text

    now = ws.clock()
    connection_id = seed_connection(ws, "8", "Eight")
    ws.db.execute("DELETE FROM checks WHERE connection_id = ?", [connection_id])
    broken_at = now - timedelta(hours=1)
    checks = [(connection_id, Verdict(Outcome.VALID, "ok"), None, now - timedelta(hours=25), False)]
    checks += [(connection_id, Verdict(Outcome.INVALID_TOKEN, "no"), None, broken_at + timedelta(minutes=m), False)
               for m in range(0, 50, 10)]
    store.record_checks(ws.db, ws.vault, checks)
    uptime = ws.uptime(connection_id, days=30)
    assert abs(uptime.observed_seconds - 25 * 3600) < 5 and abs(uptime.valid_seconds - 24 * 3600) < 5
    assert uptime_text(uptime) == "96.0%"  # 24 of 25 hours; by count it would be 1 of 6 checks
    fresh = seed_connection(ws, "9", "Nine")
    assert uptime_text(ws.uptime(fresh, days=30)) == "not enough history yet"  # minutes after connecting
