"""The authorization-code flow: issue a state, build the link, explain how a callback ended
(docs/architecture.md, "The flow")."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from requests_oauthlib import OAuth2Session

from . import store
from .api import CopernicaAPI
from .clock import iso, parse_iso
from .config import allow_oauthlib_http_if_loopback
from .crypto import Keyring
from .errors import DamagedSecret
from .inspection import inspect_token
from .models import Account, Outcome, Verdict
from .secret import Secret
from .store import connect_links, immediate, states
from .store.engine import Database
from .validation import credential_problem, text_problem, url_problem

STATE_TTL = timedelta(minutes=10)
STATE_BYTES = 32


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def browser_hash(browser: str) -> str:
    """What is stored of the random value a connect link's page keeps in the client's browser
    (a cookie): its authorization completes only where that value comes back."""
    return hashlib.sha256(b"copernica-connections browser\0" + browser.encode()).hexdigest()


@dataclass(frozen=True)
class PendingAuthorization:
    state_hash: str
    application_id: int
    redirect_uri: str
    connection_id: int | None
    expected_account_id: str | None
    created_at: str
    expires_at: str
    used_at: str | None
    result: str | None
    started_by: str | None = None
    client: str | None = None  # the client a new connection will serve
    invitation_id: int | None = None  # started from a connect link: completes for that link only
    browser_hash: str | None = None  # started from a connect link: completes only in that browser


@dataclass(frozen=True)
class AuthorizationResult:
    """How a callback ended. Holds no secret, so it can be stored and shown again on replay."""

    status: Literal["connected", "refused", "failed", "mismatch"]
    title: str
    message: str
    hint: str = ""
    connection_id: int | None = None
    account: Account | None = None
    replaced: bool = False
    replayed: bool = False
    # Why it ended so, for words of another reader's own (a client's page, in its language):
    # denied, error, no_code, state, other_browser, expired, unavailable, not_accepted, unverified,
    # wrong_account, taken, link; '' when connected (or for a reason that has no words of its own).
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "connected"

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if k != "replayed"})

    @classmethod
    def from_json(cls, text: str) -> AuthorizationResult:
        data = json.loads(text)
        account = data.pop("account", None)
        return cls(**data, account=Account(**account) if account else None)


# What the activity log says of a client's attempt through a connect link that did not connect.
LINK_ATTEMPTS = {
    "denied": "client denied access at Copernica",
    "wrong_account": "client chose another account at Copernica",
    "taken": "client chose an account connected for another client",
    "unavailable": "Copernica could not be reached for a client's link",
    "link": "a client's link could no longer be used",
}

# Every callback ends on the Authorize page, where the button is.
START_AGAIN = "Click “Authorize with Copernica” below to start again"


def without_code(url: str) -> str:
    """A pasted redirect address with its authorization code hidden, to put back in the field
    after it failed (a code is a secret; it works only once anyway)."""
    return re.sub(r"([?&#]code=)[^&#]*", r"\1(hidden)", url.strip())


def refused(title: str, message: str, hint: str = "", *, reason: str = "") -> AuthorizationResult:
    return AuthorizationResult("refused", title, message, hint, reason=reason)


# What Copernica's words about a refused code exchange point to (its error bodies are not
# documented: docs/copernica.md, "The token exchange").
_CAUSES = (
    (("code",), "The authorization code expired or was already used: Copernica accepts each code "
                "once, shortly after the user gave access."),
    (("client", "credential", "secret"), "The application's client key or client secret does not match "
                                          "Copernica's: copy the client secret again from Marketing Suite "
                                          "and save it on the Credentials page."),
    (("redirect",), "The redirect URI differs from the one registered for this application in Copernica: "
                    "it must be exactly {redirect_uri}"),
)


def exchange_failed(failure: Verdict, said: str, *, redirect_uri: str) -> AuthorizationResult:
    """How a failed code exchange is explained: what Copernica said, and its likely cause."""
    if failure.outcome in (Outcome.UNAVAILABLE, Outcome.RATE_LIMITED):
        return AuthorizationResult(
            "failed", "Copernica could not be reached", failure.message + " Nothing was stored.",
            f"{START_AGAIN} in a few minutes (the code Copernica sent works only once).", reason="unavailable")
    lowered = said.lower()
    causes = [text.format(redirect_uri=redirect_uri) for words, text in _CAUSES if any(w in lowered for w in words)]
    if not causes:
        causes = [text.format(redirect_uri=redirect_uri) for _, text in _CAUSES]
        causes[0] = "Possible causes: " + causes[0][0].lower() + causes[0][1:]
    message = (f"Copernica answered: “{said}”." if said else failure.message) + " Nothing was stored."
    return AuthorizationResult(
        "failed", "Copernica did not accept the authorization", message,
        " ".join(causes) + " Then start again from the Authorize page.", reason="not_accepted")


def issue_state(
    db: Database, *, application_id: int, redirect_uri: str, now: datetime, started_by: str,
    connection_id: int | None = None, expected_account_id: str | None = None, client: str | None = None,
    invitation_id: int | None = None, browser: str | None = None,
) -> str:
    """A fresh single-use state, remembering who started it (and, for a connect link, in which
    browser); only its hash is stored."""
    state = secrets.token_urlsafe(STATE_BYTES)
    states.insert(db, state_hash=state_hash(state), application_id=application_id, redirect_uri=redirect_uri,
                  connection_id=connection_id, expected_account_id=expected_account_id, created_at=iso(now),
                  expires_at=iso(now + STATE_TTL), started_by=started_by, client=client, invitation_id=invitation_id,
                  browser_hash=browser_hash(browser) if browser else None, forget_before=iso(now - timedelta(days=7)))
    return state


def authorization_url(authorize_url: str, *, client_key: str, redirect_uri: str, state: str) -> str:
    allow_oauthlib_http_if_loopback(authorize_url)
    session = OAuth2Session(client_key, redirect_uri=redirect_uri, state=state)
    url, _ = session.authorization_url(authorize_url)
    session.close()
    return url


@dataclass
class Consumed:
    pending: PendingAuthorization | None = None
    previous: AuthorizationResult | None = None
    problem: AuthorizationResult | None = None


def started_by(db: Database, state: str, *, now: datetime) -> str | None:
    """Who started the authorization this state belongs to (holding the state proves it was
    handed to that person's browser), while it waits to be used: None for an unknown, used or
    expired state, whose replayed address must show nobody anything."""
    row = states.waiting(db, state_hash(state), now=iso(now))
    return row["started_by"] if row else None


def waiting_link(db: Database, state: str, *, now: datetime) -> int | None:
    """The connect link whose authorization this state is, while it waits to be used."""
    row = states.waiting(db, state_hash(state), now=iso(now))
    return row["invitation_id"] if row else None


def consume_state(db: Database, state: str, *, now: datetime, acting_as: str,
                  browser: str | None = None) -> Consumed:
    """Mark the state used, atomically, and return its row; or say why it cannot be used.
    A state started by someone else, or through a connect link in another browser, is refused
    and left for its owner."""
    with immediate(db):
        row = states.get(db, state_hash(state))
        if row is None:
            return Consumed(problem=refused(
                "This authorization link is not ours",
                "The state in the address does not belong to any authorization started here. "
                "It may be forged, or it was started on another dashboard or database.",
                f"{START_AGAIN}.",
            ))
        pending = PendingAuthorization(**row)
        if pending.started_by and pending.started_by != acting_as:
            return Consumed(problem=refused(
                "This authorization was started by someone else",
                f"{pending.started_by} started it; you are signed in as {acting_as}. Nothing was changed.",
                "Sign in as the person who started it, or start your own from the Authorize page.",
            ))
        if pending.invitation_id is not None and not (
                pending.browser_hash and browser and hmac.compare_digest(pending.browser_hash, browser_hash(browser))):
            return Consumed(problem=refused(  # login CSRF: someone forwarded their link's consent page
                "This was started in another browser",
                "The link you were sent was opened in another browser, so giving access cannot finish here. "
                "Nothing was changed.",
                "Open the link you were sent in this browser, and continue from there.", reason="other_browser",
            ))
        if pending.used_at is not None:
            if pending.result:
                previous = AuthorizationResult.from_json(pending.result)
                return Consumed(pending, previous=AuthorizationResult(
                    **{**asdict(previous), "account": previous.account, "replayed": True}
                ))
            return Consumed(problem=refused(
                "This authorization is already being completed",
                "The same link was opened twice at once; the first one is finishing it.",
                "Open the Overview in a moment to see the connection.",
            ))
        if parse_iso(pending.expires_at) < now:
            return Consumed(problem=refused(
                "This authorization expired",
                f"Authorizations must be completed within {int(STATE_TTL.total_seconds() // 60)} "
                "minutes of following the link.",
                f"{START_AGAIN}.", reason="expired",
            ))
        states.mark_used(db, pending.state_hash, at=iso(now))
        return Consumed(pending)


def finish_state(db: Database, pending: PendingAuthorization, result: AuthorizationResult) -> None:
    states.set_result(db, pending.state_hash, result.to_json())


def callback_params(url: str) -> dict[str, str]:
    """`code`, `state`, `error` and `error_description` from a pasted redirect URL."""
    parts = urlsplit(url.strip())
    query = parse_qs(parts.query or parts.fragment, keep_blank_values=True)
    return {k: v[0] for k, v in query.items() if k in ("code", "state", "error", "error_description") and v}


@dataclass
class Callback:
    """Completing one redirect back from Copernica: consume the state first, then exchange
    the code, verify the token and store the connection. What it needs from the workspace
    comes in as fields; `record_event` writes an audit event as the acting person."""

    db: Database
    vault: Keyring
    api: CopernicaAPI
    now: Callable[[], datetime]
    record_event: Callable[..., None]
    acting_as: str  # the person completing it: the one who started it, or nobody
    browser: str | None = None  # the value a connect link's page kept in this browser (its cookie)

    def complete_url(self, url: str) -> AuthorizationResult:
        """Finish a flow from the full redirect URL pasted by the user."""
        if url_problem(url, name="The address") or not callback_params(url).get("state"):
            return refused(
                "That is not a redirect address from Copernica",
                "Paste the whole address from the browser's address bar after Copernica sent you "
                "back; it contains state=… and code=…")
        params = callback_params(url)
        return self.complete(
            code=params.get("code"), state=params.get("state"), error=params.get("error"),
            error_description=params.get("error_description"))

    def complete(
        self, *, code: str | None, state: str | None, error: str | None = None,
        error_description: str | None = None,
    ) -> AuthorizationResult:
        """Complete a callback: consume the state first, then exchange, verify and store."""
        if not state or credential_problem(state, name="state", max_len=200):
            return refused(
                "Copernica sent you back without a usable state",
                "The address has no valid state parameter, so it cannot be matched to an "
                "authorization started here.", f"{START_AGAIN}.")
        consumed = consume_state(self.db, state, now=self.now(), acting_as=self.acting_as, browser=self.browser)
        if consumed.problem or consumed.previous:
            return consumed.problem or consumed.previous
        pending = consumed.pending
        result = self._finish_callback(pending, code=code, error=error, error_description=error_description)
        with immediate(self.db):
            finish_state(self.db, pending, result)
            if pending.invitation_id is not None and not result.ok:  # the agency hears every attempt
                self.record_event(LINK_ATTEMPTS.get(result.reason, "connecting through a link failed"),
                                  connection_id=pending.connection_id,
                                  detail=f"link #{pending.invitation_id}: {result.title}"
                                  + (f" (account {result.account.id})" if result.account else ""))
        return result

    def _finish_callback(self, pending: PendingAuthorization, *, code: str | None,
                         error: str | None, error_description: str | None) -> AuthorizationResult:
        if error and error.strip():
            code_name = error.strip()
            denied = code_name == "access_denied"
            reason = (error_description or "").strip()
            if text_problem(reason, name="reason", max_len=300):
                reason = ""  # not something to echo back
            named = f" “{code_name}”" if re.fullmatch(r"[\w.-]{1,60}", code_name) else ""
            return refused(
                "Access was not granted" if denied else "Copernica reported an error",
                ("The Copernica user chose not to give access." if denied
                 else f"Copernica answered with an error{named}.")
                + (f" Copernica said: {reason}" if reason else ""),
                f"{START_AGAIN} if this was a mistake.", reason="denied" if denied else "error")
        if not code or credential_problem(code, name="code", max_len=1000):
            return refused(
                "Copernica sent you back without an authorization code",
                "This happens when access was not given, or when Copernica found the request's "
                "state too weak. Nothing was stored.", f"{START_AGAIN}.", reason="no_code")
        app = store.get_application(self.db, pending.application_id)
        if app is None:
            return refused("The application was deleted", "The application this "
                                 "authorization was started for no longer exists.")
        try:
            client_secret = store.application_secret(self.db, self.vault, app.id)
        except DamagedSecret:
            return AuthorizationResult(
                "failed", "The stored client secret cannot be read",
                "The application's client secret in the database cannot be decrypted (damaged data).",
                "Enter the client secret again on the Credentials page, then authorize again.")
        api = self.api
        exchange = api.exchange_code(client_key=app.client_key, client_secret=client_secret,
                                        redirect_uri=pending.redirect_uri, code=Secret(code.strip()))
        if exchange.failure:
            return exchange_failed(exchange.failure, exchange.said, redirect_uri=pending.redirect_uri)
        inspection = inspect_token(api, exchange.token)
        check = inspection.result
        if check.outcome is not Outcome.VALID:
            return AuthorizationResult(
                "failed", "The new access token could not be verified", check.message, check.hint, reason="unverified")
        account = check.account
        if pending.expected_account_id and account.id != pending.expected_account_id:
            conn = store.find_connection_by_id(self.db, pending.connection_id) if pending.connection_id else None
            name = f"“{conn.account.name}” (id {conn.account.id})" if conn else f"id {pending.expected_account_id}"
            return AuthorizationResult(
                "mismatch", "You authorized a different account",
                f"You authorized account “{account.name}” (id {account.id}); this connection is "
                f"account {name}. Nothing was changed.",
                "To re-authorize this connection, choose the right account at Copernica. To add "
                f"“{account.name}” as a connection of its own, authorize without choosing a connection.",
                account=account, reason="wrong_account")
        with immediate(self.db):
            if pending.invitation_id is not None and (refusal := self._link_refusal(pending, account)):
                return refusal
            connection_id, replaced = store.save_connection(
                self.db, self.vault, application_id=app.id, account=account, token=exchange.token,
                label=None, result=check, new_jwt=inspection.new_jwt, now=self.now(),
                client=None if pending.connection_id is not None else pending.client,  # a reconnect keeps its client
                connection_id=pending.connection_id)
            if pending.invitation_id is not None:
                connect_links.set_used_connection(self.db, pending.invitation_id, connection_id)
            self.record_event("connected through a link" if pending.invitation_id is not None else "authorized",
                              application_id=app.id, connection_id=connection_id,
                              detail=f"account {account.id}; token {exchange.token.fingerprint()}"
                              + ("; replaced the previous token" if replaced else "")
                              + (f"; link #{pending.invitation_id}" if pending.invitation_id is not None else ""))
        return AuthorizationResult(
            "connected", "Connected" if not replaced else "Re-authorized",
            f"Copernica account “{account.name}” (id {account.id}"
            + (f", {account.company}" if account.company else "") + ") is connected"
            + (": its token was replaced and its history kept." if replaced else "."),
            connection_id=connection_id, account=account, replaced=replaced)

    def _link_refusal(self, pending: PendingAuthorization, account) -> AuthorizationResult | None:
        """A connect link's rules, checked in the transaction that would store the connection:
        the link is still usable, and a new connection never takes over another client's."""
        link = connect_links.get(self.db, pending.invitation_id)
        if link is None or (why := link.refusal(self.now())):
            return refused("This link can no longer be used", why if link else "This link no longer exists.",
                           reason="link")
        if link.connection_id is None and not link.allow_replace:
            existing = store.find_connection_by_id(
                self.db, store.find_connection(self.db, application_id=pending.application_id,
                                               account_id=account.id) or 0)
            if existing is not None and existing.client != (pending.client or ""):
                self.record_event("connect link refused", connection_id=existing.id,
                                  detail=f"link #{link.id}: account {account.id} is already connected for "
                                         f"another client")
                return AuthorizationResult(
                    "mismatch", "This account is already connected for someone else",
                    f"Copernica account “{account.name}” (id {account.id}) is already connected here for another "
                    "client, so this link cannot connect it. Nothing was changed.",
                    "Choose the account this link is meant for, or ask the agency that sent it.", account=account,
                    reason="taken")
        if not connect_links.mark_used(self.db, link.id, connection_id=pending.connection_id, now=self.now()):
            return refused("This link can no longer be used", "It was used or withdrawn a moment ago.", reason="link")
        return None
