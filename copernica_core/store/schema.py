"""The schema, as versioned migrations (append only; the version is SQLite's `PRAGMA
user_version`, PostgreSQL's table `schema_version`): each one moves the database one version
forward in its own transaction (`engine.migrate`). The statements are SQLite's; postgres.py
reads their DDL for PostgreSQL. Where a step has no such reading (triggers, a random name) it
asks `is_postgres`. A PostgreSQL database is new from version 13 on (it was added then): the
data repairs of the migrations before have nothing to repair there, and are skipped."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (engine.py imports this module)
    from .engine import Database


def is_postgres(db) -> bool:
    return getattr(db, "engine", "sqlite") == "postgresql"


def _v1_tables(db: Database) -> None:
    db.execute(
        """CREATE TABLE applications (
            id INTEGER PRIMARY KEY,
            label TEXT NOT NULL,
            client_key TEXT NOT NULL UNIQUE,
            client_secret_enc TEXT NOT NULL,
            redirect_uri TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE connections (
            id INTEGER PRIMARY KEY,
            application_id INTEGER REFERENCES applications(id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            account_id TEXT NOT NULL,
            account_name TEXT NOT NULL DEFAULT '',
            account_description TEXT NOT NULL DEFAULT '',
            account_company TEXT NOT NULL DEFAULT '',
            account_extra TEXT,
            token_enc TEXT NOT NULL,
            token_fingerprint TEXT NOT NULL,
            jwt_enc TEXT,
            jwt_expires_at TEXT,
            status TEXT NOT NULL DEFAULT 'unchecked',
            status_message TEXT NOT NULL DEFAULT '',
            last_checked_at TEXT,
            last_ok_at TEXT,
            last_http_status INTEGER,
            last_latency_ms REAL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    # One connection per (application, Copernica account); pasted tokens have no application.
    db.execute(
        "CREATE UNIQUE INDEX connections_app_account "
        "ON connections(ifnull(application_id, 0), account_id)"
    )
    db.execute("CREATE INDEX connections_account ON connections(account_id)")
    db.execute(
        """CREATE TABLE pending_authorizations (
            state_hash TEXT PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            redirect_uri TEXT NOT NULL,
            connection_id INTEGER,
            expected_account_id TEXT,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            result TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
            checked_at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            latency_ms REAL,
            account_seen TEXT,
            detail TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute("CREATE INDEX checks_connection_time ON checks(connection_id, checked_at)")
    db.execute(
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            application_id INTEGER,
            connection_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute("CREATE INDEX events_at ON events(at)")


def _v2_daily_totals(db: Database) -> None:
    """Pruned checks live on as counts per connection, day and outcome, so uptime still works."""
    db.execute(
        """CREATE TABLE check_days (
            connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            outcome TEXT NOT NULL,
            checks INTEGER NOT NULL,
            PRIMARY KEY (connection_id, day, outcome)
        ) WITHOUT ROWID"""
    )


def _v3_meta(db: Database) -> None:
    """Facts about the database itself, such as which key its secrets are encrypted with."""
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")


def _v4_watching(db: Database) -> None:
    """The watcher's lease and runs, what has been said about each connection, notification
    targets (their URLs hold webhook secrets: encrypted), the outbox, and calls per day."""
    db.execute(
        """CREATE TABLE watcher (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            holder TEXT,
            expires_at TEXT,
            heartbeat_at TEXT,
            every_seconds REAL,
            last_run_started_at TEXT,
            last_run_finished_at TEXT,
            last_run_summary TEXT NOT NULL DEFAULT '',
            outage_since TEXT,
            outage_notified_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE alert_states (
            connection_id INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
            broken_since TEXT,
            alerted_status TEXT,
            notified_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE notify_targets (
            id INTEGER PRIMARY KEY,
            label TEXT NOT NULL,
            url_enc TEXT NOT NULL,
            redacted TEXT NOT NULL,
            fingerprint TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE deliveries (
            notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
            target TEXT NOT NULL,
            redacted TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (notification_id, target)
        )"""
    )
    db.execute("CREATE INDEX deliveries_status ON deliveries(status)")
    db.execute("CREATE TABLE usage_days (day TEXT PRIMARY KEY, calls INTEGER NOT NULL) WITHOUT ROWID")


def _v5_started_by(db: Database) -> None:
    """Who started an authorization: its callback completes for that person only."""
    db.execute("ALTER TABLE pending_authorizations ADD COLUMN started_by TEXT")
    db.execute("CREATE INDEX events_actor ON events(actor, at)")


def _v6_clients(db: Database) -> None:
    """A connection serves a client (an agency's customer); an authorization can name it."""
    db.execute("ALTER TABLE connections ADD COLUMN client TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE pending_authorizations ADD COLUMN client TEXT")


def _v7_change_counter(db: Database) -> None:
    """A counter that every change to a connection or an application moves, kept by triggers
    (so no writer can forget it): the key of the cached fleet (docs/architecture.md)."""
    db.execute("CREATE TABLE fleet_changes (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL, "
               "database TEXT NOT NULL)")  # a random name: another file at the same path differs
    if is_postgres(db):
        db.execute("INSERT INTO fleet_changes (id, n, database) "
                   "VALUES (1, 0, md5(random()::text || clock_timestamp()))")
        db.execute("CREATE FUNCTION fleet_changed() RETURNS trigger LANGUAGE plpgsql AS "
                   "'BEGIN UPDATE fleet_changes SET n = n + 1 WHERE id = 1; RETURN NULL; END'")
        for table in ("connections", "applications"):  # once per statement: a batch of checks moves it once
            db.execute(f"CREATE TRIGGER {table}_counted AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION fleet_changed()")
        return
    db.execute("INSERT INTO fleet_changes (id, n, database) VALUES (1, 0, lower(hex(randomblob(16))))")
    for table in ("connections", "applications"):
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(f"CREATE TRIGGER {table}_{event.lower()}_counted AFTER {event} ON {table} "
                       "BEGIN UPDATE fleet_changes SET n = n + 1 WHERE id = 1; END")


def _v8_forget_leaky_redactions(db: Database) -> None:
    """The first redactor showed the host of a notification URL, which for some services is
    their key (prowl://KEY): keep only the kind of each target in what was stored with it. The
    targets' own redactions are worked out again from their decrypted URLs when read."""
    if is_postgres(db):
        return
    kind = "substr({0}, 1, instr({0}, '://') + 2) || '…'"
    db.execute(f"UPDATE notify_targets SET label = {kind.format('redacted')} WHERE label = redacted")
    for table in ("notify_targets", "deliveries"):
        db.execute(f"UPDATE {table} SET redacted = {kind.format('redacted')} WHERE instr(redacted, '://') > 0")
    db.execute(f"UPDATE events SET detail = {kind.format('detail')} "
               "WHERE action = 'notification target added' AND instr(detail, '://') > 0")


def _v9_delivery_claims(db: Database) -> None:
    """Who is sending a delivery right now: a sender claims it first, so a paused watcher and
    the one that took over never both send it; and each message's Apprise notify type."""
    db.execute("ALTER TABLE deliveries ADD COLUMN claimed_by TEXT")
    db.execute("ALTER TABLE notifications ADD COLUMN notify_type TEXT NOT NULL DEFAULT 'info'")


def _v10_message_fields(db: Database) -> None:
    """What a message is about, as data (JSON) for receivers that route on fields; the last
    run whose stop has been told (one "scheduled checks stopped" message per stop); and since
    when Copernica has not answered a connection's checks (the outage banner)."""
    db.execute("ALTER TABLE notifications ADD COLUMN fields TEXT")
    db.execute("ALTER TABLE watcher ADD COLUMN stop_told_for TEXT")
    db.execute("ALTER TABLE connections ADD COLUMN unanswered_since TEXT")


def _v11_invitations(db: Database) -> None:
    """Connect links: a client connects (or reconnects) its own account from a link; only the
    hash of the link's secret is stored (docs/architecture.md, "Connect links")."""
    db.execute(
        """CREATE TABLE invitations (
            id INTEGER PRIMARY KEY,
            secret_hash TEXT NOT NULL UNIQUE,
            application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
            client TEXT NOT NULL DEFAULT '',
            connection_id INTEGER REFERENCES connections(id) ON DELETE CASCADE,
            allow_replace INTEGER NOT NULL DEFAULT 0,
            made_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            used_connection_id INTEGER,
            revoked_at TEXT
        )"""
    )
    db.execute("ALTER TABLE pending_authorizations ADD COLUMN invitation_id INTEGER")


def _v12_client_contacts(db: Database) -> None:
    """A client's contact (an e-mail address or an Apprise URL, encrypted), and whether it
    opted in to reconnect links; the contact a link was sent to; and a connect link a message
    carries, encrypted until the message is delivered (docs/architecture.md, "Connect links")."""
    db.execute(
        """CREATE TABLE client_contacts (
            id INTEGER PRIMARY KEY,
            client TEXT NOT NULL UNIQUE,
            contact_enc BLOB NOT NULL,
            shown TEXT NOT NULL,
            reconnect_links INTEGER NOT NULL DEFAULT 0,
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("ALTER TABLE invitations ADD COLUMN sent_to TEXT")
    db.execute("ALTER TABLE notifications ADD COLUMN link_enc BLOB")


def _v13_keyed_links(db: Database) -> None:
    """Connect links found by a keyed hash (the key in `hash_keys`, encrypted), their secret
    kept encrypted (a connection's one open link can be shown and sent again), why one was
    withdrawn and when a refused view was last recorded; and the browser an authorization
    through a link was started in (docs/architecture.md, "Connect links"). Links made before
    have a plain hash, which anyone able to write a row could make: they are withdrawn."""
    db.execute("CREATE TABLE hash_keys (id INTEGER PRIMARY KEY, purpose TEXT NOT NULL UNIQUE, key_enc TEXT NOT NULL)")
    for column in ("secret_enc", "withdrawn_why", "refusal_told_at"):
        db.execute(f"ALTER TABLE invitations ADD COLUMN {column} TEXT")
    db.execute("ALTER TABLE pending_authorizations ADD COLUMN browser_hash TEXT")
    if is_postgres(db):
        return
    now = "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')"  # the format of `iso`
    db.execute(f"UPDATE invitations SET revoked_at = {now}, withdrawn_why = 'made before links were keyed: make a "
               f"new one' WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > {now}")
    # An ntfy topic is that target's only secret, and was shown in clear: keep only its kind.
    ntfy = re.compile(r"(ntfys?://)[^\s,;)]+")
    for table, key, column in (("client_contacts", "id", "shown"), ("invitations", "id", "sent_to"),
                               ("deliveries", "rowid", "redacted"), ("notify_targets", "id", "redacted"),
                               ("notify_targets", "id", "label"), ("events", "id", "detail")):
        for row_id, text in db.execute(f"SELECT {key}, {column} FROM {table} WHERE {column} LIKE '%ntfy%://%'"
                                       ).fetchall():
            db.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", [ntfy.sub(r"\1…", text), row_id])


def _v14_client_languages(db: Database) -> None:
    """The language a client reads (its link's page, its messages): Dutch or English, set by the
    agency; a client without one reads its browser's language (docs/architecture.md, "The
    client's language")."""
    db.execute("CREATE TABLE client_languages (client TEXT PRIMARY KEY, language TEXT NOT NULL, "
               "updated_by TEXT NOT NULL, updated_at TEXT NOT NULL)")


# Append only: each entry moves the schema one version forward. Never edit a shipped one.
MIGRATIONS: list[Callable[[Database], None]] = [
    _v1_tables, _v2_daily_totals, _v3_meta, _v4_watching, _v5_started_by, _v6_clients, _v7_change_counter,
    _v8_forget_leaky_redactions, _v9_delivery_claims, _v10_message_fields, _v11_invitations,
    _v12_client_contacts, _v13_keyed_links, _v14_client_languages]
