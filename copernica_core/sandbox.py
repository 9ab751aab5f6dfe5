"""A local stand-in for Copernica, for trying the product and for tests.

It serves the consent page, the token endpoints, the JWT server and identity on loopback,
with demo credentials and accounts, and admin controls under `/_sandbox/` to revoke
tokens, add latency and inject failures.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import html
import json
import os
import secrets
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

DEMO_CLIENT_KEY = "demo-app-4f1c2b"
DEMO_CLIENT_SECRET = "demo-secret-7d9e0a1b2c3d4e5f"
JWT_PATH = "/authenticate"
MIN_STATE_LENGTH = 16
FAULT_KINDS = ("html503", "json500", "429", "hang", "html200", "empty", "huge", "close", "drip", "drip_headers",
               "deep_json", "deep_json500", "unicode_jwt", "odd_charset", "redirect",
               "overload503", "overload504", "html502")
# Refusal shapes, each a sandbox setting (POST /_sandbox/settings) so tests can meet them all.
JWT_REFUSALS = {  # identity, for a JWT it does not accept (expired, or signed with an old key)
    "401": (401, "application/json", {"error": {"message": "Invalid or expired JWT"}}),
    "403": (403, "application/json", {"error": {"message": "Forbidden"}}),
    "400": (400, "application/json", {"error": {"message": "Invalid authorization token"}}),
    "400_prefixed": (400, "application/json",
                     {"error": {"message": "Copernica REST API Error 400: Invalid access token"}}),
}
TOKEN_REFUSALS = {  # the JWT server, for an access token it does not accept
    "400": (400, "application/json", {"error": {"message": "Invalid access token"}}),
    "400_prefixed": (400, "application/json",
                     {"error": {"message": "Copernica REST API Error 400: Invalid access token"}}),
    "400_revoked": (400, "application/json", {"error": {"message": "Token revoked"}}),
    "401_text": (401, "text/plain", "Unauthorized"),
}
EXCHANGE_ERRORS = ("400_json", "200_error", "400_html")
OVERLOAD_PAGE = ("<html><head><title>Loadbalancer Error</title></head><body><h1>Loadbalancer Error</h1>"
                 "<p>There are too many requests to handle. Please try again later.</p></body></html>")
DRIP_SECONDS = 60.0  # a dripping answer sends one byte every quarter second for this long
ENDPOINTS = ("token", "jwt", "identity", "any")


@dataclass
class DemoAccount:
    id: str
    name: str
    description: str
    company: str


DEMO_ACCOUNTS = [
    DemoAccount("101", "Acme Retail", "Webshop newsletters", "Acme BV"),
    DemoAccount("102", "Bloom Florists", "Seasonal campaigns", "Bloom & Co"),
    DemoAccount("103", "Northwind Travel", "Transactional mail", "Northwind Group"),
]


@dataclass
class Fault:
    endpoint: str
    kind: str
    remaining: int  # 0 means until cleared


@dataclass
class SandboxState:
    accounts: dict[str, DemoAccount] = field(default_factory=lambda: {a.id: a for a in DEMO_ACCOUNTS})
    applications: dict[str, str] = field(default_factory=lambda: {DEMO_CLIENT_KEY: DEMO_CLIENT_SECRET})
    codes: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)  # token -> {"account": id, "revoked": bool}
    jwts: dict[str, tuple[str, float]] = field(default_factory=dict)  # jwt -> (token, when it expires)
    latency_ms: float = 0.0
    jwt_ttl: float = 24 * 3600
    jwt_format: str = "bare"  # bare | json_string | json_object
    jwt_exp: float | None = None  # a fixed `exp` claim instead of now + jwt_ttl
    customer_depth: int = 0  # identity's `customer` nested this deep (0: as Copernica sends it)
    # How each refusal is worded: the shapes other clients observed (docs/copernica.md).
    jwt_refusal: str = "401"  # identity refusing a dead JWT: see JWT_REFUSALS
    token_refusal: str = "400"  # the JWT server refusing an access token: see TOKEN_REFUSALS
    exchange_error: str = "400_json"  # the token exchange's errors: see EXCHANGE_ERRORS
    faults: deque = field(default_factory=deque)
    calls: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def mint_token(self, account_id: str) -> str:
        token = secrets.token_hex(32)
        self.tokens[token] = {"account": account_id, "revoked": False}
        return token

    def mint_jwt(self, token: str) -> str:
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        expires = time.time() + self.jwt_ttl
        payload = b64(json.dumps({
            "sub": self.tokens[token]["account"],
            "exp": int(self.jwt_exp if self.jwt_exp is not None else expires),
            "jti": secrets.token_hex(8)}).encode())
        signature = b64(hmac.new(self.signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        jwt = f"{header}.{payload}.{signature}"
        self.jwts[jwt] = (token, expires)
        return jwt

    def jwt_account(self, jwt: str) -> str | None:
        token, expires = self.jwts.get(jwt, (None, 0.0))
        if token is None or self.tokens[token]["revoked"] or expires <= time.time():
            return None
        return self.tokens[token]["account"]

    def token_account(self, token: str) -> str | None:
        entry = self.tokens.get(token)
        return entry["account"] if entry and not entry["revoked"] else None

    def take_fault(self, endpoint: str) -> str | None:
        with self.lock:
            for fault in list(self.faults):
                if fault.endpoint in (endpoint, "any"):
                    if fault.remaining == 1:
                        self.faults.remove(fault)
                    elif fault.remaining > 1:
                        fault.remaining -= 1
                    return fault.kind
        return None


CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Copernica sandbox: give access</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f6f8; margin: 0; }}
main {{ max-width: 460px; margin: 60px auto; background: white; padding: 32px; border-radius: 12px;
       box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }} .note {{ color: #667; font-size: .9rem; }}
label {{ display: block; padding: 10px; border: 1px solid #dde; border-radius: 8px; margin: 8px 0; }}
button {{ padding: 10px 18px; border-radius: 8px; border: 0; font-size: 1rem; margin-right: 8px; }}
.allow {{ background: #1f6feb; color: white; }} .deny {{ background: #e6e8eb; }}
</style></head><body><main>
<h1>Give access to your Copernica account</h1>
<p class="note">Sandbox: a local stand-in for Copernica. The application <b>{client}</b> asks
for access to one of your accounts.</p>
<form method="post" action="{action}">
<input type="hidden" name="client_id" value="{client}">
<input type="hidden" name="redirect_uri" value="{redirect}">
<input type="hidden" name="state" value="{state}">
{accounts}
<p><button class="allow" name="decision" value="allow">Give access</button>
<button class="deny" name="decision" value="deny">Deny</button></p>
</form></main></body></html>"""

