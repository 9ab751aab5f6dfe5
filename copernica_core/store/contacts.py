"""Clients' contacts (table `client_contacts`): the contact encrypted, as it may be shown, and
whether the client opted in to reconnect links. What a contact is and how it is reached is
contacts.py's; each function runs inside the caller's transaction."""

from __future__ import annotations

from .engine import Database


def save(db: Database, *, client: str, contact_enc: str, shown: str, reconnect_links: bool, who: str,
         at: str) -> None:
    db.execute(
        "INSERT INTO client_contacts (client, contact_enc, shown, reconnect_links, updated_by, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client) DO UPDATE SET contact_enc = excluded.contact_enc, "
        "shown = excluded.shown, reconnect_links = excluded.reconnect_links, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at", [client, contact_enc, shown, int(reconnect_links), who, at])


def ciphertext_of(db: Database, client: str) -> str | None:
    found = db.execute("SELECT contact_enc FROM client_contacts WHERE client = ?", [client]).fetchone()
    return found[0] if found else None


def remove(db: Database, client: str) -> bool:
    return db.execute("DELETE FROM client_contacts WHERE client = ?", [client]).rowcount > 0


def rows(db: Database, *, client: str | None = None) -> list[dict]:
    """Every client's contact row by client (or only `client`'s)."""
    where, params = (" WHERE client = ?", [client]) if client is not None else ("", [])
    return list(db.query("SELECT * FROM client_contacts" + where + " ORDER BY client", params))


def language_of(db: Database, client: str) -> str | None:
    """The language set for `client`, or None."""
    found = db.execute("SELECT language FROM client_languages WHERE client = ?", [client]).fetchone()
    return found[0] if found else None


def languages(db: Database) -> dict[str, str]:
    return dict(db.execute("SELECT client, language FROM client_languages").fetchall())


def set_language(db: Database, client: str, language: str | None, *, who: str, at: str) -> None:
    """Set (or, with None, forget) the language `client` reads."""
    if language is None:
        db.execute("DELETE FROM client_languages WHERE client = ?", [client])
        return
    db.execute("INSERT INTO client_languages (client, language, updated_by, updated_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (client) DO UPDATE SET language = excluded.language, updated_by = excluded.updated_by, "
               "updated_at = excluded.updated_at", [client, language, who, at])
