"""The fleet's tables: applications, connections, their checks and daily totals, events, what
the alert rules said, and the calls billed per day. Decisions live in the callers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..clock import iso, parse_iso_or_none
from ..errors import DamagedSecret
from ..models import (
    Account,
    AlertState,
    Application,
    CachedJwt,
    Check,
    Connection,
    Event,
    OutageState,
    Outcome,
    StatusChange,
    Uptime,
    Verdict,
)
from ..secret import Cipher, Secret
from ..validation import bounded_extra, clean_label
from .engine import Database, immediate

_CONNECTION_SELECT = """
SELECT c.id, c.application_id, c.label, c.client, c.account_id, c.account_name, c.account_description,
       c.account_company, c.account_extra, c.token_fingerprint, c.jwt_expires_at, c.status, c.status_message,
       c.last_checked_at, c.last_ok_at, c.last_http_status, c.last_latency_ms, c.created_at, c.updated_at,
       c.unanswered_since, a.label AS application_label,
       (SELECT {id_list} FROM connections d
         WHERE d.account_id = c.account_id AND d.id != c.id) AS duplicate_ids
FROM connections c LEFT JOIN applications a ON a.id = c.application_id
"""
# The few expressions each engine spells its own way.
_SPELLING = {
    "sqlite": {"id_list": "group_concat(d.id)", "seconds": "(julianday({0}) * 86400.0)"},
    "postgresql": {"id_list": "string_agg(d.id::text, ',')", "seconds": "extract(epoch from ({0})::timestamptz)"},
}


def _application(row: dict) -> Application:
    return Application(
        id=row["id"], label=row["label"], client_key=row["client_key"],
        redirect_uri=row["redirect_uri"], created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _stored_extra(text: str | None) -> dict:
    """A connection's stored account extras; {} for a row an older version stored unbounded."""
    if not text or text == "{}":  # most connections (v4 identity adds nothing): skip the parsing
        return {}
    try:
        return bounded_extra(json.loads(text or "{}"))
    except (ValueError, RecursionError):
        return {}


