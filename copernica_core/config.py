"""Settings from the environment and `.streamlit/secrets.toml` (the environment wins)."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError
from .i18n import language_setting, timezone_setting
from .secret import Secret, secret_url

DEFAULTS: dict[str, str] = {
    "COPERNICA_DB": "data/copernica.db",
    "COPERNICA_DATABASE_URL": "",
    "COPERNICA_SECRET_KEY": "",
    "COPERNICA_AUTHORIZE_URL": "https://www.copernica.com/en/authorize",
    "COPERNICA_API_URL": "https://api.copernica.com",
    "COPERNICA_AUTH_URL": "https://authenticate.copernica.com",
    "COPERNICA_API_VERSION": "4",
    "COPERNICA_REDIRECT_URI": "http://localhost:8501/authorize",
    "COPERNICA_CONCURRENCY": "4",
    "COPERNICA_TIMEOUT": "10",
    "COPERNICA_STALE_HOURS": "24",
    "COPERNICA_WATCH_EVERY": "15m",
    "COPERNICA_WATCH_LEASE": "10s",
    "COPERNICA_ALERT_AFTER": "30m",
    "COPERNICA_REMIND_EVERY": "24h",
    "COPERNICA_NOTIFY": "",
    "COPERNICA_PUBLIC_URL": "",
    "COPERNICA_ADMINS": "",
    "COPERNICA_VIEWERS": "",
    "COPERNICA_ALLOW_ANONYMOUS": "false",
    "COPERNICA_HEARTBEAT_URL": "",
    "COPERNICA_LIVE_EVERY": "15s",
    "COPERNICA_CONTACT": "",
    "COPERNICA_AGENCY_NAME": "",
    "COPERNICA_HEARTBEAT_FAIL_URL": "",
    "COPERNICA_LANGUAGE": "en",
    "COPERNICA_TIMEZONE": "UTC",
    "COPERNICA_MAIL_URL": "",
}
MIN_WATCH_EVERY = timedelta(seconds=5)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, *, name: str) -> timedelta:
    """`30s`, `15m`, `1h`, `1d` (a bare number is seconds), or ConfigError naming `name`."""
    match = _DURATION.match(text or "")
    if not match:
        raise ConfigError(f"{name} must be a duration such as 30s, 15m or 1h, not {text!r}.")
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if not 0 < seconds <= 366 * 86400:
        raise ConfigError(f"{name} must be more than 0 and at most a year, not {text!r}.")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Settings:
    db_path: Path
    secret_key: Secret  # empty: the key file beside the database
    authorize_url: str
    api_url: str
    auth_url: str
    api_version: int
    redirect_uri: str
    concurrency: int
    timeout: float
    stale_hours: float
    watch_every: timedelta = timedelta(minutes=15)
    watch_expected: bool = False  # COPERNICA_WATCH_EVERY is set: a watcher should be running
    watch_lease: timedelta = timedelta(seconds=10)  # a killed watcher's standby takes over after this
    alert_after: timedelta = timedelta(minutes=30)
    remind_every: timedelta = timedelta(hours=24)
    notify: Secret = field(default_factory=lambda: Secret(""))  # Apprise URLs: they hold webhook secrets
    public_url: str = ""  # where the dashboard is reached, for links in messages
    heartbeat_url: Secret = field(default_factory=lambda: Secret(""))  # a monitor's push URL: it holds its key
    heartbeat_fail_url: Secret = field(default_factory=lambda: Secret(""))  # where "could not check" goes, if given
    live_every: timedelta = timedelta(seconds=15)  # how often an open Overview follows the database
    agency_contact: str = ""  # who runs the dashboard (COPERNICA_CONTACT), named where a reader is told to ask someone
    agency_name: str = ""  # who asks a client for access on a connect link's page
    mail_url: Secret = field(default_factory=lambda: Secret(""))  # mailto:// of the agency's mail server
    admins: tuple[str, ...] = ()  # addresses or @domain entries (with sign-in on)
    viewers: tuple[str, ...] = ()
    allow_anonymous: bool = False  # without sign-in, serve hosts other than loopback too
    warnings: tuple[str, ...] = ()  # settings found where they are not read (secrets.toml)
    database_url: Secret = field(default_factory=lambda: Secret(""))  # PostgreSQL instead of SQLite (a password)
    language: str = "en"  # what a client reads when neither its own nor its browser's language is known
    timezone: str = "UTC"  # an IANA name: times a client (and the dashboard) reads

    @property
    def key_file(self) -> Path:
        return self.db_path.parent / "secret.key"

    @property
    def on_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def database(self) -> Path | str:
        """What the program opens: the SQLite file, or PostgreSQL's URL (with its password)."""
        return self.database_url.reveal() if self.database_url else self.db_path

    @property
    def database_name(self) -> str:
        """The database as messages name it: the file, or the URL without its password."""
        if not self.database_url:
            return str(self.db_path)
        from .store.engine import shown_url

        return shown_url(self.database_url.reveal())


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allow_oauthlib_http_if_loopback(url: str) -> None:
    """oauthlib refuses plain http everywhere; `check_endpoint` already refused it for every
    host but loopback (the sandbox), so for those hosts we lift oauthlib's process-wide guard."""
    parts = urlsplit(url)
    if parts.scheme == "http" and is_loopback(parts.hostname):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def check_endpoint(url: str, *, name: str) -> str:
    """Return `url` without a trailing slash, or raise ConfigError if it may not be used.

    Plain http is allowed on loopback only: the client secret and tokens travel to these
    hosts, so anything else must be TLS (and TLS is always verified).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL with a host, not {url!r}.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"{name} uses plain http on a host that is not loopback; use https "
            "(plain http is only accepted for localhost, 127.0.0.0/8 and ::1)."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"{name} must not carry a query, fragment or credentials.")
    return url.strip().rstrip("/")


def _secrets_file_values(paths: list[Path]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The COPERNICA_* settings in the secrets files: top-level keys, or keys of a
    `[copernica]` table. A key further down another table (TOML puts every key after `[auth]`
    into `auth`) is not read: say so, or a misplaced COPERNICA_ADMINS quietly locks everyone out."""
    values: dict[str, str] = {}
    warnings: list[str] = []
    for path in reversed(paths):  # the first path is the most specific and wins
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{path} cannot be read as TOML: {error}") from None
        section = data.get("copernica")
        for table in (data, section if isinstance(section, dict) else {}):
            values.update({k: str(v) for k, v in table.items() if k in DEFAULTS})
        for name, table in data.items():
            misplaced = sorted(k for k in table if k in DEFAULTS) if isinstance(table, dict) else []
            if misplaced and name != "copernica":
                warnings.append(f"{path}: {', '.join(misplaced)} stand(s) inside the [{name}] section, where "
                                "they are not read. Move them above the first [section] line, or into a "
                                "[copernica] section.")
    return values, tuple(warnings)


