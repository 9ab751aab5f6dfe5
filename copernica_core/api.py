"""HTTP calls to Copernica: code exchange, JWT, identity. Every answer becomes a value.

Nothing here logs or raises with a URL: the token endpoint and v3 carry secrets in the
query string. Transport failures are named by kind, never by the library's message.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import heapq
import http.client
import itertools
import json
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit

import requests
import requests.auth
import urllib3
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session
from urllib3 import Timeout
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError, ProtocolError

from .config import Settings, allow_oauthlib_http_if_loopback
from .models import Account, Outcome, Verdict
from .secret import Secret, excerpt, install_log_scrubbing, scrub
from .validation import bounded_extra, clean_label

log = logging.getLogger("copernica_core")
install_log_scrubbing()

MAX_BODY_BYTES = 1_048_576
USER_AGENT = "copernica-connections/0.1"
_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")  # ASCII: it becomes a header
# A JWT's expiry is believed within these bounds (a wild `exp` must not reach the database).
_JWT_LIFETIME_CAP = timedelta(days=7)
_FALLBACK_JWT_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class Answer:
    """What came back from one HTTP call (or why nothing did)."""

    status: int | None
    content_type: str
    text: str
    latency_ms: float
    failure: Verdict | None = None
    retry_after: float | None = None
    truncated: bool = False
    location: str = ""

    def json(self) -> object | None:
        if "json" not in self.content_type and not self.text.lstrip().startswith(("{", "[", '"')):
            return None
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            return None

    @property
    def is_html(self) -> bool:
        head = self.text.lstrip()[:100].lower()
        return "html" in self.content_type or head.startswith(("<!doctype", "<html"))


class _NoNetrc(requests.auth.AuthBase):
    """Sends no credentials of its own. Set on the session so that requests never adds
    ~/.netrc credentials to calls to Copernica (it would look them up on every call)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class _Deadline:
    """Ends a call still running when its total time is up, by shutting down its socket:
    a read timeout only bounds the gap between two bytes, so a server dripping one byte a
    second would otherwise hold a call for as long as it likes."""

    def __init__(self, seconds: float | None) -> None:
        self.expired = self.cancelled = False
        self._connections: list = []
        self._lock = threading.Lock()
        if seconds:
            _DEADLINES.add(time.monotonic() + seconds, self)

    def watch(self, connection) -> None:
        with self._lock:
            self._connections.append(connection)
            if self.expired:
                _shut(connection)

    def expire(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.expired = True
            for connection in self._connections:
                _shut(connection)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            self._connections.clear()


class _Deadlines:
    """One thread that ends every call whose time is up (a timer per call would start and
    stop a thread per call: a third of a check's CPU). Cancelled deadlines stay in the heap
    until they come up, and are dropped then."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, at: float, deadline: _Deadline) -> None:
        with self._changed:
            heapq.heappush(self._heap, (at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():  # the first call, or after a fork
                self._thread = threading.Thread(target=self._run, name="http-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is deadline:  # sooner than what the thread waits for
                self._changed.notify()

    def _next_due(self) -> _Deadline:
        with self._changed:
            while True:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._changed.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._heap)[2]
                self._changed.wait(wait)

    def _run(self) -> None:
        while True:
            self._next_due().expire()


_DEADLINES = _Deadlines()


def _shut(connection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under TLS


_current = threading.local()


class _WatchedPool:
    """A connection pool that hands each connection it sends on to this thread's deadline."""

    def _make_request(self, conn, *args, **kwargs):
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(conn)
        return super()._make_request(conn, *args, **kwargs)


class _WatchedHTTPPool(_WatchedPool, HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_WatchedPool, HTTPSConnectionPool):
    pass


def _total_seconds(timeout) -> float | None:
    if isinstance(timeout, tuple):
        parts = [t for t in timeout if t is not None]
        return sum(parts) if parts else None
    return timeout


class CappedAdapter(HTTPAdapter):
    """Every call through it has a limit on its total time (connect, headers and body: the
    `timeout` given) and reads at most MAX_BODY_BYTES of any answer, whoever asks for it
    (requests-oauthlib reads the whole body to log it), so that no server can hold a check
    or exhaust memory."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        kwargs["stream"] = True
        deadline = _current.deadline = _Deadline(_total_seconds(kwargs.get("timeout")))
        try:
            try:
                response = super().send(request, **kwargs)
                chunks, size = [], 0
                try:
                    for chunk in response.iter_content(65536):
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > MAX_BODY_BYTES:
                            break
                finally:
                    response.close()
            except requests.RequestException:
                if deadline.expired:
                    raise requests.Timeout("the total time limit was reached") from None
                raise
            if deadline.expired:
                raise requests.Timeout("the total time limit was reached")
        finally:
            deadline.cancel()
            _current.deadline = None
        response._content = b"".join(chunks)[:MAX_BODY_BYTES]
        response.truncated = size > MAX_BODY_BYTES
        return response


def prepare_session(session: requests.Session) -> requests.Session:
    session.headers["User-Agent"] = USER_AGENT
    session.verify = True
    session.auth = _NoNetrc()
    # No call to Copernica follows a redirect: its Location may repeat the request's query
    # (client secret, code, token) or point anywhere. requests-oauthlib's fetch_token has no
    # allow_redirects switch, so the session refuses them (TooManyRedirects, nothing sent).
    session.max_redirects = 0
    for scheme in ("http://", "https://"):
        session.mount(scheme, CappedAdapter())
    return session


class _Session(requests.Session):
    """A session that reads the environment's proxy and CA settings once per host rather
    than on every call (requests scans os.environ each time: a tenth of a check's CPU)."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple, dict] = {}
        self._pools: dict[tuple[str, str], HTTPConnectionPool] = {}  # by scheme and host, for `direct`
        self._base_headers: dict[str, str] | None = None

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        if proxies or not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        if key not in self._environment:
            self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings = self._environment[key]
        return {**settings, "proxies": dict(settings["proxies"])}


    def direct(self, method: str, url: str, *, timeout: float, headers: dict | None = None,
               params: dict | None = None, data: dict | None = None) -> Answer | None:
        """The call straight through urllib3, with the same limits, headers, TLS settings and
        errors as through requests, at a third less CPU (a check-all is CPU-bound at 16
        workers on two cores). None when the transport is requests' own (`TRANSPORT`), or a
        proxy applies."""
        if TRANSPORT != DIRECT:
            return None
        parts = urlsplit(url)
        pool = self._pools.get(parts[:2])
        if pool is None:
            environment = self.merge_environment_settings(url, {}, True, self.verify, self.cert)
            if requests.utils.select_proxy(url, environment["proxies"]):
                return None
            adapter = self.get_adapter(url)
            probe = requests.PreparedRequest()
            probe.url = url
            pool = adapter.get_connection_with_tls_context(probe, environment["verify"], cert=environment["cert"])
            adapter.cert_verify(pool, url, environment["verify"], environment["cert"])
            self._pools[parts[:2]] = pool
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")  # origin-form, as requests sends
        if params:
            target += ("&" if parts.query else "?") + urlencode(params)
        body = urlencode(data) if data is not None else None
        if self._base_headers is None:  # the session's own (prepare_session sets them before any call)
            self._base_headers = dict(self.headers)
        sent = {**self._base_headers, **headers} if headers else dict(self._base_headers)
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Content-Length"] = str(len(body.encode()))
        started = time.perf_counter()
        deadline = _current.deadline = _Deadline(timeout)
        try:
            try:
                response = pool.urlopen(method, target, body=body, headers=sent, redirect=False, assert_same_host=False,
                                        preload_content=False, decode_content=False, retries=_NO_RETRIES,
                                        timeout=_timeout(timeout))
                chunks, size = [], 0
                try:
                    for chunk in response.stream(65536, decode_content=True):
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > MAX_BODY_BYTES:
                            break
                except BaseException:
                    response.close()  # never back into the pool half read
                    raise
                if size > MAX_BODY_BYTES:
                    response.close()
                else:
                    response.release_conn()
            except (urllib3.exceptions.HTTPError, OSError) as error:
                if deadline.expired:
                    raise requests.Timeout("the total time limit was reached") from None
                raise _as_requests_error(error) from error
            if deadline.expired:
                raise requests.Timeout("the total time limit was reached")
        finally:
            deadline.cancel()
            _current.deadline = None
        content = b"".join(chunks)[:MAX_BODY_BYTES]
        return Answer(
            status=response.status, content_type=response.headers.get("Content-Type", "").lower(),
            text=_decode(content, requests.utils.get_encoding_from_headers(response.headers)),
            latency_ms=(time.perf_counter() - started) * 1000,
            retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
            truncated=size > MAX_BODY_BYTES, location=response.headers.get("Location", ""))


@functools.lru_cache(maxsize=8)
def _timeout(seconds: float) -> Timeout:
    return Timeout(connect=seconds, read=seconds)


# How a call reaches the network, chosen explicitly (httpx's transport is the model), never
# guessed from what a test replaced: DIRECT goes straight through urllib3 with requests' limits,
# headers, TLS settings and errors (a third less CPU per check); REQUESTS goes through requests'
# adapter, where `responses` answers for Copernica in the unit tests of this client
# (tests/conftest.py, `copernica_double`). A proxy in the environment takes requests' path too.
DIRECT, REQUESTS = "direct", "requests"
TRANSPORT = DIRECT
_NO_RETRIES = urllib3.util.Retry(0, read=False)  # as requests' adapter: a failed call is this check's outcome


def _as_requests_error(error: BaseException) -> requests.RequestException:
    """urllib3's error as the one requests would raise for it (see `_transport_failure`)."""
    reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
            reason, urllib3.exceptions.NewConnectionError):
        return requests.ConnectTimeout(error)
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
        return requests.ReadTimeout(error)
    if isinstance(reason, urllib3.exceptions.SSLError):
        return requests.exceptions.SSLError(error)
    return requests.ConnectionError(error)


def new_http_session() -> requests.Session:
    return prepare_session(_Session())


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _closed_without_answer(error: BaseException) -> bool:
    """Whether the server took the connection and closed it before answering (an overloaded
    Copernica does this), as opposed to a connection that could not be made at all."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None or isinstance(seen, NewConnectionError | ConnectionRefusedError):
            return False
        if isinstance(seen, http.client.RemoteDisconnected | ConnectionResetError | ConnectionAbortedError
                      | ProtocolError):
            return True
        nested = [a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)]
        seen = getattr(seen, "reason", None) or (nested[-1] if nested else None) or seen.__cause__ or seen.__context__
    return False


def _transport_failure(error: requests.RequestException, url: str, timeout: float, started: float) -> Answer:
    host = urlsplit(url).hostname or "Copernica"
    if isinstance(error, requests.Timeout):
        message = f"Copernica ({host}) did not answer within {timeout:g} s."
    elif isinstance(error, requests.exceptions.SSLError):
        message = f"The secure (TLS) connection to Copernica ({host}) failed: certificate or protocol."
    elif isinstance(error, requests.ConnectionError) and _closed_without_answer(error):
        message = f"Copernica ({host}) closed the connection without answering."
    elif isinstance(error, requests.ConnectionError):
        message = f"Could not connect to Copernica ({host})."
    else:
        message = f"The request to Copernica ({host}) failed ({type(error).__name__})."
    latency = (time.perf_counter() - started) * 1000
    failure = Verdict(Outcome.UNAVAILABLE, message, latency_ms=latency, detail=type(error).__name__)
    return Answer(None, "", "", latency, failure=failure)


def _decode(body: bytes, encoding: str | None) -> str:
    """The body as text; a charset Python does not know (`utf8mb4`) is read as UTF-8."""
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def answer_from(response: requests.Response, started: float) -> Answer:
    return Answer(
        status=response.status_code,
        content_type=response.headers.get("Content-Type", "").lower(),
        text=_decode(response.content, response.encoding),
        latency_ms=(time.perf_counter() - started) * 1000,
        retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
        truncated=getattr(response, "truncated", False),
        location=response.headers.get("Location", ""),
    )


def send(session: requests.Session, method: str, url: str, *, timeout: float, **kwargs) -> Answer:
    """One HTTP call with a timeout, verified TLS, no redirects and a capped body."""
    started = time.perf_counter()
    try:
        if isinstance(session, _Session) and (answer := session.direct(method, url, timeout=timeout, **kwargs)):
            return answer
        response = session.request(method, url, timeout=timeout, allow_redirects=False, verify=True, **kwargs)
    except requests.TooManyRedirects as error:  # max_redirects = 0: a redirect, not followed
        response = error.response
    except requests.RequestException as error:
        return _transport_failure(error, url, timeout, started)
    return answer_from(response, started)


def error_message(answer: Answer) -> str:
    """Copernica's own error message if the body has one, else a short redacted excerpt."""
    data = answer.json()
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return excerpt(error["message"], 300)
        if isinstance(error, str):
            description = data.get("error_description") or data.get("message") or ""
            return excerpt(f"{error} {description}".strip(), 300)
        if isinstance(data.get("message"), str):
            return excerpt(data["message"], 300)
    if answer.is_html:
        title = re.search(r"<title>(.*?)</title>", answer.text[:65536], re.I | re.S)
        return "an HTML page" + (f" ({excerpt(' '.join(title.group(1).split()), 100)})" if title else "")
    text = " ".join(answer.text[:65536].split())
    return excerpt(text, 200) if text else "an empty body"


def where_to(location: str) -> str:
    """Where a redirect points, without its query (it may carry secrets)."""
    parts = urlsplit(location.strip())
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
    return scrub(shown)[:200] or "nowhere"


def redirect_refused(answer: Answer, *, what: str) -> Verdict:
    return Verdict(
        Outcome.UNEXPECTED,
        f"{what}: Copernica answered with a redirect (HTTP {answer.status}) to {where_to(answer.location)}; "
        "redirects are never followed, because the request carries secrets.",
        http_status=answer.status, latency_ms=answer.latency_ms, detail=f"redirect to {where_to(answer.location)}")


# What a refusal (HTTP 400, 401 or 403) means where it came from (docs/copernica.md):
REFUSES_ACCESS_TOKEN = "access token"  # noqa: S105 (a kind of refusal) the JWT server, or identity on v1-v3
REFUSES_JWT = "jwt"  # identity on v4: the JWT was refused, not necessarily the access token
_OVERLOAD_STATUSES = (502, 503, 504)


def invalid_token_advice(api_version: int) -> str:
    """What to do about a refused token, with the refusals peculiar to Copernica."""
    advice = (f"{Outcome.INVALID_TOKEN.hint} If the token still shows in Marketing Suite: a token limited "
              "to certain IP addresses is refused from other addresses, so allow this dashboard's "
              "server address there")
    if api_version != 4:
        advice += ("; and a token created for REST API v4 only is refused on v1–v3 addresses "
                   f"(this dashboard uses v{api_version}: set COPERNICA_API_VERSION=4)")
    return advice + "."


def refusal(answer: Answer, *, what: str, refuses: str | None = None, api_version: int = 4) -> Verdict:
    """Classify an answer that is not the success we wanted (docs/copernica.md). `refuses`
    says what an HTTP 400, 401 or 403 from this endpoint refuses; Copernica answers 400 for
    nearly every error, so its message is kept, not matched."""
    if answer.failure is not None:
        return answer.failure
    if answer.status is not None and 300 <= answer.status < 400:
        return redirect_refused(answer, what=what)
    status, message = answer.status, error_message(answer)
    common = {"http_status": status, "latency_ms": answer.latency_ms, "detail": f"{what}: HTTP {status}: {message}"}
    if status == 429:
        wait = f" Retry after {answer.retry_after:g} s." if answer.retry_after is not None else ""
        return Verdict(
            Outcome.RATE_LIMITED, f"Copernica asked to slow down (too many requests).{wait}",
            retry_after=answer.retry_after, **common,
        )
    if status in _OVERLOAD_STATUSES and answer.is_html:
        busy = "too many requests" in answer.text[:65536].lower()
        return Verdict(Outcome.UNAVAILABLE, (
            "Copernica is overloaded: its load balancer answered that there are too many requests to handle."
            if busy else f"Copernica is briefly unavailable: its load balancer answered with an error page ({status})."
        ) + " This passes by itself; checks are retried.", **common)
    if status is not None and status >= 500:
        return Verdict(Outcome.UNAVAILABLE, f"Copernica had a server error ({message}).", **common)
    refused = status in (401, 403) or (status == 400 and "invalid method" not in message.lower())
    if refuses and refused:
        whom = "the connection's access" if refuses == REFUSES_JWT else "this access token"
        return Verdict(
            Outcome.INVALID_TOKEN, f"Copernica refused {whom} (“{message}”): the token was revoked, or it is wrong.",
            advice=invalid_token_advice(api_version), **common)
    if status is not None and 200 <= status < 300:
        kind = "an HTML page" if answer.is_html else "something that is not the expected JSON"
        return Verdict(Outcome.UNEXPECTED, f"{what}: Copernica answered HTTP {status} with {kind}.", **common)
    return Verdict(Outcome.UNEXPECTED, f"{what}: Copernica answered HTTP {status}: {message}.", **common)


def jwt_claims(jwt: str) -> dict:
    """A JWT's payload, not verified (we only read `exp` and, in the sandbox, `sub`); {} if
    it has none that can be read."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


def jwt_expiry(jwt: str, *, now: datetime | None = None) -> datetime:
    """When to stop reusing a JWT: its `exp` claim, kept between now and a week ahead (an
    absurd `exp` must neither break the database's dates nor keep a JWT for years)."""
    now = now or datetime.now(UTC)
    try:
        expires = datetime.fromtimestamp(float(jwt_claims(jwt)["exp"]), UTC)
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        return now + _FALLBACK_JWT_LIFETIME
    return min(max(expires, now), now + _JWT_LIFETIME_CAP)


def parse_jwt_body(answer: Answer) -> str | None:
    """The JWT from the auth server's answer: a bare body, a JSON string, or a JSON object."""
    data = answer.json()
    if isinstance(data, dict):
        data = next((data[k] for k in ("token", "access_token", "jwt") if isinstance(data.get(k), str)), None)
    candidate = (data if isinstance(data, str) else answer.text).strip()
    return candidate if _JWT_SHAPE.match(candidate) else None


def parse_account(answer: Answer) -> Account | None:
    """The account from identity's JSON, flat or under `data`; None if there is none."""
    data = answer.json()
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    if not isinstance(data, dict):
        return None
    raw_id = data.get("id", data.get("ID"))
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or str(raw_id).strip() == "":
        return None

    account_id = str(raw_id).strip()
    if len(account_id) > ACCOUNT_ID_MAX or not account_id.isprintable():
        return None

    def text(key: str) -> str:
        value = data.get(key, data.get(key.capitalize()))
        return clean_label(value, max_len=ACCOUNT_TEXT_MAX) if isinstance(value, str) else ""

    extra = bounded_extra({k: data[k] for k in ("customer", "usedBy", "license") if k in data})
    return Account(
        id=account_id, name=text("name"), description=text("description"),
        company=text("company"), extra=extra,
    )


ACCOUNT_ID_MAX = 64
ACCOUNT_TEXT_MAX = 300
@dataclass(frozen=True)
class JwtReply:
    jwt: Secret | None
    expires_at: datetime | None
    failure: Verdict | None
    answer: Answer


@dataclass(frozen=True)
class IdentityReply:
    account: Account | None
    failure: Verdict | None
    answer: Answer


@dataclass(frozen=True)
class ExchangeReply:
    token: Secret | None
    failure: Verdict | None
    said: str = ""  # Copernica's own words when it answered but did not hand out a token (redacted)


class _Refused(Exception):
    def __init__(self, failure: Verdict, said: str) -> None:
        super().__init__("token endpoint refused")
        self.failure, self.said = failure, said


class CopernicaAPI:
    """Copernica's endpoints as configured in `settings`, over one HTTP session."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or new_http_session()

    def _url(self, path: str) -> str:
        return f"{self.settings.api_url}/v{self.settings.api_version}/{path}"

    def fetch_jwt(self, token: Secret) -> JwtReply:
        answer = send(
            self.session, "POST", self.settings.auth_url,
            data={"access_token": token.reveal()}, timeout=self.settings.timeout,
        )
        jwt = parse_jwt_body(answer) if answer.status == 200 else None
        if jwt is None:
            failure = refusal(answer, what="JWT server", refuses=REFUSES_ACCESS_TOKEN,
                              api_version=self.settings.api_version)
            return JwtReply(None, None, failure, answer)
        return JwtReply(Secret(jwt), jwt_expiry(jwt), None, answer)

    def identity(self, *, token: Secret | None = None, jwt: Secret | None = None) -> IdentityReply:
        """v4 with a JWT as Bearer; v1-v3 with the token as query parameter."""
        if jwt is not None:
            kwargs = {"headers": {"Authorization": f"Bearer {jwt.reveal()}", "Accept": "application/json"}}
        else:
            assert token is not None
            kwargs = {"params": {"access_token": token.reveal()}, "headers": {"Accept": "application/json"}}
        answer = send(self.session, "GET", self._url("identity"), timeout=self.settings.timeout, **kwargs)
        account = parse_account(answer) if answer.status == 200 else None
        if account is None:
            refuses = REFUSES_JWT if jwt is not None else REFUSES_ACCESS_TOKEN
            failure = refusal(answer, what="Identity", refuses=refuses, api_version=self.settings.api_version)
            return IdentityReply(None, failure, answer)
        return IdentityReply(account, None, answer)

    def exchange_code(
        self, *, client_key: str, client_secret: Secret, redirect_uri: str, code: Secret
    ) -> ExchangeReply:
        """Trade an authorization code for an access token: GET {api}/v{n}/token."""
        token_url = self._url("token")
        oauth = prepare_session(OAuth2Session(client_key, redirect_uri=redirect_uri))
        started = time.perf_counter()

        def classify(response: requests.Response) -> requests.Response:
            answer = answer_from(response, started)
            data = answer.json()
            if response.status_code != 200 or not (
                isinstance(data, dict) and isinstance(data.get("access_token"), str) and data["access_token"]
            ):
                said = "" if answer.is_html else error_message(answer)  # a page has no words to quote
                raise _Refused(refusal(answer, what="Token exchange"), said)
            # Copernica sends only access_token; oauthlib wants a token type.
            response._content = json.dumps(
                {"access_token": data["access_token"], "token_type": "Bearer"}
            ).encode()
            return response

        oauth.register_compliance_hook("access_token_response", classify)
        allow_oauthlib_http_if_loopback(token_url)
        try:
            token = oauth.fetch_token(
                token_url, code=code.reveal(), client_secret=client_secret.reveal(),
                include_client_id=True, method="GET", timeout=self.settings.timeout, verify=True,
            )
        except _Refused as refused:
            return ExchangeReply(None, refused.failure, refused.said)
        except requests.TooManyRedirects as error:
            return ExchangeReply(None, redirect_refused(answer_from(error.response, started), what="Token exchange"))
        except requests.RequestException as error:
            return ExchangeReply(None, _transport_failure(error, token_url, self.settings.timeout, started).failure)
        except Exception as error:  # oauthlib's own parse errors; never echo their text
            log.warning("token exchange failed: %s", type(error).__name__)
            unreadable = Verdict(Outcome.UNEXPECTED, "Token exchange: Copernica's answer could not be read.")
            return ExchangeReply(None, unreadable)
        finally:
            oauth.close()
        return ExchangeReply(Secret(token["access_token"]), None)
