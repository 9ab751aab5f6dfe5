"""The one place that knows what a secret is and how to keep it out of text.

Client secrets, access tokens, JWTs and authorization codes travel as `Secret`, whose
repr and str never show the value. `scrub` removes secrets from any text that may reach a
log, an exception, a history row or the page.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from typing import Protocol
from urllib.parse import unquote, urlsplit

# Secrets seen by this process, newest last, so that `scrub` can find them in any text.
# Bounded: a long-running dashboard meets a new JWT per connection per day.
_known: dict[str, None] = {}
_known_lock = threading.Lock()
_MIN_REGISTERED = 6  # shorter strings would scrub ordinary words
_MAX_REGISTERED = 20_000
_MIN_PARTIAL = 8  # a secret's cut-off end this long is scrubbed too

_PARAM = re.compile(
    r"""(?ix)
    (\b(?:access_token|client_secret|code|jwt|token|state)\b['"]?\s*[:=]\s*['"]?)
    ([^'"&\s,;}]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)\S+")
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")


class Secret:
    """A secret value. Use `.reveal()` where the value itself must be sent or encrypted."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret takes a str")
        self._value = value
        if len(value) >= _MIN_REGISTERED:
            with _known_lock:
                _known.pop(value, None)
                _known[value] = None
                if len(_known) > _MAX_REGISTERED:
                    del _known[next(iter(_known))]

    def reveal(self) -> str:
        return self._value

    def fingerprint(self) -> str:
        """A short, stable, non-reversible name for the value, safe to show."""
        return "sha256:" + hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


_RUN_AT_END = re.compile(rf"[\w\-.~+/=]{{{_MIN_PARTIAL},}}$")
_RUN_AT_START = re.compile(rf"^[\w\-.~+/=]{{{_MIN_PARTIAL},}}")


_URL_PARTS = re.compile(r"[/@:?&=#,;]+")


def secret_url(url: str) -> Secret:
    """A URL whose path or query is a key (a monitor's push URL), as a Secret, with each of its
    parts but the scheme and host registered too: urllib3 logs only "GET /ping/<key>", and a
    log line cut anywhere must not keep the key either."""
    parts = urlsplit(url)
    rest = unquote(f"{parts.username or ''}:{parts.password or ''}@{parts.path}?{parts.query}")
    for part in {parts.path, f"{parts.path}?{parts.query}", *_URL_PARTS.split(rest)}:
        if part and part.strip("/?") and part != parts.hostname:
            Secret(part)  # registers it (a part too short to register would scrub ordinary words)
    return Secret(url)


def scrub(text: str) -> str:
    """Return `text` with every known secret, secret-looking parameter, Bearer value and JWT
    replaced by asterisks; also the part of a known secret that a cut left at either end."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, "********")
    tail, head = _RUN_AT_END.search(text), _RUN_AT_START.search(text)
    if tail and any(value.startswith(tail.group()) for value in known):
        text = text[:tail.start()] + "********"
    if head and any(value.endswith(head.group()) for value in known):
        text = "********" + text[head.end():]
    text = _PARAM.sub(r"\1********", text)
    text = _BEARER.sub(r"\1********", text)
    return _JWT.sub("********", text)


def excerpt(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, scrubbed before it is cut (a cut first could
    leave part of a secret that `scrub` no longer recognises); a secret-looking word cut in
    two is left out."""
    clean = scrub(text)
    if len(clean) <= limit:
        return clean
    return _RUN_AT_END.sub("", clean[:limit]).rstrip() + "…"


class Cipher(Protocol):
    """What encrypts and decrypts secrets at rest (crypto.Vault and crypto.Keyring): storage
    takes one without knowing keys."""

    def encrypt(self, secret: Secret) -> str: ...

    def decrypt(self, ciphertext: str) -> Secret: ...


class ScrubbingFilter(logging.Filter):
    """Rewrites a record's message through `scrub` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not break logging
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = ()
        return True


# Libraries that log URLs, request bodies or tokens at DEBUG level.
_CHATTY_LOGGERS = (
    "urllib3.connectionpool",
    "requests_oauthlib.oauth2_session",
    "oauthlib",
    "copernica_core",
    "apprise",
)


def install_log_scrubbing() -> None:
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubbingFilter) for f in logger.filters):
            logger.addFilter(ScrubbingFilter())
