"""Moments as the program keeps them: UTC, stored as fixed-width ISO text so that text order is
time order."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Timestamps are stored as fixed-width UTC ISO text so that text order is time order."""
    m = moment.astimezone(UTC)
    # not strftime: its %Y does not pad years before 1000, which would break text order
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond:06d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_iso_or_none(text: str | None) -> datetime | None:
    """A stored timestamp, or None when there is none or it cannot be read (a row written by
    an older version must not break a page or a run)."""
    try:
        return parse_iso(text) if text else None
    except (ValueError, TypeError):
        return None