def _connection(row: dict, *, stale_before: str) -> Connection:
    last_ok = row["last_ok_at"]
    return Connection(
        id=row["id"], application_id=row["application_id"],
        application_label=row["application_label"], label=row["label"],
        account=Account(
            id=row["account_id"], name=row["account_name"], description=row["account_description"],
            company=row["account_company"], extra=_stored_extra(row["account_extra"]),
        ),
        token_fingerprint=row["token_fingerprint"], jwt_expires_at=row["jwt_expires_at"],
        status=Outcome.of(row["status"]), status_message=row["status_message"],
        last_checked_at=row["last_checked_at"], last_ok_at=last_ok,
        last_http_status=row["last_http_status"], last_latency_ms=row["last_latency_ms"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        # fixed-width UTC text: text order is time order (an unreadable old value counts as stale)
        stale=not last_ok or len(last_ok) != len(stale_before) or last_ok < stale_before,
        duplicate_of=tuple(int(i) for i in (row["duplicate_ids"] or "").split(",") if i),
        client=row["client"], unanswered_since=row["unanswered_since"],
    )


# -- applications ---------------------------------------------------------------------------

def list_applications(db: Database) -> list[Application]:
    return [_application(r) for r in db.query("SELECT * FROM applications ORDER BY label, id")]


def get_application(db: Database, application_id: int) -> Application | None:
    rows = list(db.query("SELECT * FROM applications WHERE id = ?", [application_id]))
    return _application(rows[0]) if rows else None


def find_application_by_key(db: Database, client_key: str) -> Application | None:
    rows = list(db.query("SELECT * FROM applications WHERE client_key = ?", [client_key]))
    return _application(rows[0]) if rows else None


def application_secret(db: Database, vault: Cipher, application_id: int) -> Secret:
    row = db.execute(
        "SELECT client_secret_enc FROM applications WHERE id = ?", [application_id]
    ).fetchone()
    return vault.decrypt(row[0])


def insert_application(
    db: Database, vault: Cipher, *, label: str, client_key: str,
    client_secret: Secret, redirect_uri: str, now: datetime,
) -> int:
    cursor = db.execute(
        "INSERT INTO applications (label, client_key, client_secret_enc, redirect_uri, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [label, client_key, vault.encrypt(client_secret), redirect_uri, iso(now), iso(now)],
    )
    return cursor.lastrowid


def update_application(
    db: Database, vault: Cipher, application_id: int, *, label: str,
    client_key: str, client_secret: Secret | None, redirect_uri: str, now: datetime,
) -> None:
    db.execute(
        "UPDATE applications SET label = ?, client_key = ?, redirect_uri = ?, updated_at = ? "
        "WHERE id = ?", [label, client_key, redirect_uri, iso(now), application_id],
    )
    if client_secret is not None:
        db.execute(
            "UPDATE applications SET client_secret_enc = ? WHERE id = ?",
            [vault.encrypt(client_secret), application_id],
        )


def delete_application(db: Database, application_id: int) -> None:
    db.execute("DELETE FROM applications WHERE id = ?", [application_id])


# -- connections ----------------------------------------------------------------------------

def list_connections(
    db: Database, *, stale_before: datetime, ids: Iterable[int] | None = None,
    application_id: int | None = None,
) -> list[Connection]:
    where, params = [], []
    if ids is not None:
        ids = list(ids)
        where.append(f"c.id IN ({','.join('?' * len(ids))})")
        params.extend(ids)
    if application_id is not None:
        where.append("c.application_id = ?")
        params.append(application_id)
    sql = _CONNECTION_SELECT.format(id_list=_SPELLING[db.engine]["id_list"])
    sql += " WHERE " + " AND ".join(where) if where else ""
    sql += " ORDER BY lower(c.label), c.id"
    stale_text = iso(stale_before)
    return [_connection(r, stale_before=stale_text) for r in db.query(sql, params)]


def fleet_version(db: Database) -> tuple[str, int]:
    """This database's random name and a counter that moves whenever a connection or an
    application is written (triggers keep it)."""
    return tuple(db.execute("SELECT database, n FROM fleet_changes WHERE id = 1").fetchone())


def search_connection_ids(db: Database, text: str, *, limit: int) -> list[int]:
    """Up to `limit` connections whose label, client, account name or account id contains
    `text` (in any case), the one whose id it is ("#12" or "12") first."""
    needle = text.strip()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    number = needle.lstrip("#")
    wanted = int(number) if number.isdigit() and len(number) <= 18 else -1
    return [r[0] for r in db.execute(
        "SELECT id FROM connections WHERE id = ?1 OR lower(label) LIKE ?2 ESCAPE '\\' OR lower(client) LIKE ?2 ESCAPE "
        "'\\' OR lower(account_name) LIKE ?2 ESCAPE '\\' OR lower(account_id) LIKE ?2 ESCAPE '\\' "
        "ORDER BY id != ?1, lower(label), id LIMIT ?3", [wanted, pattern.lower(), limit])]


def connection_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM connections").fetchone()[0]


def find_connection_by_id(db: Database, connection_id: int) -> Connection | None:
    rows = list_connections(db, stale_before=datetime.min.replace(tzinfo=UTC), ids=[connection_id])
    return rows[0] if rows else None


def connection_token(db: Database, vault: Cipher, connection_id: int) -> Secret:
    row = db.execute("SELECT token_enc FROM connections WHERE id = ?", [connection_id]).fetchone()
    return vault.decrypt(row[0])


@dataclass(frozen=True)
class TokenRow:
    connection_id: int
    label: str
    account_id: str
    token: Secret | None  # None: the stored ciphertext is damaged (the key was checked at open)
    cached_jwt: CachedJwt | None


def _decrypt_or_none(vault: Cipher, ciphertext: str | None) -> Secret | None:
    try:
        return vault.decrypt(ciphertext) if ciphertext else None
    except DamagedSecret:
        return None


def _cached_jwt(vault: Cipher, ciphertext: str | None, expires_at: str | None) -> CachedJwt | None:
    expires = parse_iso_or_none(expires_at)
    jwt = _decrypt_or_none(vault, ciphertext) if expires else None
    return CachedJwt(jwt, expires) if jwt else None


def token_rows(db: Database, vault: Cipher, ids: list[int]) -> list[TokenRow]:
    """Everything needed to check these connections, decrypted, in the order of `ids`."""
    rows = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for r in db.query(
            "SELECT id, label, account_id, token_enc, jwt_enc, jwt_expires_at FROM connections "
            f"WHERE id IN ({','.join('?' * len(chunk))})", chunk,
        ):
            rows[r["id"]] = TokenRow(r["id"], r["label"], r["account_id"], _decrypt_or_none(vault, r["token_enc"]),
                                     _cached_jwt(vault, r["jwt_enc"], r["jwt_expires_at"]))
    return [rows[i] for i in ids if i in rows]


def find_connection(
    db: Database, *, application_id: int | None, account_id: str
) -> int | None:
    row = db.execute(
        "SELECT id FROM connections WHERE coalesce(application_id, 0) = coalesce(CAST(? AS INTEGER), 0) "
        "AND account_id = ?", [application_id, account_id],
    ).fetchone()
    return row[0] if row else None


def save_connection(
    db: Database, vault: Cipher, *, application_id: int | None, account: Account,
    token: Secret, label: str | None, result: Verdict, new_jwt: CachedJwt | None,
    now: datetime, client: str | None = None, connection_id: int | None = None,
) -> tuple[int, bool]:
    """Insert the connection for (application, account), or replace its token in place (that
    of `connection_id` when given). Label and client change only when given. Records
    `result` as its first (or next) check. Returns (id, replaced). Call inside a transaction."""
    existing = connection_id or find_connection(db, application_id=application_id, account_id=account.id)
    account_fields = [account.name, account.description, account.company, json.dumps(account.extra)]
    if existing is None:
        cursor = db.execute(
            "INSERT INTO connections (application_id, label, account_id, account_name, "
            "account_description, account_company, account_extra, token_enc, token_fingerprint, "
            "created_at, updated_at, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [application_id, label or clean_label(account.name) or f"Account {account.id}", account.id,
             *account_fields, vault.encrypt(token), token.fingerprint(), iso(now), iso(now), client or ""],
        )
        connection_id = cursor.lastrowid
    else:
        connection_id = existing
        db.execute(
            "UPDATE connections SET account_name = ?, account_description = ?, account_company = ?, "
            "account_extra = ?, token_enc = ?, token_fingerprint = ?, jwt_enc = NULL, "
            "jwt_expires_at = NULL, updated_at = ? WHERE id = ?",
            [*account_fields, vault.encrypt(token), token.fingerprint(), iso(now), existing],
        )
        if label:
            db.execute("UPDATE connections SET label = ? WHERE id = ?", [label, existing])
        if client is not None:
            db.execute("UPDATE connections SET client = ? WHERE id = ?", [client, existing])
        if application_id is not None:  # a pasted connection renewed through an application now has it
            db.execute("UPDATE connections SET application_id = ? WHERE id = ? AND application_id IS NULL AND NOT "
                       "EXISTS (SELECT 1 FROM connections o WHERE o.application_id = ? AND o.account_id = ?)",
                       [application_id, existing, application_id, account.id])
    record_check(db, vault, connection_id, result, new_jwt=new_jwt, now=now)
    return connection_id, existing is not None


