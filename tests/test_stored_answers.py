"""One stored answer must not break later runs or pages: what is stored is bounded, and
readers survive rows an older version wrote without those bounds."""

from __future__ import annotations

import json

from copernica_core.models import Outcome

from .factories import seed_development as seed_connection
from .helpers import app, texts


def test_a_jwt_with_an_absurd_expiry_is_cached_within_bounds_and_later_runs_work(sws, control):
    control.post("settings", jwt_exp=-40000000000)
    [token] = control.tokens("101")
    added = sws.add_token(token)
    assert added.connection is not None
    stored = sws.db.execute("SELECT jwt_expires_at FROM connections").fetchone()[0]
    assert stored is None or stored[:4] >= "2026"
    control.post("settings", jwt_exp=None)
    assert [r.result.outcome for r in sws.check()] == [Outcome.VALID]
    assert [r.result.outcome for r in sws.check()] == [Outcome.VALID]


def test_rows_written_without_bounds_do_not_break_runs(sws, control):
    [token] = control.tokens("101")
    sws.add_token(token)
    deep = "1"
    for _ in range(980):
        deep = '{"parent": ' + deep + "}"
    sws.db.execute("UPDATE connections SET jwt_expires_at = '702-01-01T00:00:00.000000Z', "
                   "account_extra = ?, last_ok_at = 'garbage'", ['{"customer": ' + deep + "}"])
    [connection] = sws.connections()
    assert connection.stale
    assert len(json.dumps(connection.account.extra)) < 8192
    assert [r.result.outcome for r in sws.check()] == [Outcome.VALID]


def test_identity_nested_deep_is_stored_bounded(sws, control):
    control.post("settings", customer_depth=200)
    [token] = control.tokens("101")
    added = sws.add_token(token)
    assert added.connection is not None
    raw = sws.db.execute("SELECT account_extra FROM connections").fetchone()[0]
    assert len(raw) < 8192 and raw.count("{") < 10


def test_identity_nested_too_deep_to_read_is_an_unexpected_answer(sws, control):
    control.post("settings", customer_depth=5000)
    [token] = control.tokens("101")
    added = sws.add_token(token)
    assert added.connection is None and added.result.outcome is Outcome.UNEXPECTED
    assert sws.connections() == []


def test_account_names_become_labels_by_the_label_rules(sws, control):
    from copernica_core.sandbox import DemoAccount

    control.server.state.accounts["1000"] = DemoAccount("1000", "\u202eevil\x1b[2K" + "x" * 300, "", "")
    [token] = control.tokens("1000")
    added = sws.add_token(token)
    label = added.connection.label
    assert "\u202e" not in label and "\x1b" not in label and len(label) <= 100


def test_pages_survive_rows_written_without_bounds(page_env):
    from .conftest import make_workspace

    cid = seed_connection(page_env, label="Deep")
    deep = "1"
    for _ in range(980):
        deep = '{"parent": ' + deep + "}"
    ws = make_workspace(page_env)
    ws.db.execute("UPDATE connections SET account_extra = ?, jwt_expires_at = '702-01-01T00:00:00.000000Z'",
                  ['{"customer": ' + deep + "}"])
    ws.close()
    for page in (None, "inspect"):
        at = app(page)
        at.query_params["connection"] = str(cid)
        at.run()
        assert not at.exception
        assert "Something went wrong" not in "\n".join(e.value for e in at.error)
        shown = texts(at) + "".join(str(s.value) for s in at.subheader) + "".join(
            t.value.to_csv() for t in at.dataframe)
        assert "Deep" in shown  # the connection is on the page, not only no error
