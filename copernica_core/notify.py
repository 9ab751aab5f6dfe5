"""Notification targets (Apprise URLs: Slack, Teams, e-mail, webhooks, …) and the outbox that
delivers each message to each target once, retrying a target that failed on the next run.

A message and one pending delivery per target are written in the same transaction as the
alert states that produced them; sending happens after the commit. A watcher killed in
between sends them on its next run: not never, and not twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from . import watch
from .clock import iso
from .crypto import Keyring
from .errors import BadInput, DamagedSecret
from .secret import Secret, excerpt, scrub
from .store import immediate, outbox
from .store.engine import Database

log = logging.getLogger("copernica_core")
MAX_ATTEMPTS = 20
_SPLIT = re.compile(r"[\s,]+")
LINK_PLACEHOLDER = "[connect link]"  # where a message's connect link goes (see `enqueue`)


@dataclass(frozen=True)
class Target:
    """Where messages go. `key` names it in the outbox without revealing it."""

    key: str
    label: str
    redacted: str
    url: Secret | None  # None: a stored target whose URL cannot be decrypted
    stored_id: int | None = None  # None: from COPERNICA_NOTIFY


@dataclass(frozen=True)
class Delivery:
    notification_id: int
    created_at: str
    kind: str
    title: str
    target: str
    redacted: str
    status: str  # pending | sent | failed | dropped
    attempts: int
    error: str
    updated_at: str


def fingerprint(url: Secret) -> str:
    return hashlib.sha256(url.reveal().encode()).hexdigest()[:16]


# Generic webhooks: Apprise shows their path, which is often the webhook's only secret.
_GENERIC_WEBHOOKS = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
# Services whose topic is their only secret (anyone who knows an ntfy topic reads and writes it),
# shown by Apprise in clear: in the path, or as the host in ntfy.sh's cloud mode (ntfy://topic).
_TOPIC_SERVICES = frozenset({"ntfy", "ntfys"})
_URL_PARTS = re.compile(r"[/@:?&=#,]+")


_parsing = threading.local()


class _QuietWhileParsing(logging.Filter):
    """Apprise logs what it finds wrong in a URL it parses, key included ("An invalid Prowl API
    Key (…) was specified"), before any part of it is known to `scrub`: drop what it logs while
    this thread parses a URL (`url_problem` says what is wrong in its own words)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_parsing, "active", False)


logging.getLogger("apprise").addFilter(_QuietWhileParsing())


def _instantiate(url: str):
    """Apprise's plugin for `url`, or None when Apprise does not understand it."""
    import apprise  # imported when a target is met: it costs every start of the command line otherwise

    _parsing.active = True
    try:
        return apprise.Apprise.instantiate(url)
    finally:
        _parsing.active = False


def redact(url: str) -> str:
    """A target as it may be shown: Apprise's own privacy rendering, which knows for each
    service which parts are keys (for `prowl://KEY` the host is the key), without its options
    and without a generic webhook's path."""
    url = url.strip()
    plugin = _instantiate(url)
    if plugin is None:
        return f"{urlsplit(url).scheme}://…"
    shown = urlsplit(plugin.url(privacy=True))
    path, netloc = shown.path.rstrip("/"), shown.netloc
    if path and shown.scheme in _GENERIC_WEBHOOKS | _TOPIC_SERVICES:
        path = "/…"
    if shown.scheme in _TOPIC_SERVICES and (shown.hostname or "") in {t.lower() for t in getattr(plugin, "topics", [])}:
        netloc = netloc.rsplit("@", 1)[0] + "@…" if "@" in netloc else "…"
    return f"{shown.scheme}://{netloc}{path}"


def _target_url(url: str) -> Secret:
    """A target's URL as a Secret, with the parts of it that `redact` hides registered too, so
    that `scrub` takes them out of any log line (Apprise and urllib3 log a webhook's path and a
    service's key at DEBUG level without the rest of the URL)."""
    plugin = _instantiate(url)
    if plugin is not None:
        shown = set(_URL_PARTS.split(unquote(redact(url))))
        full = urlsplit(unquote(plugin.url(privacy=False)))
        path_parts = full.path.split("/") if full.scheme in _GENERIC_WEBHOOKS else []
        for part in [*_URL_PARTS.split(f"{full.netloc}{full.path}"), *path_parts]:
            if part and part not in shown:
                Secret(part)  # registers it (a part too short to register would scrub ordinary words)
    return Secret(url)


def target(key: str, label: str, url: str, *, shown: str | None = None) -> Target:
    """A target made here (a client's contact), not stored as a notification target."""
    return Target(key, label, shown or redact(url), _target_url(url))


def url_problem(url: str) -> str | None:
    url = (url or "").strip()
    if not url:
        return "Enter a notification URL, such as slack://… or mailto://…"
    if len(url) > 2000 or any(ch.isspace() for ch in url):
        return "That is not a notification URL (no spaces; at most 2,000 characters)."
    if _instantiate(url) is None:
        return ("Apprise does not understand this URL. Examples: slack://TokenA/TokenB/TokenC, "
                "workflows://… (Microsoft Teams), mailto://user:password@example.com, json://host/path.")
    return None


