"""The heartbeat monitor's own conventions (COPERNICA_HEARTBEAT_URL): after each watcher run, a
ping that says "ran" or "could not check" the way that monitor reads it, and a look at what it
answered, since a monitor that did not record the ping often still answers 200
(docs/architecture.md, "Monitoring the watcher").

- healthchecks.io (and any other monitor): `/fail` after the path, the query kept
  (`…/ping/<uuid>/fail`, `…/ping/<key>/<slug>/fail?create=1`); it answers "OK".
- Uptime Kuma (a path `/api/push/<token>`): the same address with `status=down` (or `up`) and a
  message; it answers JSON `{"ok": true}` (anything else, such as its web page for an unknown
  path, recorded nothing).
- Cronitor (`cronitor.link`, `cronitor.io`): `state=fail` (or `complete`).
- COPERNICA_HEARTBEAT_FAIL_URL: an explicit address for "could not check", used as it is.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .secret import Secret


def kind(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if "/api/push/" in parts.path:
        return "uptime-kuma"
    if host.endswith(("cronitor.link", "cronitor.io")):
        return "cronitor"
    if host.endswith("hc-ping.com") or parts.path.startswith("/ping/"):
        return "healthchecks"
    return "other"  # healthchecks.io's convention, its answer not read


def _with_query(url: str, **values: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in values]
    return urlunsplit(parts._replace(query=urlencode([*query, *values.items()])))


def address(url: Secret, *, failed: bool, fail_url: Secret | None = None) -> str:
    """Where to ping for a run that checked (`failed` False) or could not check."""
    plain = url.reveal()
    if failed and fail_url:
        return fail_url.reveal()
    monitor = kind(plain)
    if monitor == "uptime-kuma":
        return _with_query(plain, status="down" if failed else "up",
                           msg="the watcher could not check" if failed else "OK")
    if monitor == "cronitor":
        return _with_query(plain, state="fail" if failed else "complete")
    if not failed:
        return plain
    parts = urlsplit(plain)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/fail"))


def recorded(url: str, body: str) -> bool:
    """Whether the monitor's answer (2xx) says it recorded the ping."""
    monitor = kind(url)
    text = body.strip()
    if monitor == "uptime-kuma":
        import json

        try:
            return json.loads(text).get("ok") is True
        except (ValueError, AttributeError):
            return False
    if monitor == "healthchecks":
        return text.upper().startswith("OK") and "NOT FOUND" not in text.upper()
    return True
