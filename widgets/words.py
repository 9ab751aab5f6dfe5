"""Text from outside made safe for markdown, and moments and people in a reader's words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from copernica_core import (
    Actor,
    BadInput,
)
from copernica_core.clock import parse_iso_or_none
from copernica_core.watch import duration_words

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


# Streamlit's renderer links bare URLs, "www." and e-mail addresses, and draws :material/…:
# icons, in the text that remains once escapes are resolved, so a backslash cannot stop them:
# an invisible word joiner (U+2060) after the colon, "www" or "@" does.
_AUTOLINKED = re.compile(r"(?i):(?=[a-z/])|@(?=\w)|\bwww(?=\.)")


WORD_JOINER = "\u2060"


def text(value: object) -> str:
    """Escape `value` for any element that renders markdown: what users and Copernica
    typed is shown as text, never as links, images, icons, colours or HTML."""
    joined = _AUTOLINKED.sub(lambda found: found.group() + WORD_JOINER, str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", joined)


def ago(moment: str | datetime | None) -> str:
    """'3 min ago', or 'in 23 h' for a time ahead (a cached JWT's expiry), for a stored
    timestamp (or a datetime); 'just now' within a minute; 'never' for none."""
    when = moment if isinstance(moment, datetime) else parse_iso_or_none(moment)
    if when is None:
        return "never"
    seconds = (datetime.now(UTC) - when).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            count = int(abs(seconds) // size)
            return f"{count} {unit} ago" if seconds > 0 else f"in {count} {unit}"
    return "just now"


def zone() -> ZoneInfo:
    """The dashboard's time zone (COPERNICA_TIMEZONE): every time a page shows is in it, named."""
    from .run import settings_of_this_run

    settings = settings_of_this_run()
    return ZoneInfo(settings.timezone if settings else "UTC")


def zone_label() -> str:
    """The zone as it is named beside times now: "UTC", "CET", "CEST"."""
    return datetime.now(zone()).strftime("%Z")


def when(moment: str | datetime | None) -> str:
    """'3 min ago (1 Dec 2026, 11:20 CET)', or 'never'."""
    at = moment if isinstance(moment, datetime) else parse_iso_or_none(moment)
    if at is None:
        return "never"
    return f"{ago(at)} ({at.astimezone(zone()):%-d %b %Y, %H:%M %Z})"


def person(who: str) -> str:
    """Who did something, as a person reads it: the address of the signed-in person, or what
    acted without sign-in."""
    if who == Actor.local_dashboard().who:
        return "Dashboard user (no sign-in)"
    if who == "cli" or who.startswith("cli:"):
        return f"Command line ({who[4:]})" if who[4:] else "Command line"
    if who == "demo":
        return "Demo set-up"
    return who


def as_datetime(moment: str | None) -> datetime | None:
    """A stored timestamp as an aware datetime in the dashboard's zone, for tables and charts."""
    at = parse_iso_or_none(moment)
    return at.astimezone(zone()) if at else None


def field_error(rejected: BadInput | None, name: str) -> None:
    """The message for one field, shown right under it."""
    if rejected and name in rejected.errors:
        st.error(text(rejected.errors[name]), icon=":material/error:")


def span(every: timedelta) -> str:
    return duration_words(every)


def clock_time(moment: str | datetime) -> str:
    """'19:50 CET' today, '2 Dec, 19:50 CET' another day (in the dashboard's zone)."""
    at = moment if isinstance(moment, datetime) else parse_iso_or_none(moment)
    if at is None:
        return "an unknown time"
    local = zone()
    at = at.astimezone(local)
    return f"{at:%H:%M %Z}" if at.date() == datetime.now(local).date() else f"{at.day} {at:%b}, {at:%H:%M %Z}"


def facts(rows: dict[str, object]) -> None:
    """A short list of named values, as text; empty values are left out."""
    lines = [f"**{text(name)}:** {text(value)}" for name, value in rows.items() if value not in (None, "")]
    st.markdown("  \n".join(lines) or "–")