def rename_connection(db: Database, connection_id: int, label: str, now: datetime) -> None:
    db.execute("UPDATE connections SET label = ?, updated_at = ? WHERE id = ?",
               [label, iso(now), connection_id])


def set_client(db: Database, connection_ids: list[int], client: str, now: datetime) -> int:
    """Give these connections a client ("" for none); returns how many exist."""
    return sum(db.execute("UPDATE connections SET client = ?, updated_at = ? WHERE id = ?",
                          [client, iso(now), i]).rowcount for i in connection_ids)


def clients(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT client FROM connections WHERE client != '' ORDER BY client")]


def delete_connection(db: Database, connection_id: int) -> None:
    db.execute("DELETE FROM connections WHERE id = ?", [connection_id])


# -- checks ---------------------------------------------------------------------------------

Finished = tuple[int, Verdict, "CachedJwt | None", datetime, bool]  # id, verdict, new JWT, when, drop the JWT


def record_check(
    db: Database, vault: Cipher, connection_id: int, result: Verdict, *,
    new_jwt: CachedJwt | None, now: datetime, drop_jwt: bool = False,
) -> Outcome:
    """One check row plus the connection's current status, which it returns (see
    `_write_checks`). Call inside a transaction."""
    before = db.execute("SELECT status FROM connections WHERE id = ?", [connection_id]).fetchone()
    statuses = {connection_id: before[0]} if before else {}
    _write_checks(db, vault, [(connection_id, result, new_jwt, now, drop_jwt)], statuses)
    return Outcome.of(statuses[connection_id]) if before else result.outcome


def record_checks(db: Database, vault: Cipher, results: list[Finished]) -> list[StatusChange]:
    """Write a batch of finished checks in one transaction, and return each connection's
    status before and after it; a connection deleted meanwhile is skipped."""
    if not results:
        return []
    with immediate(db):
        statuses = dict(db.execute(
            f"SELECT id, status FROM connections WHERE id IN ({','.join('?' * len(results))})",
            [r[0] for r in results],
        ).fetchall())
        return _write_checks(db, vault, [r for r in results if r[0] in statuses], statuses)


def _write_checks(db: Database, vault: Cipher, results: list[Finished], statuses: dict[int, str]
                  ) -> list[StatusChange]:
    """Check rows plus each connection's current status (`statuses`, by id, is read and kept up
    to date), a statement per kind of write for the whole batch. The cached JWT is replaced by
    a new one, or forgotten after a refusal.

    A token-level verdict (invalid token, account changed) stays the connection's status until
    a check gets an answer about the token: a check that Copernica did not answer (down, rate
    limited, an odd answer) is recorded as such in the history, but an outage must not wipe the
    list of what a person has to fix."""
    checks, updates, jwts, changes, fixed = [], [], [], [], []
    calls: dict[str, int] = {}
    for connection_id, result, new_jwt, now, drop_jwt in results:
        when = iso(now)
        checks.append((connection_id, when, result.outcome.value, result.http_status, result.latency_ms,
                       result.account.id if result.account else None, result.detail or result.message))
        if result.calls:
            calls[when[:10]] = calls.get(when[:10], 0) + result.calls
        ok = result.outcome is Outcome.VALID
        before = Outcome.of(statuses[connection_id]) if connection_id in statuses else None
        kept = before is not None and before.needs_a_person and not ok and not result.outcome.needs_a_person
        status = before if kept else result.outcome
        if before is not None:
            statuses[connection_id] = status.value
            changes.append(StatusChange(connection_id, before, status))
            if ok and before.needs_a_person:
                fixed.append((when, connection_id))
        updates.append((status.value, kept, result.message, when, result.http_status, result.latency_ms, ok, when,
                        result.outcome is Outcome.UNAVAILABLE, when, connection_id))
        if new_jwt is not None:
            jwts.append((vault.encrypt(new_jwt.jwt), iso(new_jwt.expires_at), connection_id))
        elif drop_jwt or result.outcome is Outcome.INVALID_TOKEN:
            jwts.append((None, None, connection_id))
    conn = db
    conn.executemany("INSERT INTO checks (connection_id, checked_at, outcome, http_status, latency_ms, account_seen, "
                     "detail) VALUES (?, ?, ?, ?, ?, ?, ?)", checks)
    conn.executemany("INSERT INTO usage_days (day, calls) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET "
                     "calls = usage_days.calls + excluded.calls", list(calls.items()))
    conn.executemany(
        "UPDATE connections SET status = ?, status_message = CASE WHEN ? THEN status_message ELSE ? END, "
        "last_checked_at = ?, last_http_status = ?, last_latency_ms = ?, "
        "last_ok_at = CASE WHEN ? THEN ? ELSE last_ok_at END, "
        "unanswered_since = CASE WHEN ? THEN coalesce(unanswered_since, ?) END WHERE id = ?", updates)
    conn.executemany("UPDATE connections SET jwt_enc = ?, jwt_expires_at = ? WHERE id = ?", jwts)
    # A link that renews a connection has lost its reason once the connection works again.
    conn.executemany("UPDATE invitations SET revoked_at = ?, withdrawn_why = 'the connection works again' WHERE "
                     "connection_id = ? AND used_at IS NULL AND revoked_at IS NULL", fixed)
    return changes


def _check(row: dict) -> Check:
    return Check(**{k: row[k] for k in Check.__dataclass_fields__})


def _checks_filter(connection_id: int | None, since: datetime | None) -> tuple[str, list]:
    """The WHERE clause (possibly empty) and parameters that select checks."""
    where, params = [], []
    if connection_id is not None:
        where.append("connection_id = ?")
        params.append(connection_id)
    if since is not None:
        where.append("checked_at >= ?")
        params.append(iso(since))
    return (" WHERE " + " AND ".join(where) if where else ""), params


def history(
    db: Database, *, connection_id: int | None = None, since: datetime | None = None,
    limit: int | None = None, offset: int = 0,
) -> list[Check]:
    """Checks, newest first, paged in SQL."""
    where, params = _checks_filter(connection_id, since)
    sql = "SELECT * FROM checks" + where + " ORDER BY checked_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params.extend([limit, offset])
    return [_check(r) for r in db.query(sql, params)]


def iter_history(
    db: Database, *, connection_id: int | None = None, since: datetime | None = None,
) -> Iterator[Check]:
    """All matching checks, oldest first, streamed from SQLite without holding them all."""
    where, params = _checks_filter(connection_id, since)
    yield from (_check(r) for r in db.query("SELECT * FROM checks" + where + " ORDER BY checked_at, id", params))


def count_checks(db: Database, *, connection_id: int, since: datetime | None = None) -> int:
    where, params = _checks_filter(connection_id, since)
    return db.execute("SELECT count(*) FROM checks" + where, params).fetchone()[0]


def uptime_all(db: Database, *, since: datetime, now: datetime,
               connection_id: int | None = None) -> dict[int, Uptime]:
    """Each connection's time valid and time watched since a moment, in one query (a report
    over thousands of connections must not ask per connection). A check's verdict holds until
    the next check, or until now; the time watched starts at the first check in the period. A
    pruned day counts whole, valid for the share of its checks that were (docs/architecture.md,
    "Data")."""
    only = " AND connection_id = ?" if connection_id is not None else ""
    one = [connection_id] if connection_id is not None else []
    seconds = _SPELLING[db.engine]["seconds"]
    span = (seconds.format("coalesce(LEAD(checked_at) OVER (PARTITION BY connection_id ORDER BY checked_at, id), ?)")
            + " - " + seconds.format("checked_at"))
    rows = db.execute(
        "SELECT connection_id, CAST(sum(valid_s) AS DOUBLE PRECISION), "
        "CAST(sum(observed_s) AS DOUBLE PRECISION) FROM ("
        " SELECT connection_id, CASE WHEN outcome = 'valid' THEN span ELSE 0 END AS valid_s, span AS observed_s"
        f" FROM (SELECT connection_id, outcome, CASE WHEN {span} > 0 THEN {span} ELSE 0 END AS span"
        "  FROM checks WHERE checked_at >= ?" + only + ") AS spans"
        " UNION ALL SELECT connection_id, 86400.0 * sum(CASE WHEN outcome = 'valid' THEN checks ELSE 0 END)"
        "  / sum(checks), 86400.0 FROM check_days WHERE day >= ?" + only + " GROUP BY connection_id, day"
        ") AS spans_and_days GROUP BY connection_id",
        [iso(now), iso(now), iso(since), *one, iso(since)[:10], *one]).fetchall()
    return {cid: Uptime(valid or 0.0, observed or 0.0) for cid, valid, observed in rows}


def daily_outcomes(db: Database, connection_id: int, *, since: datetime) -> list[dict]:
    """Per day and outcome: how many checks, pruned days included. Aggregated in SQL."""
    return list(db.query(
        "SELECT day, outcome, CAST(sum(checks) AS INTEGER) AS checks FROM ("
        " SELECT substr(checked_at, 1, 10) AS day, outcome, count(*) AS checks FROM checks"
        "  WHERE connection_id = ? AND checked_at >= ? GROUP BY day, outcome"
        " UNION ALL SELECT day, outcome, checks FROM check_days WHERE connection_id = ? AND day >= ?"
        ") AS days GROUP BY day, outcome ORDER BY day",
        [connection_id, iso(since), connection_id, iso(since)[:10]],
    ))


def prune_checks(db: Database, *, before_day: str) -> int:
    """Fold checks of days before `before_day` (YYYY-MM-DD) into daily totals; returns how many
    check rows were folded. One transaction: a crash leaves either all or none of it."""
    with immediate(db):
        db.execute(
            "INSERT INTO check_days (connection_id, day, outcome, checks) "
            "SELECT connection_id, substr(checked_at, 1, 10), outcome, count(*) FROM checks "
            "WHERE checked_at < ? GROUP BY 1, 2, 3 "
            "ON CONFLICT (connection_id, day, outcome) DO UPDATE SET checks = check_days.checks + excluded.checks",
            [before_day],
        )
        return db.execute("DELETE FROM checks WHERE checked_at < ?", [before_day]).rowcount


# -- events ---------------------------------------------------------------------------------

def add_event(
    db: Database, *, actor: str, action: str, now: datetime,
    application_id: int | None = None, connection_id: int | None = None, detail: str = "",
) -> None:
    db.execute(
        "INSERT INTO events (at, actor, action, application_id, connection_id, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)", [iso(now), actor, action, application_id, connection_id, detail],
    )


def events(db: Database, *, connection_id: int | None = None, actor: str | None = None,
           action: str | None = None, limit: int = 100) -> list[Event]:
    where, params = [], []
    for column, value in (("connection_id", connection_id), ("actor", actor), ("action", action)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY at DESC, id DESC LIMIT ?"
    params.append(limit)
    return [Event(**{k: r[k] for k in Event.__dataclass_fields__}) for r in db.query(sql, params)]


def alert_states(db: Database) -> dict[int, AlertState]:
    return {r["connection_id"]: AlertState(parse_iso_or_none(r["broken_since"]), r["alerted_status"],
                                           parse_iso_or_none(r["notified_at"]))
            for r in db.query("SELECT * FROM alert_states")}


def outage_state(db: Database) -> OutageState:
    rows = list(db.query("SELECT outage_since, outage_notified_at FROM watcher WHERE id = 1"))
    if not rows:
        return OutageState()
    return OutageState(parse_iso_or_none(rows[0]["outage_since"]), parse_iso_or_none(rows[0]["outage_notified_at"]))


def save_alert_states(db: Database, states: dict[int, AlertState], outage: OutageState) -> None:
    """Store what has been said; call inside a transaction."""
    def text(moment):
        return iso(moment) if moment else None

    db.execute("DELETE FROM alert_states")
    db.executemany(
        "INSERT INTO alert_states (connection_id, broken_since, alerted_status, notified_at) "
        "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM connections WHERE id = ?)",
        [(cid, text(s.broken_since), s.alerted_status, text(s.notified_at), cid) for cid, s in states.items()
         if s != AlertState()])
    db.execute("INSERT INTO watcher (id) VALUES (1) ON CONFLICT DO NOTHING")
    db.execute("UPDATE watcher SET outage_since = ?, outage_notified_at = ? WHERE id = 1",
               [text(outage.since), text(outage.notified_at)])


def calls_since(db: Database, day: str) -> int:
    """Copernica calls made by checks from this day (YYYY-MM-DD) on: they are billed."""
    return db.execute("SELECT CAST(coalesce(sum(calls), 0) AS INTEGER) FROM usage_days WHERE day >= ?",
                      [day]).fetchone()[0]


def event_people_and_actions(db: Database) -> tuple[list[str], list[str]]:
    return ([r[0] for r in db.execute("SELECT DISTINCT actor FROM events ORDER BY actor")],
            [r[0] for r in db.execute("SELECT DISTINCT action FROM events ORDER BY action")])


def stale_before(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)


def connection_ids(db: Database) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM connections ORDER BY id")]
