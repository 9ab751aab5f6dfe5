"""The library's front door: every operation the pages and the command line perform."""

from __future__ import annotations

import csv
import getpass
import re
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from . import oauth, store
from .config import ConfigError, Settings, load_settings
from .copernica import CopernicaClient
from .crypto import Keyring
from .db import immediate, open_database, utcnow
from .fleet import Checked, Progress, check_many
from .inspection import inspect_token
from .models import Application, Check, CheckResult, Connection, Event, Outcome
from .neutralise import for_spreadsheet
from .oauth import AuthorizationResult
from .overview import filter_connections
from .secret import Secret
from .validation import (
    TOKEN_MAX,
    Rejected,
    collect,
    credential_problem,
    text_problem,
    url_problem,
)

HISTORY_COLUMNS = ["check_id", "connection_id", "checked_at", "outcome", "http_status",
                   "latency_ms", "account_seen", "detail"]


@dataclass(frozen=True)
class TokenAdded:
    """The answer to pasting a token: the connection if it verified, else why not."""

    result: CheckResult
    connection: Connection | None = None
    replaced: bool = False


class Workspace:
    """One database, its key and Copernica's endpoints. Open one per script run or command."""

    def __init__(
        self, settings: Settings, *, actor: str = "cli",
        client_factory: Callable[[Settings], CopernicaClient] = CopernicaClient,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings, self.actor = settings, actor
        self.client_factory, self.clock = client_factory, clock
        try:
            self.db = open_database(settings.db_path)
        except sqlite3.DatabaseError as error:
            raise ConfigError(f"The database {settings.db_path} cannot be opened: {error}.") from None
        try:
            self.vault = Keyring(self.db, settings)
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def rotate_key(self, new_key: Secret | None = None) -> int:
        """Re-encrypt every secret with a new key in one transaction; returns how many
        (see `Keyring.rotate`)."""
        return self.vault.rotate(new_key, on_event=lambda count: self._event(
            "encryption key rotated", detail=f"{count} secrets re-encrypted"))

    @property
    def _stale_before(self) -> datetime:
        return store.stale_before(self.clock(), self.settings.stale_hours)

    def _event(self, action: str, *, application_id: int | None = None,
               connection_id: int | None = None, detail: str = "") -> None:
        store.add_event(self.db, actor=self.actor, action=action, now=self.clock(),
                        application_id=application_id, connection_id=connection_id, detail=detail)

    # -- applications -----------------------------------------------------------------------

    def applications(self) -> list[Application]:
        return store.list_applications(self.db)

    def application(self, application_id: int) -> Application | None:
        return store.get_application(self.db, application_id)

    def save_application(
        self, *, label: str, client_key: str, client_secret: str | None, redirect_uri: str | None = None,
        application_id: int | None = None,
    ) -> Application | Rejected:
        """Add an application, or edit one (a blank secret keeps the stored one). Tokens of its
        connections are never touched: they stay valid whatever happens to key or secret."""
        is_new = application_id is None
        redirect_uri = (redirect_uri or "").strip() or self.settings.redirect_uri
        rejected = collect(
            label=text_problem(label, name="Label"),
            client_key=credential_problem(client_key, name="Client key"),
            client_secret=credential_problem(client_secret, name="Client secret")
            if is_new or (client_secret or "").strip() else None,
            redirect_uri=url_problem(redirect_uri, name="Redirect URI"),
        )
        if rejected:
            return rejected
        label, client_key = label.strip(), client_key.strip()
        secret = Secret(client_secret.strip()) if (client_secret or "").strip() else None
        with immediate(self.db):
            other = store.find_application_by_key(self.db, client_key)
            if other is not None and other.id != application_id:
                return Rejected({"client_key": f"The application “{other.label}” already uses this client key."})
            now = self.clock()
            if is_new:
                application_id = store.insert_application(
                    self.db, self.vault, label=label, client_key=client_key,
                    client_secret=secret, redirect_uri=redirect_uri, now=now)
                self._event("application added", application_id=application_id, detail=label)
            else:
                before = store.get_application(self.db, application_id)
                if before is None:
                    return Rejected({"application": "This application no longer exists."})
                store.update_application(
                    self.db, self.vault, application_id, label=label, client_key=client_key,
                    client_secret=secret, redirect_uri=redirect_uri, now=now)
                changed = [name for name, differs in (
                    ("label", before.label != label), ("client key", before.client_key != client_key),
                    ("client secret", secret is not None), ("redirect URI", before.redirect_uri != redirect_uri),
                ) if differs]
                self._event("application edited", application_id=application_id,
                            detail="changed: " + (", ".join(changed) or "nothing"))
        return store.get_application(self.db, application_id)

    def application_connections(self, application_id: int) -> list[Connection]:
        """The connections an edit or deletion of this application concerns."""
        return store.list_connections(self.db, stale_before=self._stale_before,
                                      application_id=application_id)

    def delete_application(self, application_id: int) -> int:
        """Delete an application and forget its connections; returns how many were forgotten."""
        with immediate(self.db):
            app = store.get_application(self.db, application_id)
            if app is None:
                return 0
            count = len(self.application_connections(application_id))
            store.delete_application(self.db, application_id)
            self._event("application deleted", application_id=application_id,
                        detail=f"{app.label}; {count} connection(s) forgotten")
        return count

    # -- connections ------------------------------------------------------------------------

    def connections(self, *, statuses: Collection[str] | None = None, search: str | None = None) -> list[Connection]:
        """Connections by label; see `filter_connections` for `statuses` and `search`."""
        rows = store.list_connections(self.db, stale_before=self._stale_before)
        return filter_connections(rows, statuses=statuses, search=search)

    def connection(self, connection_id: int) -> Connection | None:
        rows = store.list_connections(self.db, stale_before=self._stale_before, ids=[connection_id])
        return rows[0] if rows else None


    def rename_connection(self, connection_id: int, label: str) -> Connection | Rejected:
        problem = text_problem(label, name="Label")
        if problem:
            return Rejected({"label": problem})
        with immediate(self.db):
            store.rename_connection(self.db, connection_id, label.strip(), self.clock())
            self._event("connection renamed", connection_id=connection_id, detail=label.strip())
        return self.connection(connection_id)

    def disconnect(self, connection_id: int) -> bool:
        """Forget a connection locally. Copernica has no revocation API: the account holder
        revokes the token in Marketing Suite."""
        with immediate(self.db):
            conn = self.connection(connection_id)
            if conn is None:
                return False
            store.delete_connection(self.db, connection_id)
            self._event("disconnected", application_id=conn.application_id,
                        connection_id=connection_id,
                        detail=f"{conn.label} (account {conn.account.id}, token {conn.token_fingerprint})")
        return True

    def reveal_token(self, connection_id: int) -> Secret:
        """The access token itself, for a person who asked for it; the request is recorded."""
        token = store.connection_token(self.db, self.vault, connection_id)
        with immediate(self.db):
            self._event("token revealed", connection_id=connection_id)
        return token

    def add_token(self, token: str, *, label: str | None = None) -> TokenAdded | Rejected:
        """Add a connection from an access token made by hand in Copernica, verified first."""
        rejected = collect(
            token=credential_problem(token, name="Access token", max_len=TOKEN_MAX),
            label=text_problem(label, name="Label", required=False),
        )
        if rejected:
            return rejected
        secret = Secret(token.strip())
        inspection = inspect_token(self.client_factory(self.settings), secret)
        result = inspection.result
        if result.outcome is not Outcome.VALID:
            return TokenAdded(result)
        with immediate(self.db):
            connection_id, replaced = store.save_connection(
                self.db, self.vault, application_id=None, account=result.account, token=secret,
                label=(label or "").strip() or None, result=result, new_jwt=inspection.new_jwt,
                now=self.clock())
            self._event("token pasted", connection_id=connection_id,
                        detail=f"account {result.account.id}, token {secret.fingerprint()}")
        return TokenAdded(result, self.connection(connection_id), replaced)

    # -- authorization ----------------------------------------------------------------------

    def start_authorization(self, application_id: int, *, connection_id: int | None = None) -> str | Rejected:
        """Issue a state and return the link to Copernica's consent page."""
        app = self.application(application_id)
        if app is None:
            return Rejected({"application": "Choose an application first."})
        expected = None
        if connection_id is not None:
            conn = self.connection(connection_id)
            if conn is None or conn.application_id != application_id:
                return Rejected({"connection": "That connection does not belong to this application."})
            expected = conn.account.id
        with immediate(self.db):
            state = oauth.issue_state(
                self.db, application_id=app.id, redirect_uri=app.redirect_uri, now=self.clock(),
                connection_id=connection_id, expected_account_id=expected)
        return oauth.authorization_url(self.settings.authorize_url, client_key=app.client_key,
                                       redirect_uri=app.redirect_uri, state=state)

    def complete_authorization_url(self, url: str) -> AuthorizationResult:
        """Finish a flow from the full redirect URL pasted by the user."""
        if url_problem(url, name="The address") or not oauth.callback_params(url).get("state"):
            return oauth.refused(
                "That is not a redirect address from Copernica",
                "Paste the whole address from the browser's address bar after Copernica sent you "
                "back; it contains state=… and code=…")
        params = oauth.callback_params(url)
        return self.complete_authorization(
            code=params.get("code"), state=params.get("state"), error=params.get("error"),
            error_description=params.get("error_description"))

    def complete_authorization(
        self, *, code: str | None, state: str | None, error: str | None = None,
        error_description: str | None = None,
    ) -> AuthorizationResult:
        """Complete a callback: consume the state first, then exchange, verify and store."""
        if not state or credential_problem(state, name="state", max_len=200):
            return oauth.refused(
                "Copernica sent you back without a usable state",
                "The address has no valid state parameter, so it cannot be matched to an "
                "authorization started here.", "Start again from the Authorize page.")
        consumed = oauth.consume_state(self.db, state, now=self.clock())
        if consumed.problem or consumed.previous:
            return consumed.problem or consumed.previous
        pending = consumed.pending
        result = self._finish_callback(pending, code=code, error=error, error_description=error_description)
        with immediate(self.db):
            oauth.finish_state(self.db, pending, result)
        return result

    def _finish_callback(self, pending: oauth.PendingAuthorization, *, code: str | None,
                         error: str | None, error_description: str | None) -> AuthorizationResult:
        if error and error.strip():
            code_name = error.strip()
            denied = code_name == "access_denied"
            reason = (error_description or "").strip()
            if text_problem(reason, name="reason", max_len=300):
                reason = ""  # not something to echo back
            named = f" “{code_name}”" if re.fullmatch(r"[\w.-]{1,60}", code_name) else ""
            return oauth.refused(
                "Access was not granted" if denied else "Copernica reported an error",
                ("The Copernica user chose not to give access." if denied
                 else f"Copernica answered with an error{named}.")
                + (f" Copernica said: {reason}" if reason else ""),
                "Start again from the Authorize page if this was a mistake.")
        if not code or credential_problem(code, name="code", max_len=1000):
            return oauth.refused(
                "Copernica sent you back without an authorization code",
                "This happens when access was not given, or when Copernica found the request's "
                "state too weak. Nothing was stored.", "Start again from the Authorize page.")
        app = self.application(pending.application_id)
        if app is None:
            return oauth.refused("The application was deleted", "The application this "
                                 "authorization was started for no longer exists.")
        try:
            client_secret = store.application_secret(self.db, self.vault, app.id)
        except ConfigError:
            return AuthorizationResult(
                "failed", "The stored client secret cannot be read",
                "The application's client secret in the database cannot be decrypted (damaged data).",
                "Enter the client secret again on the Credentials page, then authorize again.")
        client = self.client_factory(self.settings)
        exchange = client.exchange_code(client_key=app.client_key, client_secret=client_secret,
                                        redirect_uri=pending.redirect_uri, code=Secret(code.strip()))
        if exchange.failure:
            return oauth.exchange_failed(exchange.failure, exchange.said, redirect_uri=pending.redirect_uri)
        inspection = inspect_token(client, exchange.token)
        check = inspection.result
        if check.outcome is not Outcome.VALID:
            return AuthorizationResult(
                "failed", "The new access token could not be verified", check.message, check.hint)
        account = check.account
        if pending.expected_account_id and account.id != pending.expected_account_id:
            conn = self.connection(pending.connection_id) if pending.connection_id else None
            name = f"“{conn.account.name}” (id {conn.account.id})" if conn else f"id {pending.expected_account_id}"
            return AuthorizationResult(
                "mismatch", "You authorized a different account",
                f"You authorized account “{account.name}” (id {account.id}); this connection is "
                f"account {name}. Nothing was changed.",
                "To re-authorize this connection, choose the right account at Copernica. To add "
                f"“{account.name}” as a connection of its own, authorize without choosing a connection.",
                account=account)
        with immediate(self.db):
            connection_id, replaced = store.save_connection(
                self.db, self.vault, application_id=app.id, account=account, token=exchange.token,
                label=None, result=check, new_jwt=inspection.new_jwt, now=self.clock())
            self._event("authorized", application_id=app.id, connection_id=connection_id,
                        detail=f"account {account.id}; token {exchange.token.fingerprint()}"
                        + ("; replaced the previous token" if replaced else ""))
        return AuthorizationResult(
            "connected", "Connected" if not replaced else "Re-authorized",
            f"Copernica account “{account.name}” (id {account.id}"
            + (f", {account.company}" if account.company else "") + ") is connected"
            + (": its token was replaced and its history kept." if replaced else "."),
            connection_id=connection_id, account=account, replaced=replaced)

    # -- checks -----------------------------------------------------------------------------

    def check(
        self, ids: list[int] | None = None, *, concurrency: int | None = None,
        progress: Progress | None = None, cancel: threading.Event | None = None,
    ) -> list[Checked]:
        """Check these connections (all if None) now; every result becomes a history row."""
        if ids is None:
            ids = [r[0] for r in self.db.execute("SELECT id FROM connections ORDER BY id")]
        rows = store.token_rows(self.db, self.vault, ids)

        def write(batch: list[Checked]) -> None:
            store.record_checks(self.db, self.vault, [
                (c.connection_id, c.result, c.new_jwt, c.checked_at, c.drop_jwt) for c in batch])

        return check_many(rows, settings=self.settings, write=write, concurrency=concurrency,
                          progress=progress, cancel=cancel, client_factory=self.client_factory)

    def unknown_connection_ids(self, ids: list[int]) -> list[int]:
        known = {c.id for c in store.list_connections(self.db, stale_before=self._stale_before, ids=ids)}
        return [i for i in ids if i not in known]

    def history(self, connection_id: int | None = None, *, since: datetime | None = None,
                limit: int | None = None, offset: int = 0) -> list[Check]:
        return store.history(self.db, connection_id=connection_id, since=since, limit=limit, offset=offset)

    def iter_history(self, connection_id: int | None = None, *, since: datetime | None = None) -> Iterator[Check]:
        return store.iter_history(self.db, connection_id=connection_id, since=since)

    def write_history_csv(self, out: TextIO, connection_id: int | None = None, *,
                          since: datetime | None = None) -> None:
        """Stream matching checks as CSV, oldest first, without holding them in memory."""
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HISTORY_COLUMNS)
        for c in self.iter_history(connection_id, since=since):
            writer.writerow([for_spreadsheet(v) for v in (
                c.id, c.connection_id, c.checked_at, c.outcome, c.http_status,
                None if c.latency_ms is None else round(c.latency_ms, 1), c.account_seen, c.detail)])

    def history_count(self, connection_id: int, *, since: datetime | None = None) -> int:
        return store.count_checks(self.db, connection_id=connection_id, since=since)

    def uptime(self, connection_id: int, *, days: int) -> float | None:
        """Share of valid checks over the last `days` days, or None without checks."""
        ok, total = store.uptime(self.db, connection_id, since=self.clock() - timedelta(days=days))
        return ok / total if total else None

    def daily_outcomes(self, connection_id: int, *, days: int) -> list[dict]:
        return store.daily_outcomes(self.db, connection_id, since=self.clock() - timedelta(days=days))

    def prune(self, *, older_than_days: int) -> tuple[int, str]:
        """Keep checks of the last `older_than_days` days in full and older ones as daily
        totals. Returns (rows folded, first day kept in full)."""
        keep_from = (self.clock() - timedelta(days=older_than_days)).strftime("%Y-%m-%d")
        folded = store.prune_checks(self.db, before_day=keep_from)
        with immediate(self.db):
            self._event("history pruned", detail=f"{folded} checks before {keep_from} kept as daily totals")
        return folded, keep_from

    def events(self, *, connection_id: int | None = None, limit: int = 100) -> list[Event]:
        return store.events(self.db, connection_id=connection_id, limit=limit)


def open_workspace(env: Mapping[str, str] | None = None, *, actor: str | None = None, **kwargs) -> Workspace:
    """Load the settings and open their workspace; raises ConfigError with a plain message."""
    if actor is None:
        try:
            actor = f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            actor = "cli"
    return Workspace(load_settings(env), actor=actor, **kwargs)