def _positive(raw: str, *, name: str, kind: type) -> int | float:
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive number, not {raw!r}.")
    return value


def load_settings(
    env: Mapping[str, str] | None = None, *, secrets_files: list[Path] | None = None
) -> Settings:
    """Read every setting: environment first, then Streamlit's secrets files, then defaults."""
    env = os.environ if env is None else env
    if secrets_files is None:
        secrets_files = [Path(".streamlit/secrets.toml"), Path.home() / ".streamlit/secrets.toml"]
    from_file, warnings = _secrets_file_values(secrets_files)

    def get(name: str) -> str:
        value = env.get(name)
        if value is None or value == "":
            value = from_file.get(name, DEFAULTS[name])
        return value

    version = get("COPERNICA_API_VERSION").strip()
    if version not in ("3", "4"):
        raise ConfigError(f"COPERNICA_API_VERSION must be 3 or 4, not {version!r}.")
    return Settings(
        db_path=Path(get("COPERNICA_DB")),
        database_url=database_url(get("COPERNICA_DATABASE_URL")),
        language=language_setting(get("COPERNICA_LANGUAGE"), name="COPERNICA_LANGUAGE"),
        timezone=timezone_setting(get("COPERNICA_TIMEZONE"), name="COPERNICA_TIMEZONE"),
        secret_key=Secret(get("COPERNICA_SECRET_KEY").strip()),
        authorize_url=check_endpoint(get("COPERNICA_AUTHORIZE_URL"), name="COPERNICA_AUTHORIZE_URL"),
        api_url=check_endpoint(get("COPERNICA_API_URL"), name="COPERNICA_API_URL"),
        auth_url=check_endpoint(get("COPERNICA_AUTH_URL"), name="COPERNICA_AUTH_URL"),
        api_version=int(version),
        redirect_uri=check_redirect_uri(get("COPERNICA_REDIRECT_URI"), name="COPERNICA_REDIRECT_URI"),
        concurrency=int(_positive(get("COPERNICA_CONCURRENCY"), name="COPERNICA_CONCURRENCY", kind=int)),
        timeout=float(_positive(get("COPERNICA_TIMEOUT"), name="COPERNICA_TIMEOUT", kind=float)),
        stale_hours=float(_positive(get("COPERNICA_STALE_HOURS"), name="COPERNICA_STALE_HOURS", kind=float)),
        watch_every=watch_every(get("COPERNICA_WATCH_EVERY"), name="COPERNICA_WATCH_EVERY"),
        watch_expected=bool(env.get("COPERNICA_WATCH_EVERY") or from_file.get("COPERNICA_WATCH_EVERY")),
        watch_lease=watch_lease(get("COPERNICA_WATCH_LEASE")),
        alert_after=parse_duration(get("COPERNICA_ALERT_AFTER"), name="COPERNICA_ALERT_AFTER"),
        remind_every=parse_duration(get("COPERNICA_REMIND_EVERY"), name="COPERNICA_REMIND_EVERY"),
        notify=Secret(get("COPERNICA_NOTIFY").strip()),
        public_url=public_url(get("COPERNICA_PUBLIC_URL")),
        heartbeat_url=heartbeat_url(get("COPERNICA_HEARTBEAT_URL")),
        heartbeat_fail_url=heartbeat_url(get("COPERNICA_HEARTBEAT_FAIL_URL"), name="COPERNICA_HEARTBEAT_FAIL_URL"),
        live_every=live_every(get("COPERNICA_LIVE_EVERY")),
        agency_contact=text_setting(get("COPERNICA_CONTACT"), name="COPERNICA_CONTACT"),
        agency_name=text_setting(get("COPERNICA_AGENCY_NAME"), name="COPERNICA_AGENCY_NAME", limit=100),
        mail_url=Secret(get("COPERNICA_MAIL_URL").strip()),
        admins=people(get("COPERNICA_ADMINS")),
        viewers=people(get("COPERNICA_VIEWERS")),
        allow_anonymous=flag(get("COPERNICA_ALLOW_ANONYMOUS"), name="COPERNICA_ALLOW_ANONYMOUS"),
        warnings=warnings,
    )


