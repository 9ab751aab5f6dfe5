"""Notification targets as other people's services see them: what is shown of a target
(Apprise's own privacy rendering), what an e-mail carries, and what the DEBUG log keeps."""

from __future__ import annotations

import email
import logging
import sqlite3

import pytest
import sqlite_utils

from copernica_core import notify
from copernica_core.store import MIGRATIONS, open_database

from .conftest import make_workspace

KEY = "k3yabcdefghijklmnopqrstuvwxyz0123456789a"  # shaped like the services' keys
# Services whose host part is the key, or whose key stands where a hand-written redactor showed it.
KEYED = {
    "prowl": f"prowl://{KEY}",
    "opsgenie": f"opsgenie://{KEY}",
    "pagerduty": f"pagerduty://integ{KEY[:20]}@{KEY}",
    "join": f"join://{KEY[:32]}",
    "pover": f"pover://u{KEY[:29]}@{KEY[:30]}",
    "pbul": f"pbul://{KEY}",
    "slack": f"slack://T1JJ3T3L2/A1BRTD4JD/{KEY[:24]}",
}


@pytest.mark.parametrize("service", list(KEYED))
def test_a_targets_key_is_never_shown_where_it_is_named(env, service):
    """Its default label, the "target added" event, the outbox row and the Alerts page's list
    (which viewers read) show the service, never its key."""
    url = KEYED[service]
    ws = make_workspace(env)
    target = ws.add_notify_target(url).target
    notify.enqueue(ws.db, [target], kind="test", title="t", body="b", now=ws.clock())
    [event] = [e for e in ws.events() if e.action == "notification target added"]
    [delivery] = ws.recent_deliveries()
    [listed] = ws.notify_targets()
    shown = [target.label, target.redacted, event.detail, delivery.redacted, listed.label, listed.redacted]
    assert all(s.startswith(f"{service}://") for s in shown), shown
    secret_parts = [p for p in url.split("://", 1)[1].replace("@", "/").split("/") if len(p) > 8]
    assert secret_parts and not [p for p in secret_parts for s in shown if p in s or p[2:-2] in s]


def test_a_port_is_shown_once():
    assert notify.redact("mailtos://ann:pa55word@mail.example.com:465?to=ops@example.com") == \
        "mailtos://ann:****@mail.example.com:465/ops%40example.com"


def test_a_generic_webhooks_path_is_hidden_and_its_host_shown():
    assert notify.redact("json://hooks.example.com:8080/hooks/s3cr3t-path-0123") == "json://hooks.example.com:8080/…"


def test_stored_redactions_from_the_first_redactor_keep_only_the_kind_of_target(tmp_path):
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "old.db", isolation_level=None))
    for migration in MIGRATIONS[:7]:
        migration(db)
    leaky = f"prowl://{KEY}"
    db.execute("INSERT INTO notify_targets (label, url_enc, redacted, fingerprint, created_at) "
               "VALUES (?, 'x', ?, 'f', '2026-01-01')", [leaky, leaky])
    db.execute("INSERT INTO notifications (id, created_at, kind, title, body) "
               "VALUES (1, '2026-01-01', 'test', 't', 'b')")
    db.execute("INSERT INTO deliveries (notification_id, target, redacted, status, updated_at) "
               "VALUES (1, 'db:f', ?, 'sent', '2026-01-01')", [leaky])
    db.execute("INSERT INTO events (at, actor, action, detail) VALUES ('2026-01-01', 'ann', "
               "'notification target added', ?)", [leaky])
    db.execute("PRAGMA user_version = 7")
    db.close()
    db = open_database(tmp_path / "old.db")
    rows = [*db.execute("SELECT label, redacted FROM notify_targets").fetchone(),
            *db.execute("SELECT redacted FROM deliveries").fetchone(),
            *db.execute("SELECT detail FROM events").fetchone()]
    assert rows == ["prowl://…"] * 4


def test_an_alert_e_mail_is_plain_text_with_its_lines_and_no_live_html(mailbox):
    """An account name or label with HTML in it must not become a link or a tracking pixel."""
    hostile = '<a href="https://evil.example/login">Re-authorize here</a><img src="https://evil.example/p.gif">'
    target = notify.env_targets(mailbox.url())[0]
    body = f"Shop {hostile}: token revoked\nWhat to do: re-authorize it\n<!channel> @here"
    assert notify.send(target, title="1 needs attention", body=body) == ""
    [raw] = mailbox.mails
    message = email.message_from_string(raw)
    parts = [p.get_content_type() for p in message.walk() if not p.is_multipart()]
    assert parts == ["text/plain"]  # no HTML part at all: nothing in it can be live
    text = message.get_payload(decode=True).decode()
    assert hostile in text  # shown as the text it is
    assert text.splitlines()[:3] == [f"Shop {hostile}: token revoked", "What to do: re-authorize it",
                                     "<!channel> @here"]


