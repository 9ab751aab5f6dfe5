"""Clients who fix their own connections: a client's contact (an e-mail address or any Apprise
URL, stored encrypted) and whether it opted in to reconnect links. When one of its connections
stops working because of its token, the contact gets a plain message with a fresh reconnect
link; outages never go to clients (docs/architecture.md, "Connect links")."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from . import notify
from .clock import iso
from .config import Settings
from .crypto import Keyring
from .errors import BadInput, DamagedSecret
from .i18n import LANGUAGES, Speech
from .models import Connection
from .secret import Secret
from .store import connect_links, immediate
from .store import contacts as store_contacts
from .store.engine import Database
from .validation import refuse_problems, text_problem

_EMAIL = re.compile(r"[^@\s/:?&=]+@[^@\s/:?&=]+\.[^@\s/:?&=.]+")


def is_email(contact: str) -> bool:
    return bool(_EMAIL.fullmatch(contact.strip()))


def mail_address(contact: str) -> tuple[str, str]:
    """An e-mail address as the mail path carries it, and what is wrong with it ('' if nothing):
    its domain in IDNA (bloemisterij-één.nl is xn--bloemisterij--0kbb.nl on the wire); a name
    before the @ must be ASCII, because SMTP without SMTPUTF8 (Apprise's) cannot carry more."""
    import idna

    local, _, domain = contact.strip().rpartition("@")
    if not local.isascii():
        return contact, (f"the part before the @ in {contact.strip()} has letters e-mail cannot carry here (such as "
                         "ë or é): ask the client for another address, or enter an Apprise URL")
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}", ""
    except idna.IDNAError:
        return contact, f"the domain of {contact.strip()} is not a domain name e-mail can reach"


def target_url(contact: str, mail_url: str, *, sender: str = "") -> str:
    """The Apprise URL that reaches `contact`: an Apprise URL as it is; an e-mail address
    through the agency's mail server (COPERNICA_MAIL_URL), addressed to it alone, from the
    agency by name (`sender`, unless the mail URL names one), marked as sent by a machine
    (`Auto-Submitted: auto-generated`: out-of-office replies stay away)."""
    contact = contact.strip()
    if not is_email(contact):
        return contact
    parts = urlsplit(mail_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in ("to", "cc", "bcc")]
    given = {k.lower(): v for k, v in query}
    extra = [("to", mail_address(contact)[0])]
    if sender and "name" not in given and "<" not in given.get("from", ""):
        extra.append(("name", sender))
    if "+auto-submitted" not in given:
        extra.append(("+Auto-Submitted", "auto-generated"))
    return urlunsplit(parts._replace(query=urlencode([*query, *extra], quote_via=quote)))  # (Apprise reads + as +)


def contact_problem(contact: str, mail_url: str) -> str | None:
    """What is wrong with a contact as typed, or None. An e-mail address is checked as the mail
    path will carry it: the recipient Apprise reads from the URL must be the address given."""
    contact = (contact or "").strip()
    if not contact:
        return "Enter the client's e-mail address, or an Apprise URL such as slack://… or json://…."
    if is_email(contact):
        if not mail_url:
            return ("To send to an e-mail address, set COPERNICA_MAIL_URL to your mail server "
                    "(mailto://user:password@smtp.example.com); or enter an Apprise URL.")
        address, problem = mail_address(contact)
        if problem:
            return problem[:1].upper() + problem[1:] + "."
        if notify.url_problem(target_url(contact, mail_url)):
            return "COPERNICA_MAIL_URL is not a mail server Apprise understands (mailto://… or mailtos://…)."
        read = notify.email_recipients(target_url(contact, mail_url))
        if read != [address]:
            return (f"The mail path would send this to {', '.join(read) or 'nobody'}, not to {address}: check the "
                    "address.")
        return None
    if "://" not in contact:
        return "Enter an e-mail address (name@example.com) or an Apprise URL (slack://…, json://…)."
    return notify.url_problem(contact)


def shown(contact: str) -> str:
    """A contact as it may be shown: an e-mail address as it is, a URL without its keys."""
    contact = contact.strip()
    return contact if is_email(contact) else notify.redact(contact)


@dataclass(frozen=True)
class Contact:
    client: str
    shown: str  # the address, or the URL with its keys hidden
    reconnect_links: bool  # the client opted in to reconnect links
    target: notify.Target | None  # None: it cannot be reached now (see `problem`)
    problem: str = ""
    updated_by: str = ""
    updated_at: str = ""


def save(db: Database, vault: Keyring, *, client: str, contact: str, reconnect_links: bool, who: str,
         now: datetime) -> None:
    """Set a client's contact; call inside a transaction."""
    store_contacts.save(db, client=client, contact_enc=vault.encrypt(Secret(contact.strip())), shown=shown(contact),
                        reconnect_links=reconnect_links, who=who, at=iso(now))


def stored(db: Database, vault: Keyring, client: str) -> str | None:
    """A client's contact as entered (None when it has none); DamagedSecret when it cannot be read."""
    ciphertext = store_contacts.ciphertext_of(db, client)
    return vault.decrypt(ciphertext).reveal() if ciphertext else None