def email_recipients(url: str) -> list[str]:
    """The addresses an e-mail URL sends to, as Apprise reads them ([] for another kind)."""
    plugin = _instantiate(url)
    return [target[1] for target in getattr(plugin, "targets", None) or [] if isinstance(target, tuple)]


def env_targets(value: str) -> list[Target]:
    """Targets from COPERNICA_NOTIFY (whitespace or comma separated)."""
    targets = []
    for raw in (u for u in _SPLIT.split(value or "") if u):
        url = _target_url(raw)
        targets.append(Target(f"env:{fingerprint(url)}", "from COPERNICA_NOTIFY", redact(raw), url))
    return targets


def stored_targets(db: Database, vault: Keyring) -> list[Target]:
    targets = []
    for row in outbox.targets(db):
        try:
            url = _target_url(vault.decrypt(row["url_enc"]).reveal())
        except DamagedSecret:
            url = None
        redacted = redact(url.reveal()) if url else row["redacted"]
        targets.append(Target(f"db:{row['fingerprint']}", row["label"], redacted, url, row["id"]))
    return targets


def add_target(db: Database, vault: Keyring, *, label: str, url: str, now: datetime) -> Target:
    """Store a target, encrypted; call inside a transaction."""
    secret = _target_url(url.strip())
    key = fingerprint(secret)
    if outbox.target_exists(db, key):
        raise BadInput({"url": "This target is already there."})
    target_id = outbox.add_target(db, label=label, url_enc=vault.encrypt(secret), redacted=redact(url),
                                  fingerprint=key, at=iso(now))
    return Target(f"db:{key}", label, redact(url), secret, target_id)


def delete_target(db: Database, target_id: int) -> bool:
    return outbox.delete_target(db, target_id)


def enqueue(db: Database, targets: list[Target], *, kind: str, title: str, body: str,
            now: datetime, claimed_by: str | None = None, notify_type: str = "info", fields: dict | None = None,
            link_enc: bytes | None = None) -> int:
    """The message and one pending delivery per target (already claimed by `claimed_by`, who
    sends it at once); call inside the transaction that records what the message says.
    `fields`: what it is about as data, for JSON receivers. `link_enc`: a connect link, put
    in the body's LINK_PLACEHOLDER when sent; it is kept encrypted, and only until delivered."""
    notification_id = outbox.add_message(db, at=iso(now), kind=kind, title=title, body=body, notify_type=notify_type,
                                         fields=json.dumps(fields) if fields else None, link_enc=link_enc)
    for target in targets:
        outbox.add_delivery(db, notification_id, target=target.key, redacted=target.redacted, at=iso(now),
                            claimed_by=claimed_by)
    return notification_id


# One delivery attempt ends after this long whatever the target does (a webhook that drips one
# header line every few seconds would otherwise hold the watcher for minutes): Apprise's own
# per-call limit, which covers every read and retry of the attempt.
SEND_LIMIT = 20.0
SENDERS = 4  # deliveries sent at once: one slow target does not hold up the others


# Chat services draw markdown from plain text and ping from "@everyone": a label or an account
# name must stay text there. Per service (by the URL's scheme): what to escape, and how long a
# message may be (Discord refuses more than 2,000 characters: a longer one would fail on every run).
_MARKDOWN = re.compile(r"([\\`*_~|>#\[\]()<])")
_MENTION = re.compile(r"@(?=\w)")
_CHAT_LIMITS = {"discord": 2000}
CUT = "\n…(cut here: the whole list is on the dashboard's Overview)"


def for_service(url: str, title: str, body: str) -> tuple[str, str]:
    """The title and body as this target's service shows them as text: Discord's markdown and
    mentions escaped (a word joiner after @), Teams' title escaped (Apprise escapes its body),
    and cut to the service's size."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "discord":
        title, body = (_MENTION.sub("@\u2060", _MARKDOWN.sub(r"\\\1", text)) for text in (title, body))
    elif scheme in ("workflow", "workflows"):
        title = _MARKDOWN.sub(r"\\\1", title)
    limit = _CHAT_LIMITS.get(scheme)
    if limit and len(title) + len(body) + 2 > limit:
        body = body[:max(0, limit - len(title) - 2 - len(CUT))].rstrip() + CUT
    return title, body


def send(target: Target, *, title: str, body: str, limit: float | None = None, notify_type: str = "info",
         fields: dict | None = None) -> str:
    """Send one message to one target within `limit` seconds; '' when it was accepted, else
    why not, in words an operator can act on (could not be reached, answered with an error,
    did not finish), with the target's own first line of explanation, scrubbed. A `json://`
    target also gets `fields` in its payload, beside Apprise's title, message and type."""
    if target.url is None:
        return "its stored URL cannot be decrypted; enter it again"
    import apprise

    limit = SEND_LIMIT if limit is None else limit
    sender = apprise.Apprise()
    try:
        if not sender.add(target.url.reveal()):
            return "Apprise does not understand this URL"
        if fields:
            _add_fields(sender, fields)
        title, body = for_service(target.url.reveal(), title, body)
        # TEXT: each service escapes it for its own format (an account name with HTML in it stays
        # text in an e-mail; "<!channel>" stays text in Slack) and e-mails keep their line breaks.
        result = sender.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT, timeout=limit,
                               notify_type=notify_type)  # info, success, warning or failure: receivers route on it
        if result:
            return ""
        said = next((e.message for e in result.logs() if e.level in ("WARNING", "ERROR")), "")
        if result.timeout_count:
            why = f"the target did not finish within {limit:g} s"
        elif "connection" in said.lower() or "could not" in said.lower():
            why = "the target could not be reached"
        else:
            why = "the target answered with an error"
        return excerpt(f"{why}: {said}" if said else why, 300)
    except Exception as error:  # a plugin's own failure must not stop the watcher
        return excerpt(f"{type(error).__name__}: {error}", 300)


