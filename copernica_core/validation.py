"""Checks on what people type: a problem is a message for its field (raised together as
BadInput by `refuse_problems`)."""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import urlsplit

from .errors import BadInput

LABEL_MAX = 100
KEY_MAX = 200
TOKEN_MAX = 1000
URL_MAX = 2000
_CREDENTIAL = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in value)


def text_problem(value: str | None, *, name: str, max_len: int = LABEL_MAX, required: bool = True) -> str | None:
    """What is wrong with a free-text value (a label), or None."""
    value = (value or "").strip()
    if not value:
        return f"{name} is required." if required else None
    if len(value) > max_len:
        return f"{name} is too long ({len(value)} characters; at most {max_len})."
    if _has_control(value):
        return f"{name} contains control or invisible characters; type it again."
    return None


def clean_label(value: str, *, max_len: int = LABEL_MAX) -> str:
    """A name from outside (Copernica's account name) made into a label that keeps the label
    rules: no control or invisible characters, one line, at most `max_len` characters."""
    value = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value
                    if unicodedata.category(ch) not in ("Cf", "Cs", "Co"))
    value = " ".join(value.split())
    return value if len(value) <= max_len else value[:max_len - 1].rstrip() + "…"


def credential_problem(value: str | None, *, name: str, max_len: int = KEY_MAX) -> str | None:
    """What is wrong with a key, secret or token copied from Copernica, or None."""
    value = (value or "").strip()
    if not value:
        return f"{name} is required."
    if len(value) > max_len:
        return f"{name} is too long ({len(value)} characters; at most {max_len})."
    if not _CREDENTIAL.match(value):
        return (f"{name} may only contain printable characters without spaces; "
                "copy it again from Copernica.")
    return None


def url_problem(value: str | None, *, name: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return f"{name} is required."
    if len(value) > URL_MAX or _has_control(value) or any(ch.isspace() for ch in value):
        return f"{name} is not a valid URL."
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{name} must be a full http(s) address, such as http://localhost:8501/authorize."
    if parts.fragment:
        return f"{name} must not contain a # fragment."
    return None


def refuse_problems(**problems: str | None) -> None:
    """Raise BadInput with every field's problem, if there is any."""
    errors = {k: v for k, v in problems.items() if v}
    if errors:
        raise BadInput(errors)


_EXTRA_DEPTH, _EXTRA_ITEMS, _EXTRA_TEXT, _EXTRA_BYTES = 4, 50, 300, 8192


def bounded_extra(extra: object) -> dict:
    """What identity adds beyond the basics (v3: customer, usedBy, license), cut to a size
    and depth that any reader can handle: it is stored and shown on every page."""

    def bound(value: object, depth: int) -> object:
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, str):
            return clean_label(value, max_len=_EXTRA_TEXT)
        if depth >= _EXTRA_DEPTH:
            return "…"
        if isinstance(value, dict):
            return {clean_label(str(k), max_len=60): bound(v, depth + 1)
                    for k, v in list(value.items())[:_EXTRA_ITEMS]}
        if isinstance(value, list):
            return [bound(v, depth + 1) for v in value[:_EXTRA_ITEMS]]
        return "…"

    result = bound(extra, 0) if isinstance(extra, dict) else {}
    return result if len(json.dumps(result)) <= _EXTRA_BYTES else {}