ERROR_PAGE = """<!doctype html><html><head><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p></body></html>"""


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: split writes meet delayed ACKs (~40 ms each).
    wbufsize = 65536
    disable_nagle_algorithm = True
    server: SandboxServer

    def log_message(self, format: str, *args) -> None:
        pass  # request lines carry client secrets and codes in their query strings

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def state(self) -> SandboxState:
        return self.server.state

    def _send(self, status: int, body: bytes | str, content_type: str = "application/json",
              headers: dict | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, data: object) -> None:
        self._send(status, json.dumps(data))

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": {"message": message}})

    def _refuse(self, shape: tuple[int, str, object]) -> None:
        status, content_type, body = shape
        self._send(status, body if isinstance(body, str) else json.dumps(body), content_type)

    def _exchange_error(self, message: str) -> None:
        """The token exchange's error, in the shape chosen by the `exchange_error` setting."""
        shape = self.state.exchange_error
        if shape == "200_error":
            return self._error(200, message)
        if shape == "400_html":
            return self._send(400, ERROR_PAGE.format(title="Error", message=html.escape(message)), "text/html")
        self._error(400, message)

    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()}

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(raw or "{}")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def _fault(self, endpoint: str) -> bool:
        """Answer with an injected failure if one is queued for this endpoint."""
        kind = self.state.take_fault(endpoint)
        if kind is None:
            return False
        if kind == "hang":
            self.wfile.flush()
            self.server.stopping.wait(self.server.hang_seconds)
            self.close_connection = True
            return True
        if kind in ("drip", "drip_headers"):
            self._drip(headers_too=kind == "drip_headers")
            return True
        if kind == "close":
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        answers = {
            "html503": (503, "<html><head><title>503 Service Unavailable</title></head><body>"
                             "<h1>Service Unavailable</h1></body></html>", "text/html", {}),
            "json500": (500, json.dumps({"error": {"message": "Internal error"}}), "application/json", {}),
            "429": (429, json.dumps({"error": {"message": "Too many requests"}}), "application/json",
                    {"Retry-After": "1"}),
            "html200": (200, "<html><body>Maintenance</body></html>", "text/html", {}),
            "empty": (200, "", "application/json", {}),
            "huge": (200, "x" * (3 * 1024 * 1024), "text/plain", {}),
            "deep_json": (200, "[" * 100_000 + "]" * 100_000, "application/json", {}),
            "deep_json500": (500, "[" * 100_000 + "]" * 100_000, "application/json", {}),
            "unicode_jwt": (200, "中.中.中", "text/plain; charset=utf-8", {}),
            "overload503": (503, OVERLOAD_PAGE, "text/html", {}),
            "overload504": (504, OVERLOAD_PAGE, "text/html", {}),
            "html502": (502, "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>",
                        "text/html", {}),
            "redirect": (303, "", "text/plain",
                         {"Location": f"http://127.0.0.1:9/internal{urlsplit(self.path).path}?{urlsplit(self.path).query}"}),
            "odd_charset": (400, json.dumps({"error": {"message": "Invalid access token"}}),
                            "application/json; charset=utf8mb4", {}),
        }
        status, body, content_type, headers = answers[kind]
        self._send(status, body, content_type, headers)
        return True

    def _drip(self, *, headers_too: bool) -> None:
        """A server that never stops sending: one byte at a time, in the headers or the body."""
        self.close_connection = True
        try:
            if headers_too:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
            self.wfile.flush()
            ends = time.monotonic() + DRIP_SECONDS
            while time.monotonic() < ends and not self.server.stopping.wait(0.25):
                self.wfile.write(b"x")
                self.wfile.flush()
        except OSError:
            pass  # the client gave up: that is what a total time limit is for

    def _delay(self) -> None:
        if self.state.latency_ms:
            time.sleep(self.state.latency_ms / 1000)

    def _count(self, endpoint: str) -> None:
        with self.state.lock:
            self.state.calls[endpoint] += 1

    # -- routes -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path in ("/en/authorize", "/nl/authorize"):
            return self._consent_page(path)
        if path in (f"/v{n}/token" for n in range(1, 5)):
            return self._token()
        if path == "/v4/identity":
            return self._identity_v4()
        if path in (f"/v{n}/identity" for n in range(1, 4)):
            return self._identity_v3()
        if path == "/_sandbox/stats":
            with self.state.lock:
                return self._json(200, {"calls": dict(self.state.calls), "tokens": len(self.state.tokens)})
        if path in ("", "/"):
            return self._send(200, "Copernica sandbox", "text/plain")
        self._error(404, "Not found")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path in ("/en/authorize", "/nl/authorize"):
            return self._consent_answer()
        if path in (JWT_PATH, ""):
            return self._jwt()
        if path.startswith("/_sandbox/"):
            self._admin(path.removeprefix("/_sandbox/"), self._form())
            return self.server.persist()
        self._error(404, "Not found")

    def _consent_page(self, path: str) -> None:
        q = self._query()
        client, redirect = q.get("client_id", ""), q.get("redirect_uri", "")
        if client not in self.state.applications:
            return self._send(400, ERROR_PAGE.format(title="Unknown application",
                              message="This client_id is not a registered application."), "text/html")
        if not redirect or q.get("response_type") != "code":
            return self._send(400, ERROR_PAGE.format(title="Bad request",
                              message="redirect_uri and response_type=code are required."), "text/html")
        accounts = "\n".join(
            f'<label><input type="radio" name="account" value="{html.escape(a.id)}"{" checked" if i == 0 else ""}> '
            f"{html.escape(a.name)} <span class=note>({html.escape(a.company)}, id {html.escape(a.id)})</span></label>"
            for i, a in enumerate(self.state.accounts.values()))
        page = CONSENT_PAGE.format(client=html.escape(client), redirect=html.escape(redirect),
                                   state=html.escape(q.get("state", "")), action=html.escape(path),
                                   accounts=accounts)
        self._send(200, page, "text/html; charset=utf-8")

    def _consent_answer(self) -> None:
        form = self._form()
        redirect, state = form.get("redirect_uri", ""), form.get("state", "")
        if form.get("client_id") not in self.state.applications or not redirect:
            return self._send(400, ERROR_PAGE.format(title="Bad request", message="Unknown application."),
                              "text/html")
        params = {"state": state}
        if form.get("decision") != "allow":
            params.update(error="access_denied", error_description="The user denied access")
        elif len(state) >= MIN_STATE_LENGTH and form.get("account") in self.state.accounts:
            code = secrets.token_urlsafe(24)
            with self.state.lock:
                self.state.codes[code] = {"client": form["client_id"], "redirect_uri": redirect,
                                          "account": form["account"], "used": False}
            params["code"] = code
        # a weak state (or no account) comes back without a code, as Copernica does
        separator = "&" if urlsplit(redirect).query else "?"
        self.send_response(302)
        self.send_header("Location", redirect + separator + urlencode(params))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _token(self) -> None:
        self._count("token")
        self._delay()
        if self._fault("token"):
            return
        q = self._query()
        if self.state.applications.get(q.get("client_id", "")) != q.get("client_secret") or not q.get("client_secret"):
            return self._exchange_error("Invalid client credentials")
        with self.state.lock:
            entry = self.state.codes.get(q.get("code", ""))
            if entry is None or entry["used"] or entry["client"] != q.get("client_id"):
                return self._exchange_error("Invalid authorization code")
            if entry["redirect_uri"] != q.get("redirect_uri"):
                return self._exchange_error("redirect_uri does not match the authorization request")
            entry["used"] = True
            token = self.state.mint_token(entry["account"])
        self.server.persist()
        self._json(200, {"access_token": token})

    def _jwt(self) -> None:
        self._count("jwt")
        self._delay()
        if self._fault("jwt"):
            return
        token = self._form().get("access_token") or self._query().get("access_token", "")
        with self.state.lock:
            if self.state.token_account(token) is None:
                return self._refuse(TOKEN_REFUSALS[self.state.token_refusal])
            jwt = self.state.mint_jwt(token)
        if self.state.jwt_format == "json_object":
            return self._json(200, {"token": jwt})
        if self.state.jwt_format == "json_string":
            return self._json(200, jwt)
        self._send(200, jwt, "text/plain")

    def _account_json(self, account_id: str, *, v3: bool) -> dict:
        a = self.state.accounts[account_id]
        data = {"id": a.id, "name": a.name, "description": a.description, "company": a.company}
        if v3:
            data.update(customer={"id": "9" + a.id, "name": a.company, "isPartner": False},
                        usedBy=[], license={"id": "L" + a.id, "isTrial": a.id == "103"})
        return data

    def _account_answer(self, account_id: str, *, v3: bool) -> None:
        body = json.dumps(self._account_json(account_id, v3=v3))
        depth = self.state.customer_depth
        if depth:  # written as text: too deep for json.dumps
            body = body[:-1] + ', "customer": ' + '{"parent": ' * depth + "{}" + "}" * depth + "}"
        self._send(200, body)

    def _identity_v4(self) -> None:
        self._count("identity")
        self._delay()
        if self._fault("identity"):
            return
        auth = self.headers.get("Authorization", "")
        jwt = auth[7:] if auth.lower().startswith("bearer ") else ""
        with self.state.lock:
            account = self.state.jwt_account(jwt)
        if account is None:
            return self._refuse(JWT_REFUSALS[self.state.jwt_refusal])
        self._account_answer(account, v3=False)

    def _identity_v3(self) -> None:
        self._count("identity")
        self._delay()
        if self._fault("identity"):
            return
        with self.state.lock:
            account = self.state.token_account(self._query().get("access_token", ""))
        if account is None:
            return self._error(400, "Invalid access token")
        self._account_answer(account, v3=True)

    def _admin(self, action: str, form: dict) -> None:
        s = self.state
        with s.lock:
            if action == "latency":
                s.latency_ms = float(form.get("ms", 0))
            elif action == "fail":
                if form.get("endpoint") not in ENDPOINTS or form.get("kind") not in FAULT_KINDS:
                    return self._error(400, f"endpoint must be one of {ENDPOINTS}, kind one of {FAULT_KINDS}")
                s.faults.append(Fault(form["endpoint"], form["kind"], int(form.get("times", 1))))
            elif action == "clear":
                s.faults.clear()
                s.latency_ms = 0.0
            elif action == "revoke":
                for entry in s.tokens.values():
                    if form.get("all") or entry["account"] == str(form.get("account_id")):
                        entry["revoked"] = True
            elif action == "move":
                for entry in s.tokens.values():
                    if entry["account"] == str(form.get("from")):
                        entry["account"] = str(form.get("to"))
            elif action == "tokens":
                count = int(form.get("count", 1))
                account = str(form.get("account_id", "101"))
                if account not in s.accounts:
                    return self._error(400, "unknown account")
                return self._json(200, {"tokens": [s.mint_token(account) for _ in range(count)]})
            elif action == "accounts":  # many accounts, for benchmarks: ids 1000, 1001, ...
                created = []
                for n in range(int(form.get("count", 1))):
                    account = DemoAccount(str(1000 + n), f"Client {n}", "Benchmark account", f"Company {n % 50}")
                    s.accounts.setdefault(account.id, account)
                    created.append(account.id)
                return self._json(200, {"accounts": created})
            elif action == "settings":
                if "jwt_ttl" in form:
                    s.jwt_ttl = float(form["jwt_ttl"])
                if form.get("jwt_format") in ("bare", "json_string", "json_object"):
                    s.jwt_format = form["jwt_format"]
                if "jwt_exp" in form:
                    s.jwt_exp = None if form["jwt_exp"] is None else float(form["jwt_exp"])
                if "customer_depth" in form:
                    s.customer_depth = int(form["customer_depth"])
                for name, allowed in (("jwt_refusal", JWT_REFUSALS), ("token_refusal", TOKEN_REFUSALS),
                                      ("exchange_error", EXCHANGE_ERRORS)):
                    if name in form:
                        if form[name] not in allowed:
                            return self._error(400, f"{name} must be one of {', '.join(allowed)}")
                        setattr(s, name, form[name])
            elif action == "forget_jwts":  # as when Copernica rotates its signing key
                s.jwts.clear()
            elif action == "reset_stats":
                s.calls.clear()
            else:
                return self._error(404, "unknown control")
        self._json(200, {"ok": True})


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", latency_ms: float = 0.0,
                 hang_seconds: float = 30.0, state_file: Path | None = None) -> None:
        super().__init__((host, port), SandboxHandler)
        self.state = SandboxState(latency_ms=latency_ms)
        self.state_file = state_file  # the tokens handed out, kept across restarts (the demo)
        if state_file is not None and state_file.exists():
            with contextlib.suppress(ValueError, KeyError, OSError):  # a damaged file: start afresh
                self.state.tokens.update(json.loads(state_file.read_text(encoding="utf-8"))["tokens"])
        self.stopping = threading.Event()
        self.hang_seconds = hang_seconds
        self._thread: threading.Thread | None = None

    def persist(self) -> None:
        if self.state_file is None:
            return
        with self.state.lock:
            data = json.dumps({"tokens": self.state.tokens})
        temporary = self.state_file.with_name(self.state_file.name + ".tmp")
        temporary.write_text(data, encoding="utf-8")
        os.replace(temporary, self.state_file)

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up (timeouts, capped bodies, injected resets) are normal here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def env(self, *, api_version: int = 4) -> dict[str, str]:
        """The COPERNICA_* settings that point the dashboard at this sandbox."""
        return {
            "COPERNICA_AUTHORIZE_URL": f"{self.base_url}/en/authorize",
            "COPERNICA_API_URL": self.base_url,
            "COPERNICA_AUTH_URL": self.base_url + JWT_PATH,
            "COPERNICA_API_VERSION": str(api_version),
        }

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self.serve_forever, name="sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


def serve_forever(*, port: int = 8765, latency_ms: float = 0.0) -> None:
    server = SandboxServer(port, latency_ms=latency_ms)
    print(f"Copernica sandbox on {server.base_url}")
    print(f"  demo client key:    {DEMO_CLIENT_KEY}")
    print("  demo client secret: (see DEMO_CLIENT_SECRET in copernica_core/sandbox.py)")
    print("  point the dashboard at it with:")
    for name, value in server.env().items():
        print(f"    export {name}={value}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
