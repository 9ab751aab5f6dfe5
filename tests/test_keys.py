"""Keys: damaged ciphertext, rotation (atomic, crash-safe), and the environment-key case."""

import pytest

from copernica_core.config import ConfigError
from copernica_core.crypto import Vault, new_key, pending_key_file
from copernica_core.models import Outcome
from copernica_core.secret import Secret

from .conftest import make_workspace


def key_file(env):
    from pathlib import Path

    return Path(env["COPERNICA_DB"]).parent / "secret.key"


@pytest.fixture
def two(sws, control):
    for account in ("101", "102"):
        [token] = control.tokens(account)
        sws.add_token(token, label=f"client {account}")
    return sws


def test_damaged_token_ciphertext_is_reported_and_left_untouched(two):
    first, second = two.connections()
    two.db.execute("UPDATE connections SET token_enc = 'gAAAAAdamaged' WHERE id = ?", [first.id])
    results = {r.connection_id: r.result for r in two.check()}
    assert results[first.id].outcome is Outcome.UNEXPECTED
    assert "cannot be decrypted" in results[first.id].message
    assert results[second.id].outcome is Outcome.VALID
    stored = two.db.execute("SELECT token_enc FROM connections WHERE id = ?", [first.id]).fetchone()[0]
    assert stored == "gAAAAAdamaged"


def test_rotate_key_re_encrypts_everything_and_replaces_the_key_file(two, sandbox_env):
    old = key_file(sandbox_env).read_text().strip()
    tokens_before = {c.id: two.reveal_token(c.id).reveal() for c in two.connections()}
    count = two.rotate_key()
    assert count == 1 + 2 + 2  # client secret, two tokens, two cached JWTs
    new = key_file(sandbox_env).read_text().strip()
    assert new != old and not pending_key_file(key_file(sandbox_env)).exists()
    two.close()
    again = make_workspace(sandbox_env)
    assert {c.id: again.reveal_token(c.id).reveal() for c in again.connections()} == tokens_before
    assert all(r.result.outcome is Outcome.VALID for r in again.check())
    ciphertext = again.db.execute("SELECT token_enc FROM connections LIMIT 1").fetchone()[0]
    assert not Vault(Secret(old)).can_decrypt(ciphertext)


def test_rotation_stops_at_a_damaged_row_and_changes_nothing(two, sandbox_env):
    first = two.connections()[0]
    two.db.execute("UPDATE connections SET token_enc = 'gAAAAAdamaged' WHERE id = ?", [first.id])
    before = list(two.db.query("SELECT * FROM connections ORDER BY id"))
    old = key_file(sandbox_env).read_text()
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        two.rotate_key()
    assert list(two.db.query("SELECT * FROM connections ORDER BY id")) == before
    assert key_file(sandbox_env).read_text() == old
    assert not pending_key_file(key_file(sandbox_env)).exists()


def test_crash_after_commit_is_finished_at_the_next_open(two, sandbox_env):
    """Simulate a rotation that committed but died before moving the new key file in."""
    path = key_file(sandbox_env)
    new = new_key()
    old_vault, new_vault = two.vault.vault, Vault(new)
    for row_id, ciphertext in two.db.execute("SELECT id, token_enc FROM connections").fetchall():
        two.db.execute("UPDATE connections SET token_enc = ?, jwt_enc = NULL WHERE id = ?",
                       [new_vault.encrypt(old_vault.decrypt(ciphertext)), row_id])
    [[app_id, secret]] = two.db.execute("SELECT id, client_secret_enc FROM applications").fetchall()
    two.db.execute("UPDATE applications SET client_secret_enc = ? WHERE id = ?",
                   [new_vault.encrypt(old_vault.decrypt(secret)), app_id])
    two.db.execute("UPDATE meta SET value = ? WHERE name = 'key_id'", [new_vault.id])
    pending_key_file(path).write_text(new.reveal() + "\n")
    two.close()
    again = make_workspace(sandbox_env)
    assert path.read_text().strip() == new.reveal() and not pending_key_file(path).exists()
    assert all(r.result.outcome is Outcome.VALID for r in again.check())


def test_crash_before_commit_keeps_the_old_key_and_leaves_the_pending_file(two, sandbox_env):
    path = key_file(sandbox_env)
    old = path.read_text()
    pending = new_key().reveal() + "\n"
    pending_key_file(path).write_text(pending)
    two.close()
    again = make_workspace(sandbox_env)
    assert path.read_text() == old and pending_key_file(path).read_text() == pending
    assert all(r.result.outcome is Outcome.VALID for r in again.check())


def test_rotation_with_an_environment_key_needs_the_new_key(env):
    ws = make_workspace({**env, "COPERNICA_SECRET_KEY": new_key().reveal()})
    with pytest.raises(ConfigError, match="COPERNICA_NEW_SECRET_KEY"):
        ws.rotate_key()
    fresh = new_key()
    ws.save_application(label="A", client_key="ck-1", client_secret="cs-secret-1")
    assert ws.rotate_key(fresh) == 1
    ws.close()
    again = make_workspace({**env, "COPERNICA_SECRET_KEY": fresh.reveal()})
    assert again.applications()[0].client_key == "ck-1"


def test_one_damaged_row_does_not_look_like_a_wrong_key(two, sandbox_env):
    first = two.connections()[0]
    two.db.execute("UPDATE connections SET token_enc = 'gAAAAAdamaged' WHERE id = ?", [first.id])
    two.db.execute("UPDATE applications SET client_secret_enc = 'gAAAAAdamaged'")
    two.close()
    again = make_workspace(sandbox_env)  # opens: the second token still decrypts
    assert len(again.connections()) == 2


def test_processes_starting_together_on_a_new_database_share_one_key(tmp_path):
    """Eight openers racing on a new file, twenty times over: the switch to WAL and the key
    creation both lose races that SQLite answers with "database is locked" at once."""
    import threading

    for attempt in range(20):
        env = {"COPERNICA_DB": str(tmp_path / str(attempt) / "copernica.db")}
        keys, errors = [], []

        def start(env=env, keys=keys, errors=errors):
            try:
                ws = make_workspace(env)
                keys.append(ws.vault.key)
                ws.close()
            except Exception as error:  # collected and asserted below
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(set(keys)) == 1
        assert key_file(env).read_text().strip() == keys[0].reveal()