def set_contact(db: Database, vault: Keyring, settings: Settings, *, client: str, contact: str | None,
                reconnect_links: bool, who: str, now: datetime, record_event: Callable[..., None]) -> str:
    """Set, keep (`contact` None: to turn reconnect links on or off) or remove (blank) a client's
    contact; BadInput says what is wrong. Links sent to the contact it had lose their reason
    when it changes, is removed, or its reconnect links are turned off: they are withdrawn.
    Returns the client's name as stored."""
    client = (client or "").strip()
    refuse_problems(client=text_problem(client, name="Client"))
    if contact is not None and not contact.strip():
        with immediate(db):
            if store_contacts.remove(db, client):
                record_event("client contact removed", detail=client)
                _withdraw_sent_links(db, client, why="the client's contact was removed", now=now,
                                     record_event=record_event)
        return client
    try:
        before = stored(db, vault, client)
    except DamagedSecret:
        before = ""
    if contact is None:
        contact = before
        if not contact:
            raise BadInput({"contact": f"Enter the contact of {client} first."})
    refuse_problems(contact=contact_problem(contact, settings.mail_url.reveal()))
    if reconnect_links and not settings.public_url:
        raise BadInput({"reconnect_links": "Set COPERNICA_PUBLIC_URL to the dashboard's address first: the "
                                           "reconnect link a client gets lives there."})
    with immediate(db):
        save(db, vault, client=client, contact=contact, reconnect_links=reconnect_links, who=who, now=now)
        record_event("client contact set", detail=f"{client}: {shown(contact)}"
                     + (", reconnect links on" if reconnect_links else ", reconnect links off"))
        if not reconnect_links:
            why = "the client's reconnect links were turned off"
        elif (before or "").strip() != contact.strip():
            why = "the client's contact changed"
        else:
            return client
        _withdraw_sent_links(db, client, why=why, now=now, record_event=record_event)
    return client


def _withdraw_sent_links(db: Database, client: str, *, why: str, now: datetime,
                         record_event: Callable[..., None]) -> None:
    if withdrawn := connect_links.withdraw_sent_to_client(db, client, now=now, why=why):
        record_event("connect link revoked", detail=f"{why}: link " + ", ".join(f"#{i}" for i in withdrawn))


def listed(db: Database, vault: Keyring, *, mail_url: str, client: str | None = None, sender: str = ""
           ) -> dict[str, Contact]:
    """Every client's contact (or only `client`'s), with the target that reaches it (None
    when it cannot)."""
    contacts = {}
    for row in store_contacts.rows(db, client=client):
        target, problem = None, ""
        try:
            contact = vault.decrypt(row["contact_enc"]).reveal()
        except DamagedSecret:
            problem = "its stored contact cannot be decrypted; enter it again"
        else:
            if problem := contact_problem(contact, mail_url) or "":
                pass
            else:
                url = target_url(contact, mail_url, sender=sender)
                target = notify.target(f"client:{hashlib.sha256(url.encode()).hexdigest()[:16]}",
                                       f"contact of {row['client']}", url, shown=row["shown"])
        contacts[row["client"]] = Contact(row["client"], row["shown"], bool(row["reconnect_links"]), target,
                                          problem, row["updated_by"], row["updated_at"])
    return contacts


def set_language(db: Database, client: str, language: str | None, *, who: str, now: datetime,
                 record_event: Callable[..., None]) -> None:
    """Set (or, with None, forget) the language a client reads; BadInput for another."""
    client = (client or "").strip()
    refuse_problems(client=text_problem(client, name="Client"))
    if language is not None and language not in LANGUAGES:
        raise BadInput({"language": f"The language is one of {', '.join(LANGUAGES)} (or none: the browser's)."})
    with immediate(db):
        store_contacts.set_language(db, client, language, who=who, at=iso(now))
        record_event("client language set", detail=f"{client}: {language or 'the browser’s'}")


def languages(db: Database) -> dict[str, str]:
    return store_contacts.languages(db)


def reconnect_message(conn: Connection, *, agency: str, agency_contact: str, expires_at: str,
                      say: Speech | None = None) -> tuple[str, str]:
    """The plain message a client's contact gets when a token of theirs stopped working, in its
    language (`say`): what happened in its words, the link (as notify.LINK_PLACEHOLDER), until
    when it works (in COPERNICA_TIMEZONE, the zone named), who sends it and whom to ask."""
    say = say or Speech("en")
    who = agency or say("Your agency")
    # Copernica's name for the account is quoted: "… First log in at https://…" must not read as our words.
    account = (f"“{conn.account.name}” (id {conn.account.id})" if conn.account.name
               else say("with id {id}", id=conn.account.id))
    title = say("{agency}: the access you gave to your Copernica account has stopped working", agency=who)
    body = "\n".join([
        say("Hello,"),
        "",
        say("The access you gave {agency} to your Copernica account {account} has stopped working: Copernica no "
            "longer accepts it (it was revoked or replaced).", agency=agency or say("us"), account=account),
        "",
        say("To give it again, open this link, log in to Copernica and confirm:"),
        notify.LINK_PLACEHOLDER,
        "",
        say("The link works once, until {until}. Nothing else is needed.", until=say.moment(expires_at)),
        say("Questions? Contact {contact}.", contact=agency_contact) if agency_contact else "",
        "",
        say("This message was sent by {agency}.", agency=agency) if agency else
        say("This message was sent by your agency."),
    ])
    return title, body
