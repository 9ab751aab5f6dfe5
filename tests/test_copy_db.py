"""`copy-db --to`: the configured database into an empty one of the other engine (SQLite into
PostgreSQL, and back), every row and secret kept, the target opened with the same key; a
target that holds data, or a secret the key cannot open, changes nothing."""

from __future__ import annotations

import pytest

from copernica_core import store
from copernica_core.config import load_settings
from copernica_core.models import Outcome, Verdict
from copernica_core.secret import Secret

from .conftest import make_workspace
from .factories import seed_connection
from .helpers import run, stored_bytes


def _the_other(engine, tmp_path, pg_cluster) -> tuple[dict, str]:
    """An empty database of the other engine: (its settings, what `--to` is given)."""
    if engine == "sqlite":
        url = pg_cluster.create(f"copy_{tmp_path.name[-20:].lower().replace('-', '_')}")
        return {"COPERNICA_DATABASE_URL": url}, url
    path = str(tmp_path / "moved" / "copernica.db")
    return {"COPERNICA_DB": path}, path


@pytest.fixture
def fleet(agency):
    """A database with every kind of row: an application, connections with history, a client's
    contact, a connect link, a notification target and events."""
    env, ws = agency
    app = ws.applications()[0]
    first = seed_connection(ws, "101", "Bloom NL", application_id=app.id, token="token-of-bloom-0123456789")
    second = seed_connection(ws, "102", "Tandarts", status=Outcome.INVALID_TOKEN, token="token-of-tandarts-0123456")
    store.record_checks(ws.db, ws.vault, [(first, Verdict(Outcome.VALID, "again"), None, ws.clock(), False)])
    ws.set_client([first, second], "Bloom")
    ws.set_client_contact("Bloom", "json://127.0.0.1:9/client-hook-secret-4242", reconnect_links=True)
    url, _ = ws.invite(client="Bloom")
    ws.add_notify_target("json://127.0.0.1:9/ops-hook-secret-777", label="Ops")
    return env, ws, url


def test_a_database_moves_to_the_other_engine_with_every_row_and_secret(fleet, engine, tmp_path, pg_cluster,
                                                                         capsys, monkeypatch):
    env, ws, link_url = fleet
    before = {c.label: (c.status, c.client, c.account.id) for c in ws.connections()}
    held = store.transfer.rows_held(ws.db)
    target_env, to = _the_other(engine, tmp_path, pg_cluster)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code, out, err = run(capsys, "copy-db", "--to", to)

    assert code == 0, err
    assert "secrets open with the key at hand" in out and "3 checks" in out
    moved_env = {**{k: v for k, v in env.items() if k not in ("COPERNICA_DATABASE_URL", "COPERNICA_DB")},
                 **target_env, "COPERNICA_SECRET_KEY": ws.vault.key.reveal()}
    moved = make_workspace(moved_env)
    try:
        assert {c.label: (c.status, c.client, c.account.id) for c in moved.connections()} == before
        assert {t: n for t, n in store.transfer.rows_held(moved.db).items() if t != "events"} == \
            {t: n for t, n in held.items() if t != "events"}
        first = next(c for c in moved.connections() if c.label == "Bloom NL")
        assert moved.reveal_token(first.id) == Secret("token-of-bloom-0123456789")
        assert "Ops" in [t.label for t in moved.notify_targets()]
        assert moved.history_count(first.id) == 2
        # the link made before the move opens on the moved database
        from copernica_core.doorstep import Doorstep

        secret = link_url.split("invite=")[1]
        with Doorstep(load_settings(moved_env, secrets_files=[])) as door:
            assert not isinstance(door.link(secret), str)
        # new rows get new ids after the copied ones
        third = seed_connection(moved, "103", "Third")
        assert third > max(c.id for c in ws.connections())
        raw = stored_bytes(moved.settings)
        for secret_text in ("token-of-bloom", "client-hook-secret-4242", "ops-hook-secret-777", secret):
            assert secret_text.encode() not in raw
    finally:
        moved.close()


def test_a_target_that_holds_data_is_refused_and_left_unchanged(fleet, engine, tmp_path, pg_cluster, capsys,
                                                                monkeypatch):
    env, ws, _ = fleet
    target_env, to = _the_other(engine, tmp_path, pg_cluster)
    other = make_workspace({**target_env, "COPERNICA_SECRET_KEY": ws.vault.key.reveal()})
    seed_connection(other, "900", "Already here")
    other.close()
    before = stored_bytes({**target_env})
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code, _, err = run(capsys, "copy-db", "--to", to)

    assert code == 2
    assert "already holds data" in err and "Nothing was changed" in err
    assert stored_bytes({**target_env}) == before


def test_a_secret_the_key_cannot_open_stops_the_copy_before_anything_is_written(fleet, engine, tmp_path, pg_cluster,
                                                                                capsys, monkeypatch):
    env, ws, _ = fleet
    ws.db.execute("UPDATE connections SET token_enc = 'gAAAAAdamaged' WHERE label = 'Tandarts'")
    target_env, to = _the_other(engine, tmp_path, pg_cluster)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code, _, err = run(capsys, "copy-db", "--to", to)

    assert code == 2
    assert "connections.token_enc" in err and "Nothing was copied" in err
    empty = make_workspace({**target_env, "COPERNICA_SECRET_KEY": ws.vault.key.reveal()})
    try:
        assert empty.connections() == []
    finally:
        empty.close()
