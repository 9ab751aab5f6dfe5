"""Text from outside (Copernica's answers, a CSV, a label) made harmless for where it goes:
a terminal, a spreadsheet. (On the page, `widgets.text` does the same for markdown.)"""

from __future__ import annotations

import unicodedata

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def for_terminal(value: object) -> str:
    """`value` as text without escape sequences or invisible characters: each control or
    format character (ESC, BEL, CR, U+202E, …) is shown as its code instead of acting."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if unicodedata.category(ch) == "Zs":
        return " "
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def for_spreadsheet(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with `=`, `+`,
    `-`, `@`, tab or CR gets a leading apostrophe. Numbers and empty cells stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