def database_url(text: str) -> Secret:
    """COPERNICA_DATABASE_URL: empty (SQLite), or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB."""
    url = (text or "").strip()
    if not url:
        return Secret("")
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        raise ConfigError("COPERNICA_DATABASE_URL must look like postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
                          "(leave it empty for SQLite at COPERNICA_DB).")
    return Secret(url)


def people(text: str) -> tuple[str, ...]:
    """E-mail addresses and @domain entries, comma or whitespace separated, lower case."""
    return tuple(p.strip().lower() for p in re.split(r"[\s,;]+", text or "") if p.strip())


def flag(text: str, *, name: str) -> bool:
    value = (text or "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {text!r}.")


def watch_every(text: str, *, name: str) -> timedelta:
    every = parse_duration(text, name=name)
    if every < MIN_WATCH_EVERY:
        raise ConfigError(f"{name} must be at least 5 seconds (calls are billed), not {text!r}.")
    return every


def watch_lease(text: str) -> timedelta:
    lease = parse_duration(text, name="COPERNICA_WATCH_LEASE")
    if not timedelta(seconds=1) <= lease <= timedelta(minutes=10):
        raise ConfigError(f"COPERNICA_WATCH_LEASE must be between 1 s and 10 min, not {text!r}.")
    return lease


def public_url(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"COPERNICA_PUBLIC_URL must be the dashboard's address, such as "
                          f"https://connections.example.com, not {text!r}.")
    return text.rstrip("/")


def live_every(text: str) -> timedelta:
    every = parse_duration(text, name="COPERNICA_LIVE_EVERY")
    if not timedelta(seconds=1) <= every <= timedelta(hours=1):
        raise ConfigError(f"COPERNICA_LIVE_EVERY must be between 1 s and 1 h, not {text!r}.")
    return every


def text_setting(text: str, *, name: str, limit: int = 200) -> str:
    """A short line of text shown to readers (a name, an address)."""
    text = (text or "").strip()
    if len(text) > limit or any(ord(ch) < 32 for ch in text):
        raise ConfigError(f"{name} must be one line of at most {limit} characters.")
    return text


def heartbeat_url(text: str, *, name: str = "COPERNICA_HEARTBEAT_URL") -> Secret:
    """A monitor's push URL (healthchecks.io, Uptime Kuma, Cronitor): its path is its key, so
    every part of it is kept out of the logs, and it never travels in plain http off this machine."""
    text = (text or "").strip()
    parts = urlsplit(text)
    if text and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ConfigError(f"{name} must be an http(s) address, such as "
                          "https://hc-ping.com/<uuid>.")  # its value is not echoed: it holds a key
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"{name} uses plain http to another machine, which would send its key "
                          "in clear: use https (plain http only to this machine).")
    return secret_url(text)


def check_redirect_uri(url: str, *, name: str = "Redirect URI") -> str:
    """A redirect URI is only compared by Copernica, never visited by it, so any http(s)
    URL with a host and no fragment is acceptable."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ConfigError(f"{name} must be a full http(s) URL such as http://localhost:8501/authorize.")
    return url.strip()
