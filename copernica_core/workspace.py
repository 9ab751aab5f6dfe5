"""The library's front door: every operation the pages and the command line perform, each
checked against the acting person's role before it does anything."""

from __future__ import annotations

import functools
import io
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from . import backup as backup_module
from . import contacts, copy_db, exports, imports, links, messages, notify, oauth, store, watch
from . import report as report_module
from .access import Action, Actor, Role
from .acting import open_with_key
from .advice import who_to_ask
from .api import CopernicaAPI
from .batch import CheckRun, FinishedCheck, Progress, check_many
from .clock import iso, utcnow
from .config import Settings, load_settings
from .crypto import keys_at_hand
from .errors import BadInput, NotFound
from .i18n import speech_for
from .inspection import inspect_token
from .models import Application, Check, Connection, Event, Outcome, StatusChange, Uptime
from .oauth import AuthorizationResult
from .overview import Snapshot, filter_connections, shared_snapshot
from .secret import Secret
from .store import connect_links as link_rows
from .store import immediate
from .validation import TOKEN_MAX, credential_problem, refuse_problems, text_problem, url_problem

log = logging.getLogger(__name__)

class Workspace:
    """One database, its key and Copernica's endpoints, used by one acting person. Open one
    per script run or command, and close it."""

    def __init__(
        self, settings: Settings, *, actor: Actor,
        api_factory: Callable[[Settings], CopernicaAPI] = CopernicaAPI,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not isinstance(actor, Actor):  # no default person: nobody acts by accident with every right
            raise TypeError("Workspace needs the acting person (an Actor; Actor.nobody() for no one)")
        self.settings, self._actor = settings, actor
        self.api_factory, self.clock = api_factory, clock
        self.db, self.vault = open_with_key(settings)

    def close(self) -> None:
        self.db.close()

    @property
    def _links(self) -> links.Links:
        return links.Links(self.db, self.vault, self.settings, self.clock, self._event, self.actor.who)

    @property
    def _messages(self) -> messages.Messenger:
        return messages.Messenger(self.db, self.vault, self.settings, self.clock, self._event, self.actor.who)

    @property
    def actor(self) -> Actor:
        """Who acts, fixed when the workspace is built (a workspace for someone else is a new one)."""
        return self._actor

    def who_to_ask(self) -> str:
        """Whom this dashboard's readers ask when they may not fix something (advice.who_to_ask)."""
        return who_to_ask(contact=self.settings.agency_contact, admins=self.settings.admins)

    def may(self, action: Action) -> bool:
        """Whether the acting person may do this (pages hide what the core would refuse)."""
        return self.actor.may(action)

    def rotate_key(self, new_key: Secret | None = None) -> int:
        """Re-encrypt every secret with a new key in one transaction; how many (`Keyring.rotate`)."""
        self.actor.ensure(Action.MANAGE)
        return self.vault.rotate(new_key, on_event=lambda count: self._event(
            "encryption key rotated", detail=f"{count} secrets re-encrypted"))

    def backup(self, destination: Path) -> backup_module.Contents:
        """A consistent copy of the database in a new file (its secrets encrypted: the rights to reveal them)."""
        self.actor.ensure(Action.REVEAL)
        made = backup_module.backup(self.db, destination, at_hand=keys_at_hand(self.settings))
        self._event("backup made", detail=f"{Path(destination).name}: {made}; key id {made.key_id}")
        return made

    def copy_database(self, target: str) -> copy_db.Copied:
        """Copy this database into the empty one at `target` (a path or a URL), secrets checked first."""
        self.actor.ensure(Action.MANAGE)
        copied = copy_db.copy_database(self.db, self.vault, target)
        self._event("database copied", detail=f"to {copied.target}: {copied}")
        return copied

    def record_restore(self, detail: str) -> None:
        """The activity log's line for a restore (made before any workspace could open)."""
        self.actor.ensure(Action.MANAGE)
        self._event("database restored from a backup", detail=detail)

    @property
    def _stale_before(self) -> datetime:
        return store.stale_before(self.clock(), self.settings.stale_hours)

    def _event(self, action: str, *, application_id: int | None = None,
               connection_id: int | None = None, detail: str = "") -> None:
        store.add_event(self.db, actor=self.actor.who, action=action, now=self.clock(),
                        application_id=application_id, connection_id=connection_id, detail=detail)

    # -- applications -----------------------------------------------------------------------

    def applications(self) -> list[Application]:
        self.actor.ensure(Action.READ)
        return store.list_applications(self.db)

    def application(self, application_id: int) -> Application:
        self.actor.ensure(Action.READ)
        app = store.get_application(self.db, application_id)
        if app is None:
            raise NotFound("This application no longer exists.")
        return app

    def save_application(
        self, *, label: str, client_key: str, client_secret: str | None, redirect_uri: str | None = None,
        application_id: int | None = None,
    ) -> Application:
        """Add an application, or edit one (a blank secret keeps the stored one); BadInput
        says what is wrong with which field. Tokens of its connections are never touched:
        they stay valid whatever happens to key or secret."""
        self.actor.ensure(Action.MANAGE)
        is_new = application_id is None
        redirect_uri = (redirect_uri or "").strip() or self.settings.redirect_uri
        refuse_problems(
            label=text_problem(label, name="Label"),
            client_key=credential_problem(client_key, name="Client key"),
            client_secret=credential_problem(client_secret, name="Client secret")
            if is_new or (client_secret or "").strip() else None,
            redirect_uri=url_problem(redirect_uri, name="Redirect URI"),
        )
        label, client_key = label.strip(), client_key.strip()
        secret = Secret(client_secret.strip()) if (client_secret or "").strip() else None
        with immediate(self.db):
            other = store.find_application_by_key(self.db, client_key)
            if other is not None and other.id != application_id:
                raise BadInput({"client_key": f"The application “{other.label}” already uses this client key."})
            now = self.clock()
            if is_new:
                application_id = store.insert_application(
                    self.db, self.vault, label=label, client_key=client_key,
                    client_secret=secret, redirect_uri=redirect_uri, now=now)
                self._event("application added", application_id=application_id, detail=label)
            else:
                before = store.get_application(self.db, application_id)
                if before is None:
                    raise NotFound("This application no longer exists.")
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
        self.actor.ensure(Action.READ)
        return store.list_connections(self.db, stale_before=self._stale_before,
                                      application_id=application_id)

    def delete_application(self, application_id: int) -> int:
        """Delete an application and forget its connections; returns how many were forgotten."""
        self.actor.ensure(Action.MANAGE)
        with immediate(self.db):
            app = store.get_application(self.db, application_id)
            if app is None:
                raise NotFound("This application no longer exists.")
            count = len(self.application_connections(application_id))
            store.delete_application(self.db, application_id)
            self._event("application deleted", application_id=application_id,
                        detail=f"{app.label}; {count} connection(s) forgotten")
        return count

    # -- connections ------------------------------------------------------------------------

    def connections(self, *, statuses: Collection[str] | None = None, search: str | None = None,
                    clients: Collection[str] | None = None) -> list[Connection]:
        """Connections by label; see `filter_connections` for `statuses`, `search` and `clients`."""
        self.actor.ensure(Action.READ)
        rows = store.list_connections(self.db, stale_before=self._stale_before)
        return filter_connections(rows, statuses=statuses, search=search, clients=clients)

    def connection_count(self) -> int:
        self.actor.ensure(Action.READ)
        return store.connection_count(self.db)

    def find_connections(self, text: str, *, limit: int = 20) -> list[Connection]:
        """Up to `limit` connections matching `text` (label, client, account, or "#id"), the
        one with that id first: a search that costs the same at 10 or 10,000 connections."""
        self.actor.ensure(Action.READ)
        if not (text or "").strip() or len(text) > 200:
            return []
        ids = store.search_connection_ids(self.db, text, limit=limit)
        found = {c.id: c for c in store.list_connections(self.db, stale_before=self._stale_before, ids=ids)}
        return [found[i] for i in ids if i in found]

    def snapshot(self) -> Snapshot:
        """Every connection with its summary, shared across runs and sessions of this process
        until a connection or application changes (a counter kept by triggers says when) or
        the minute turns (staleness is relative to now)."""
        self.actor.ensure(Action.READ)
        database, changes = store.fleet_version(self.db)
        stale_before = self._stale_before.replace(second=0, microsecond=0)
        return shared_snapshot(database, (changes, stale_before),
                               lambda: store.list_connections(self.db, stale_before=stale_before))

    def connection(self, connection_id: int) -> Connection:
        self.actor.ensure(Action.READ)
        rows = store.list_connections(self.db, stale_before=self._stale_before, ids=[connection_id])
        if not rows:
            raise NotFound(f"There is no connection #{connection_id} (any more).")
        return rows[0]

    def rename_connection(self, connection_id: int, label: str) -> Connection:
        self.actor.ensure(Action.MANAGE)
        refuse_problems(label=text_problem(label, name="Label"))
        with immediate(self.db):
            before = store.find_connection_by_id(self.db, connection_id)
            if before is None:
                raise NotFound(f"There is no connection #{connection_id} (any more).")
            store.rename_connection(self.db, connection_id, label.strip(), self.clock())
            self._event("connection renamed", connection_id=connection_id, detail=f"{before.label} → {label.strip()}")
        return self.connection(connection_id)

    def disconnect(self, connection_id: int) -> Connection:
        """Forget a connection locally and return what it was. Copernica has no revocation
        API: the account holder revokes the token in Marketing Suite."""
        self.actor.ensure(Action.MANAGE)
        with immediate(self.db):
            conn = store.find_connection_by_id(self.db, connection_id)
            if conn is None:
                raise NotFound(f"There is no connection #{connection_id} (any more).")
            store.delete_connection(self.db, connection_id)
            self._event("disconnected", application_id=conn.application_id,
                        connection_id=connection_id,
                        detail=f"{conn.label} (account {conn.account.id}, token {conn.token_fingerprint})")
        return conn

    def reveal_token(self, connection_id: int) -> Secret:
        """The access token itself, for a person who asked for it; the request is recorded."""
        self.actor.ensure(Action.REVEAL)
        if store.find_connection_by_id(self.db, connection_id) is None:
            raise NotFound(f"There is no connection #{connection_id} (any more).")
        token = store.connection_token(self.db, self.vault, connection_id)
        with immediate(self.db):
            self._event("token revealed", connection_id=connection_id)
        return token

    def import_tokens(self, rows: list[imports.ImportRow], *, replace: bool = False,
                      source: str = "a CSV file") -> list[imports.RowResult]:
        """Each row verified and stored as `add_token` would, as one event listing every row's result."""
        self.actor.ensure(Action.MANAGE)
        paste = functools.partial(self.add_token, replace=replace, record=False)
        results = [imports.import_row(row, paste) for row in rows]
        with immediate(self.db):
            self._event("tokens imported", detail=f"{source}: {imports.summary(results)}\n"
                                                  + "\n".join(r.line for r in results))
        return results

    def add_token(self, token: str, *, label: str | None = None, client: str | None = None,
                  replace: bool = False, connection_id: int | None = None, record: bool = True) -> imports.PasteAttempt:
        """Add a connection from an access token made by hand in Copernica, verified first;
        BadInput for a token or label that cannot be one.

        A token that reaches an account already connected is not stored if it would change that
        connection's token, label or client (`conflict` names the connection, `would_change`
        what) unless `replace`: an import must not hand one client's connection to another, nor
        swap its token unasked. With `connection_id`, the token replaces that connection's
        token (its label, client and history stay), if it reaches its account."""
        self.actor.ensure(Action.MANAGE)
        refuse_problems(
            token=credential_problem(token, name="Access token", max_len=TOKEN_MAX),
            label=text_problem(label, name="Label", required=False),
            client=text_problem(client, name="Client", required=False),
        )
        target = self.connection(connection_id) if connection_id is not None else None
        secret = Secret(token.strip())
        inspection = inspect_token(self.api_factory(self.settings), secret,
                                   expected_account_id=target.account.id if target else None)
        result = inspection.result
        if result.outcome is not Outcome.VALID:
            return imports.PasteAttempt(result)
        label = (label or "").strip() or None
        with immediate(self.db):
            existing = target or store.find_connection_by_id(
                self.db, store.find_connection(self.db, application_id=None, account_id=result.account.id) or 0)
            changes = () if target or replace or not existing else imports.would_change(
                existing, token=secret, label=label, client=client)
            if changes:
                return imports.PasteAttempt(result, conflict=existing, would_change=changes)
            connection_id, replaced = store.save_connection(
                self.db, self.vault, application_id=existing.application_id if existing else None,
                account=result.account, token=secret, label=label, result=result, new_jwt=inspection.new_jwt,
                now=self.clock(), client=(client or "").strip() or None,
                connection_id=existing.id if existing else None)
            if record:  # an import records one event for all its rows
                self._event("token replaced" if replaced else "token pasted", connection_id=connection_id,
                            detail=f"account {result.account.id}, token {secret.fingerprint()}")
        return imports.PasteAttempt(result, self.connection(connection_id), replaced)

    def set_client(self, connection_ids: list[int], client: str) -> int:
        """Give these connections a client (blank: none); returns how many were changed."""
        self.actor.ensure(Action.MANAGE)
        refuse_problems(client=text_problem(client, name="Client", required=False))
        client = (client or "").strip()
        with immediate(self.db):
            changed = store.set_client(self.db, list(connection_ids), client, self.clock())
            for connection_id in connection_ids:
                self._event("client set", connection_id=connection_id, detail=client or "(none)")
        return changed

    def clients(self) -> list[str]:
        self.actor.ensure(Action.READ)
        return store.clients(self.db)

    def client_contacts(self, client: str | None = None) -> dict[str, contacts.Contact]:
        """Each client's contact (shown without keys), by client; only `client`'s when given."""
        self.actor.ensure(Action.READ)
        return contacts.listed(self.db, self.vault, mail_url=self.settings.mail_url.reveal(), client=client,
                               sender=self.settings.agency_name)

    def set_client_contact(self, client: str, contact: str | None, *, reconnect_links: bool
                           ) -> contacts.Contact | None:
        """Where `client` hears of its connections, and whether it gets reconnect links (`contacts.set_contact`)."""
        self.actor.ensure(Action.MANAGE)
        client = contacts.set_contact(self.db, self.vault, self.settings, client=client, contact=contact,
                                      reconnect_links=reconnect_links, who=self.actor.who, now=self.clock(),
                                      record_event=self._event)
        return self.client_contacts(client).get(client)

    def set_client_language(self, client: str, language: str | None) -> None:
        """The language `client` reads (`i18n.LANGUAGES`; None: its browser's)."""
        self.actor.ensure(Action.MANAGE)
        contacts.set_language(self.db, client, language, who=self.actor.who, now=self.clock(), record_event=self._event)

    def client_languages(self) -> dict[str, str]:
        self.actor.ensure(Action.READ)
        return contacts.languages(self.db)

    def reconnect_links_sent(self) -> dict[int, link_rows.ConnectLink]:
        """The latest reconnect link sent to a client's contact, by connection."""
        self.actor.ensure(Action.READ)
        return link_rows.sent(self.db)

    # -- authorization ----------------------------------------------------------------------

    def start_authorization(self, application_id: int, *, connection_id: int | None = None,
                            client: str | None = None) -> str:
        """Issue a state and return the link to Copernica's consent page. With a
        `connection_id`, the authorization re-authorizes that connection in place; a `client`
        is given to the connection it creates."""
        self.actor.ensure(Action.MANAGE)
        refuse_problems(client=text_problem(client, name="Client", required=False))
        app = store.get_application(self.db, application_id)
        if app is None:
            raise BadInput({"application": "Choose an application first."})
        expected = None
        if connection_id is not None:
            conn = store.find_connection_by_id(self.db, connection_id)
            if conn is None or conn.application_id != application_id:
                raise BadInput({"connection": "That connection does not belong to this application."})
            expected = conn.account.id
        with immediate(self.db):
            state = oauth.issue_state(
                self.db, application_id=app.id, redirect_uri=app.redirect_uri, now=self.clock(),
                started_by=self.actor.who, connection_id=connection_id, expected_account_id=expected,
                client=(client or "").strip() or None)
        return oauth.authorization_url(self.settings.authorize_url, client_key=app.client_key,
                                       redirect_uri=app.redirect_uri, state=state)

    # -- connect links ----------------------------------------------------------------------

    def invite(self, *, client: str = "", connection_id: int | None = None, application_id: int | None = None,
               expires: timedelta = link_rows.DEFAULT_EXPIRES, allow_replace: bool = False,
               ) -> tuple[str, link_rows.ConnectLink]:
        """A connect link for a client: a new connection of `client`, or the one open link that
        renews `connection_id` (`links.Links.give`). Returns the link and its row."""
        self.actor.ensure(Action.MANAGE)
        return self._links.give(client=client, connection_id=connection_id, application_id=application_id,
                                expires=expires, allow_replace=allow_replace)

    def connect_links(self, *, open_only: bool = True) -> list[link_rows.ConnectLink]:
        self.actor.ensure(Action.MANAGE)
        return link_rows.listed(self.db, open_only=open_only, now=self.clock())

    def withdraw_link(self, link_id: int) -> None:
        self.actor.ensure(Action.MANAGE)
        with immediate(self.db):
            if not link_rows.revoke(self.db, link_id, now=self.clock()):
                raise NotFound(f"There is no open link #{link_id} (used, revoked or unknown).")
            self._event("connect link revoked", detail=f"link #{link_id}")

    def start_link_authorization(self, secret: str | None, *, browser: str) -> str:
        """For the client holding a connect link: the address of Copernica's consent page, its
        state bound to the link and to this browser (`links.Links.start`; no secret: try again)."""
        self.actor.ensure(Action.CONNECT_BY_LINK)
        return self._links.start(secret, browser=browser)

    def link_page(self, link: link_rows.ConnectLink | None = None) -> links.LinkPage:
        """For the client holding a connect link: what its page shows (`links.Links.page`)."""
        self.actor.ensure(Action.CONNECT_BY_LINK)
        return self._links.page(link)

    def _callback(self, browser: str | None = None) -> oauth.Callback:
        if not self.may(Action.CONNECT_BY_LINK):
            self.actor.ensure(Action.MANAGE)
        return oauth.Callback(self.db, self.vault, self.api_factory(self.settings), self.clock, self._event,
                              self.actor.who, browser)

    def complete_authorization_url(self, url: str) -> AuthorizationResult:
        """Finish a flow from the redirect URL pasted on the Authorize page (admins only)."""
        self.actor.ensure(Action.MANAGE)
        return self._callback().complete_url(url)

    def complete_authorization(self, *, code: str | None, state: str | None, error: str | None = None,
                               error_description: str | None = None, browser: str | None = None
                               ) -> AuthorizationResult:
        """Complete Copernica's redirect back (see `oauth.Callback`); `browser` is the value a
        connect link's page kept in this browser. A connect link's use is told to the alert targets."""
        result = self._callback(browser).complete(code=code, state=state, error=error,
                                                  error_description=error_description)
        if self.actor.role is Role.CLIENT_LINK and result.ok and not result.replayed:
            self._messages.tell_of_link_use(result)
        return result

    # -- checks -----------------------------------------------------------------------------

    def check(
        self, ids: list[int] | None = None, *, concurrency: int | None = None,
        progress: Progress | None = None, cancel: threading.Event | None = None,
    ) -> CheckRun:
        """Check these connections (all if None) now: history rows, and each status before and after."""
        self.actor.ensure(Action.CHECK)
        rows = store.token_rows(self.db, self.vault, store.connection_ids(self.db) if ids is None else ids)
        changes: list[StatusChange] = []

        def write(batch: list[FinishedCheck]) -> None:
            changes.extend(store.record_checks(self.db, self.vault, [
                (c.connection_id, c.result, c.new_jwt, c.checked_at, c.drop_jwt) for c in batch]))

        finished = check_many(rows, settings=self.settings, write=write, concurrency=concurrency,
                              progress=progress, cancel=cancel, api_factory=self.api_factory)
        return CheckRun(finished, changes)

    def check_now(self, ids: list[int] | None = None, *, progress: Progress | None = None,
                  scope: str = "every connection") -> CheckRun:
        """A check a person asked for on a page ("Check all now", "Check these N now"): as
        `check`, and recorded in the activity log with what it found (it is billed)."""
        run = self.check(ids, progress=progress)
        with immediate(self.db):
            self._event("checked now", detail=f"{scope}: {watch.summary_line([c.result.outcome for c in run])}")
        return run

    def unknown_connection_ids(self, ids: list[int]) -> list[int]:
        self.actor.ensure(Action.READ)
        known = {c.id for c in store.list_connections(self.db, stale_before=self._stale_before, ids=ids)}
        return [i for i in ids if i not in known]

    def history(self, connection_id: int | None = None, *, since: datetime | None = None,
                limit: int | None = None, offset: int = 0) -> list[Check]:
        self.actor.ensure(Action.READ)
        return store.history(self.db, connection_id=connection_id, since=since, limit=limit, offset=offset)

    def iter_history(self, connection_id: int | None = None, *, since: datetime | None = None) -> Iterator[Check]:
        self.actor.ensure(Action.READ)
        return store.iter_history(self.db, connection_id=connection_id, since=since)

    def history_csv(self, connection_id: int | None = None, *, since: datetime | None = None) -> str:
        out = io.StringIO()
        exports.write_history_csv(out, self.iter_history(connection_id, since=since))
        return out.getvalue()

    def history_count(self, connection_id: int, *, since: datetime | None = None) -> int:
        self.actor.ensure(Action.READ)
        return store.count_checks(self.db, connection_id=connection_id, since=since)

    def uptime(self, connection_id: int, *, days: int) -> Uptime:
        """Time valid and time watched over the last `days` days; `report.uptime_text` says it."""
        self.actor.ensure(Action.READ)
        now = self.clock()
        return store.uptime_all(self.db, since=now - timedelta(days=days), now=now,
                                connection_id=connection_id).get(connection_id, Uptime())

    def report(self, *, client: str | None = None) -> report_module.Report:
        """The agency's report of every connection (`client` None), or one client's, in its language:
        with its reconnect links on, each connection whose access stopped working has its open link."""
        self.actor.ensure(Action.READ)
        connections, now = self.connections(clients=[client] if client is not None else None), self.clock()
        renew = client is not None and self.may(Action.MANAGE) and bool(self.settings.public_url) and getattr(
            self.client_contacts(client).get(client), "reconnect_links", False)
        made = {c.id: (url, link.expires_at) for c in connections if renew and c.status is Outcome.INVALID_TOKEN
                and links.renewing_application(self.db, c) for url, link in [self.invite(connection_id=c.id)]}
        say = speech_for(self.settings, client_language=contacts.languages(self.db).get(client))
        return report_module.make(connections, store.uptime_all(self.db, since=now - report_module.PERIOD, now=now),
                                  client=client, generated_at=now, agency=self.settings.agency_name,
                                  agency_contact=self.settings.agency_contact, links=made, say=say)

    def daily_outcomes(self, connection_id: int, *, days: int) -> list[dict]:
        self.actor.ensure(Action.READ)
        return store.daily_outcomes(self.db, connection_id, since=self.clock() - timedelta(days=days))

    def prune(self, *, older_than_days: int) -> tuple[int, str]:
        """Older checks as daily totals; returns (rows folded, first day kept in full)."""
        self.actor.ensure(Action.MANAGE)
        keep_from = (self.clock() - timedelta(days=older_than_days)).strftime("%Y-%m-%d")
        folded = store.prune_checks(self.db, before_day=keep_from)
        with immediate(self.db):
            self._event("history pruned", detail=f"{folded} checks before {keep_from} kept as daily totals")
        return folded, keep_from

    def events(self, *, connection_id: int | None = None, actor: str | None = None, action: str | None = None,
               limit: int = 100) -> list[Event]:
        """The activity log, newest first, filtered by connection, person and action."""
        self.actor.ensure(Action.AUDIT)
        return store.events(self.db, connection_id=connection_id, actor=actor, action=action, limit=limit)

    def event_people_and_actions(self) -> tuple[list[str], list[str]]:
        self.actor.ensure(Action.AUDIT)
        return store.event_people_and_actions(self.db)

    # -- watching and alerts ----------------------------------------------------------------

    def apply_alert_rules(self, *, holder: str | None = None) -> messages.AlertReport:
        """Evaluate the alert rules and send what they say (`messages.Messenger.apply_alert_rules`);
        a watcher (`holder`) writes only while it holds its lease."""
        self.actor.ensure(Action.CHECK)
        return self._messages.apply_alert_rules(holder=holder, stale_before=self._stale_before)

    def notify_targets(self) -> list[notify.Target]:
        """Every target: from COPERNICA_NOTIFY and from the dashboard (shown redacted only)."""
        self.actor.ensure(Action.MANAGE)
        return self._messages.agency_targets()

    def notify_target_labels(self) -> list[str]:
        """Where alerts go, by label only (for every reader: no address, no redacted URL)."""
        self.actor.ensure(Action.READ)
        return [t.label for t in self._messages.agency_targets()]

    def add_notify_target(self, url: str, *, label: str = "") -> messages.AddedTarget:
        """Store a target, and tell it at once what is broken now (`Messenger.brief`)."""
        self.actor.ensure(Action.MANAGE)
        refuse_problems(url=notify.url_problem(url), label=text_problem(label, name="Label", required=False))
        with immediate(self.db):
            target = notify.add_target(self.db, self.vault, label=label.strip() or notify.redact(url), url=url,
                                       now=self.clock())
            self._event("notification target added", detail=target.redacted)
        return self._messages.brief(target, store.list_connections(self.db, stale_before=self._stale_before))

    def delete_notify_target(self, target_id: int) -> None:
        self.actor.ensure(Action.MANAGE)
        with immediate(self.db):
            if not notify.delete_target(self.db, target_id):
                raise NotFound("This notification target no longer exists.")
            self._event("notification target deleted", detail=f"target #{target_id}")

    def send_test_notification(self, target_key: str) -> str:
        """Send a test message to one target now; '' if it was accepted, else why not."""
        self.actor.ensure(Action.MANAGE)
        target = next((t for t in self._messages.agency_targets() if t.key == target_key), None)
        if target is None:
            raise NotFound("This notification target no longer exists.")
        error = self._messages.send_test(target)
        with immediate(self.db):
            self._event("test notification sent", detail=f"{target.label}: " + (f"not delivered: {error}" if error
                                                                                 else "delivered"))
        return error

    def recent_deliveries(self, *, limit: int = 50) -> list[notify.Delivery]:
        self.actor.ensure(Action.READ)
        return notify.recent_deliveries(self.db, limit=limit)

    def watcher_status(self) -> watch.WatcherStatus:
        self.actor.ensure(Action.READ)
        return watch.status(self.db, now=self.clock())

    def copernica_calls(self) -> tuple[int, int]:
        """Calls to Copernica made by checks today and in the last 30 days (they are billed)."""
        self.actor.ensure(Action.READ)
        now = self.clock()
        return (store.calls_since(self.db, iso(now)[:10]),
                store.calls_since(self.db, iso(now - timedelta(days=29))[:10]))


def open_workspace(env: Mapping[str, str] | None = None, *, actor: Actor, **kwargs) -> Workspace:
    """Load the settings and open their workspace; raises ConfigError with a plain message."""
    return Workspace(load_settings(env), actor=actor, **kwargs)
