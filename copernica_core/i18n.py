"""The client's language and time zone: what a client reads (a connect link's page, its
refusals and results, the reconnect message) is in Dutch or English, with times in
COPERNICA_TIMEZONE, the zone named (docs/architecture.md, "The client's language").

The English text is the message id; the Dutch is in the gettext catalog
`copernica_core/locale/nl/LC_MESSAGES/client.po`, read with Babel when first needed (no compiled
file to keep in step). Which language: the client's own (its contact's), else the browser's
Accept-Language, else COPERNICA_LANGUAGE (`choose`)."""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .clock import parse_iso
from .errors import ConfigError

LANGUAGES = ("en", "nl")
CATALOGS = Path(__file__).parent / "locale"
DOMAIN = "client"


def language_setting(text: str, *, name: str) -> str:
    value = (text or "").strip().lower()
    if value not in LANGUAGES:
        raise ConfigError(f"{name} must be one of {', '.join(LANGUAGES)}, not {text!r}.")
    return value


def timezone_setting(text: str, *, name: str) -> str:
    value = (text or "").strip() or "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be a time zone name such as Europe/Amsterdam or UTC, not {text!r}.") from None
    return value


def from_browser(accept_language: str | None) -> str | None:
    """The first language of `Accept-Language` ("nl-NL,nl;q=0.9,en;q=0.8") this program speaks."""
    ranked = []
    for position, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    return next((tag for _, _, tag in sorted(ranked) if tag in LANGUAGES), None)


def choose(*, client_language: str | None, accept_language: str | None, default: str) -> str:
    """The client's own language, else its browser's, else the installation's."""
    if client_language in LANGUAGES:
        return client_language
    return from_browser(accept_language) or default


@lru_cache(maxsize=len(LANGUAGES))
def _translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with (CATALOGS / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Speech:
    """Words and times for one reader: `speech("…")` translates, `speech.moment(iso)` dates."""

    language: str
    timezone: str = "UTC"

    def __call__(self, message: str, **values: object) -> str:
        translated = _translations(self.language).gettext(message)
        said = translated.format(**values) if values else translated
        # a sentence that starts with a name given in lower case ("your agency asks …") starts upper case
        return said[:1].upper() + said[1:] if translated.startswith("{") else said

    def moment(self, stored: str | datetime) -> str:
        """A stored time as this reader reads it, its zone named: "5 December 2026, 15:02 (Central
        European Standard Time)", "5 december 2026, 15:02 (Midden-Europese standaardtijd)"."""
        from babel.dates import format_datetime

        when = parse_iso(stored) if isinstance(stored, str) else stored
        zone = ZoneInfo(self.timezone)
        return format_datetime(when, "d MMMM y, HH:mm '('zzzz')'", tzinfo=zone, locale=self.language)

    def date(self, stored: str | datetime) -> str:
        from babel.dates import format_date

        when = parse_iso(stored) if isinstance(stored, str) else stored
        return format_date(when.astimezone(ZoneInfo(self.timezone)), "d MMMM y", locale=self.language)


def speech_for(settings, *, client_language: str | None = None, accept_language: str | None = None) -> Speech:
    return Speech(choose(client_language=client_language, accept_language=accept_language,
                         default=settings.language), settings.timezone)