def _add_fields(sender, fields: dict) -> None:
    """Apprise's JSON plugin adds its `payload_extras` to each payload (what `:key=value` in a
    json:// URL sets); a field the URL already sets keeps the URL's value."""
    from apprise.plugins.custom_json import NotifyJSON

    for plugin in sender:
        if isinstance(plugin, NotifyJSON):
            for name, value in fields.items():
                plugin.payload_extras.setdefault(name, value)


# A claim older than this is given up: its sender died or froze mid-send (at least once, then:
# a sender frozen for longer than this may still deliver after the next one did).
CLAIM_EXPIRES = timedelta(minutes=2)


def deliver_pending(db: Database, targets: list[Target], *, now, holder: str | None = None,
                    vault: Keyring | None = None) -> list[Delivery]:
    """Send every pending or failed delivery to its target, several targets at once (each
    within SEND_LIMIT, each target's messages in order), and record how each went. Each
    delivery is claimed before it is sent, in a transaction that a watcher (`holder`) can only
    pass while it holds the lease: what another sender claimed is never sent twice. A target
    that is gone is dropped; one that keeps failing is given up after MAX_ATTEMPTS runs."""
    from concurrent.futures import ThreadPoolExecutor

    by_key = {t.key: t for t in targets}
    claimant = holder or f"sender:{uuid.uuid4().hex[:8]}"
    with immediate(db):
        watch.ensure_holds(db, holder, now=now())
        rows = outbox.claim(db, claimant, claimed_before=iso(now() - CLAIM_EXPIRES), at=iso(now()))

    def body(row) -> str:
        if not row["link_enc"]:
            return row["body"]
        if vault is None:
            raise DamagedSecret("no key to open its link")
        return row["body"].replace(LINK_PLACEHOLDER, vault.decrypt(row["link_enc"]).reveal(), 1)

    def send_one(target: Target, row) -> str:
        try:
            text = body(row)
        except DamagedSecret:
            return "the link it carries cannot be decrypted"
        return send(target, title=row["title"], body=text, notify_type=row["notify_type"],
                    fields=json.loads(row["fields"]) if row["fields"] else None)

    def send_in_order(target: Target, queued: list) -> list[str]:  # a target's messages keep their order
        return [send_one(target, row) for row in queued]

    by_target: dict[str, list] = {}
    for row in rows:
        by_target.setdefault(row["target"], []).append(row)
    with ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="notify") as pool:
        jobs = {key: pool.submit(send_in_order, by_key[key], queued) for key, queued in by_target.items()
                if key in by_key}
        for key, queued in by_target.items():
            target = by_key.get(key)
            errors = jobs[key].result() if target else ["the target was removed"] * len(queued)
            with immediate(db):  # written here, in this thread: the database connection is not shared
                for row, error in zip(queued, errors, strict=True):  # what happened, lease or not
                    record_attempt(db, row["notification_id"], key, error=error, now=now(),
                                   final=row["attempts"] + 1 >= MAX_ATTEMPTS, status=None if target else "dropped",
                                   label=target.label if target else "", claimant=claimant)
    return recent_deliveries(db, limit=len(rows)) if rows else []


def record_attempt(db: Database, notification_id: int, target: str, *, error: str, now: datetime,
                   final: bool, status: str | None = None, label: str = "", claimant: str | None = None) -> None:
    """How one delivery went; call inside a transaction. A failure stays `failed` (retried
    on the next run) unless this was its last attempt."""
    error = scrub(error)
    status = status or ("sent" if not error else "gave up" if final else "failed")
    if error:
        log.warning("notification %s to %s: %s", notification_id, label or "a removed target", error)
    outbox.record_attempt(db, notification_id, target, status=status, error=error, at=iso(now),
                          claimant=claimant)  # delivered or given up: the link it carried is kept nowhere


def recent_deliveries(db: Database, *, limit: int = 50) -> list[Delivery]:
    return [Delivery(**{k: r[k] for k in Delivery.__dataclass_fields__}) for r in outbox.recent(db, limit=limit)]
