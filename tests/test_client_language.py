"""What a client reads, in Dutch or English: every sentence of the client's side has its Dutch in
the catalog with the same placeholders; the language is the client's own, else its browser's,
else COPERNICA_LANGUAGE; times are in COPERNICA_TIMEZONE with the zone named. And the agency
hears every attempt through a link: each start, deny and wrong account is an event of its
connection, and Try again starts afresh while the link is open."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from copernica_core import Actor
from copernica_core.config import ConfigError, load_settings
from copernica_core.i18n import CATALOGS, Speech, choose, from_browser

from .conftest import make_workspace
from .helpers import BROWSER, callback_params, consent, use_link

ROOT = Path(__file__).resolve().parent.parent
CLIENT_SIDE = ["widgets/client.py", "pages/connect.py", "pages/authorize.py", "copernica_core/contacts.py",
               "copernica_core/report.py"]


def client_sentences() -> set[str]:
    """Every `say("…")` of the client's side, and the sentences kept in its tables."""
    found = {message for path in CLIENT_SIDE
             for _, message, _, _ in extract_from_file("python", ROOT / path, keywords={"say": None})}
    tree = ast.parse((ROOT / "widgets/client.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in ("_CAME_BACK", "_OTHERWISE"):
            found |= {n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                      and " " in n.value}
    from copernica_core.vocabulary import VOCABULARY

    found |= {text for words in VOCABULARY.values()  # each status in the client's words (its report)
              for text in (words.client_label, words.client_words, words.client_with_link) if text}
    return found


def dutch() -> dict[str, str]:
    with (CATALOGS / "nl" / "LC_MESSAGES" / "client.po").open("rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_sentence_a_client_reads_has_its_dutch_with_the_same_placeholders():
    sentences, catalog = client_sentences(), dutch()
    assert len(sentences) > 25
    missing = sorted(s for s in sentences if not catalog.get(s))
    assert missing == [], "add these to copernica_core/locale/nl/LC_MESSAGES/client.po"
    for english in sentences:
        assert placeholders(catalog[english]) == placeholders(english), english
    assert sorted(set(catalog) - sentences) == [], "no longer said anywhere: remove from the catalog"
    for nl in catalog.values():  # plain Dutch with "u", never "je" or "jij"
        assert not re.search(r"\b(je|jij|jouw)\b", nl, re.I), nl


def test_the_language_is_the_clients_own_else_its_browsers_else_the_default():
    assert from_browser("nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7") == "nl"
    assert from_browser("en-GB,en;q=0.9,nl;q=0.8") == "en"
    assert from_browser("de-DE,de;q=0.9,nl;q=0.5,en;q=0.3") == "nl"  # the first we speak, by weight
    assert from_browser("fr-FR") is None and from_browser(None) is None and from_browser("q=;;,,") is None
    assert choose(client_language="en", accept_language="nl-NL", default="nl") == "en"
    assert choose(client_language=None, accept_language="nl-NL", default="en") == "nl"
    assert choose(client_language=None, accept_language="fr", default="nl") == "nl"


def test_times_are_in_the_configured_zone_with_the_zone_named():
    winter = "2026-12-05T14:02:00.000000Z"
    assert Speech("nl", "Europe/Amsterdam").moment(winter) == "5 december 2026, 15:02 (Midden-Europese standaardtijd)"
    assert Speech("en", "Europe/Amsterdam").moment(winter) == "5 December 2026, 15:02 (Central European Standard Time)"
    assert Speech("en").moment(winter) == "5 December 2026, 14:02 (Coordinated Universal Time)"
    assert Speech("nl")("{agency} asks for access to your Copernica account.", agency="uw bureau") == \
        "Uw bureau vraagt toegang tot uw Copernica-account."


def test_language_and_time_zone_settings_are_checked(env):
    settings = load_settings({**env, "COPERNICA_LANGUAGE": "NL", "COPERNICA_TIMEZONE": "Europe/Amsterdam"},
                             secrets_files=[])
    assert (settings.language, settings.timezone) == ("nl", "Europe/Amsterdam")
    with pytest.raises(ConfigError, match="COPERNICA_LANGUAGE"):
        load_settings({**env, "COPERNICA_LANGUAGE": "de"}, secrets_files=[])
    with pytest.raises(ConfigError, match="COPERNICA_TIMEZONE"):
        load_settings({**env, "COPERNICA_TIMEZONE": "Mars/Olympus"}, secrets_files=[])


def test_every_attempt_through_a_link_is_an_event_of_its_connection_and_try_again_starts_afresh(agency, control):
    env, ws = agency
    url = ws.invite(client="Bloom")[0]
    connected = use_link(env, url, account="102")
    ws.set_client_contact("Bloom", "json://127.0.0.1:9/hook", reconnect_links=False)
    control.post("revoke", account_id="102")
    ws.check()
    renew, link = ws.invite(connection_id=connected.connection_id)
    secret = renew.split("invite=")[1]

    client = make_workspace(env, actor=Actor.client_link(link.actor))
    try:
        denied = client.complete_authorization(code=None, **callback_params(consent(
            client.start_link_authorization(secret, browser=BROWSER), account="102", decision="deny")),
            browser=BROWSER)
        assert denied.reason == "denied" and not denied.ok
        wrong = client.complete_authorization(**callback_params(consent(
            client.start_link_authorization(None, browser=BROWSER), account="101")), browser=BROWSER)  # Try again
        assert wrong.reason == "wrong_account"
        again = client.complete_authorization(**callback_params(consent(
            client.start_link_authorization(None, browser=BROWSER), account="102")), browser=BROWSER)
        assert again.ok and again.connection_id == connected.connection_id
        page = client.link_page()
        assert page.connected == "“Bloom Florists” (id 102)" and page.address == renew  # a reload comes back here
    finally:
        client.close()
    said = [(e.actor, e.action) for e in reversed(ws.events(connection_id=connected.connection_id))]
    who = link.actor
    assert said[-6:] == [(who, "client went to Copernica through a link"), (who, "client denied access at Copernica"),
                         (who, "client went to Copernica through a link"),
                         (who, "client chose another account at Copernica"),
                         (who, "client went to Copernica through a link"), (who, "connected through a link")]


def test_a_clients_language_is_set_kept_and_forgotten(ws):
    ws.set_client_language("Bloom", "nl")
    assert ws.client_languages() == {"Bloom": "nl"}
    ws.set_client_language("Bloom", None)
    assert ws.client_languages() == {}
    from copernica_core import BadInput

    with pytest.raises(BadInput, match="language"):
        ws.set_client_language("Bloom", "de")