def test_a_webhooks_secret_path_stays_out_of_the_debug_log(webhook, caplog):
    """Apprise and urllib3 log a webhook's address at DEBUG level without the rest of the URL."""
    secret = "hook-path-secret-5f2a9c"
    target = notify.env_targets(webhook.url(secret))[0]
    with caplog.at_level(logging.DEBUG):
        assert notify.send(target, title="t", body="b") == ""
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST" in logged and str(webhook.server.server_address[1]) in logged  # the request was logged
    assert secret not in logged
    assert webhook.messages  # and delivered


@pytest.fixture
def dripping():
    from .receivers import DrippingWebhook

    hook = DrippingWebhook(every=0.5)
    yield hook
    hook.stop()


def test_a_dripping_target_ends_at_the_limit_and_says_so(dripping):
    import time

    target = notify.env_targets(dripping.url())[0]
    started = time.monotonic()
    said = notify.send(target, title="t", body="b", limit=1.5)
    assert time.monotonic() - started < 8  # its reads each arrived in time; the attempt did not
    assert said.startswith("the target did not finish within 1.5 s")


def test_why_a_target_failed_is_said_plainly(webhook):
    from .conftest import free_port

    closed = notify.env_targets(f"json://127.0.0.1:{free_port()}/hook-path-0123456789")[0]
    assert notify.send(closed, title="t", body="b").startswith("the target could not be reached: ")
    webhook.status = 500
    refusing = notify.env_targets(webhook.url())[0]
    said = notify.send(refusing, title="t", body="b")
    assert said.startswith("the target answered with an error: ") and "500" in said
    assert "hook-secret-0123456789" not in said


def test_a_slow_target_holds_up_neither_the_others_nor_the_run(env, dripping, webhook, monkeypatch, caplog):
    """Each target is sent to on its own, within the limit; the failure names the target by its label."""
    import time

    monkeypatch.setattr(notify, "SEND_LIMIT", 1.5)
    ws = make_workspace(env)
    slow = ws.add_notify_target(dripping.url(), label="Slow webhook").target
    fast = ws.add_notify_target(webhook.url(), label="Ops webhook").target
    notify.enqueue(ws.db, [slow, fast], kind="alert", title="t", body="b", now=ws.clock())
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="copernica_core"):
        deliveries = notify.deliver_pending(ws.db, ws.notify_targets(), now=ws.clock)
    assert time.monotonic() - started < 8  # the limit (1.5 s), not the minute the target would drip
    assert webhook.messages and {d.redacted: d.status for d in deliveries} == {
        slow.redacted: "failed", fast.redacted: "sent"}
    assert "to Slow webhook: the target did not finish" in caplog.text


def test_a_new_target_hears_at_once_what_is_already_broken(env, webhook):
    """It would otherwise wait for the next daily reminder to learn of a revoked token."""
    from copernica_core.models import Outcome

    from .factories import seed_connection

    ws = make_workspace(env)
    seed_connection(ws, "7", "Seven", label="Tandarts Wit", status=Outcome.INVALID_TOKEN)
    seed_connection(ws, "8", "Eight", label="Camping Het Bos")
    added = ws.add_notify_target(webhook.url(), label="Ops webhook")
    assert (added.briefed, added.error) == (1, "")
    [message] = webhook.messages
    assert message["title"] == "Already broken when this target was added: Tandarts Wit: token revoked or invalid"
    assert message["type"] == "failure" and "Camping Het Bos" not in message["message"]
    assert [d.status for d in ws.recent_deliveries()] == ["sent"]
    quiet = make_workspace(env)
    ws.disconnect(1)
    other = quiet.add_notify_target(webhook.url("another-hook-0123456789"), label="Second")
    assert other.briefed == 0 and len(webhook.messages) == 1  # nothing broken: nothing said


def test_every_kind_of_url_the_docs_and_pages_name_exists_in_apprise():
    """The README, the Alerts page's help and the refusal name only URL kinds the pinned Apprise
    has (it has no msteams://: Microsoft Teams is workflows://)."""
    import re
    from pathlib import Path

    import apprise

    root = Path(__file__).resolve().parent.parent
    named = set()
    for path in (root / "README.md", root / "pages" / "alerts.py", root / "copernica_core" / "notify.py"):
        named |= set(re.findall(r"`?\b([a-z]{3,12})://", path.read_text()))
    named -= {"http", "https", "postgresql", "postgres", "file"}
    known = {schema for plugin in apprise.Apprise().details()["schemas"] for schema in
             [*(plugin.get("protocols") or ()), *(plugin.get("secure_protocols") or ())]}
    assert named and named <= known, sorted(named - known)
