"""Names from Copernica, a CSV file or a person are text on every page: walked as admin, as
viewer and as a client with a connect link (signed out), with names that would become a
link, an image, bold text or HTML if any element rendered them as markdown.

Every string Streamlit is given to render, in every element of every page, is read from the
page's protobufs. A hostile name reaches a markdown-rendering field only escaped (`evil.example`
then reads `evil\\.example`, and a word joiner follows each "http:", "www" and "@", so no link,
no autolink, no image, no icon); plain-text fields (code, text,
HTML we escape ourselves, select options, table cells) may hold it as it is."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from google.protobuf.message import Message

from copernica_core import Actor, Role

from . import factories
from .factories import HOSTILE_CLIENT as CLIENT
from .helpers import app

PUBLIC_URL = "https://connections.example.com"


# Where Streamlit shows a string as it is, never as markdown.
PLAIN = {("Code", "code_text"), ("Text", "body"), ("Html", "body"), ("Selectbox", "options"),
         ("MultiSelect", "options"), ("TextInput", "value"), ("TextInput", "default"), ("Selectbox", "default"),
         ("Selectbox", "raw_value"), ("MultiSelect", "raw_values"), ("PageLink", "page"), ("Json", "body")}


def rendered_strings(at) -> list[tuple[str, str, str]]:
    """(element type, field, value) of every string field of every element on the page."""
    found = []

    def strings(kind: str, message: Message, field: str = "") -> None:
        for descriptor, value in message.ListFields():
            name = descriptor.name
            values = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
            for item in values:
                if isinstance(item, Message):
                    strings(kind, item, name)
                elif isinstance(item, str):
                    found.append((kind, field or name, item))

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            strings(type(proto).__name__, proto)
        children = getattr(node, "children", None) or {}
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at._tree)
    return found


# A name unescaped, or escaped but still autolinked (Streamlit links "http://", "www." and
# addresses in the text that remains once backslash escapes are resolved).
UNESCAPED = re.compile(r"evil\.example|outside\.example|(?<!\\)<(img|b)\b|://(evil|outside)|@(evil|outside)|www\\?\.")


def markup_from_names(at) -> list[tuple[str, str, str]]:
    """Where a hostile name reached a field that renders markdown without being escaped."""
    return [(kind, field, value) for kind, field, value in rendered_strings(at)
            if (kind, field) not in PLAIN and field != "id" and UNESCAPED.search(value)]


@pytest.fixture
def hostile(page_env, monkeypatch):
    monkeypatch.setenv("COPERNICA_PUBLIC_URL", PUBLIC_URL)
    return factories.seed_hostile_names({**page_env, "COPERNICA_PUBLIC_URL": PUBLIC_URL})


def pages_as(role: Role, data: dict) -> list:
    """Every page this role may open, and the states that show more of a page (a client
    picked on the Overview, each connection on Inspect, a link made from an alert card)."""
    runs = [app(page).run() for page in ("overview", "credentials", "authorize", "alerts", "activity")]
    at = app("overview")
    at.session_state["client_filter"] = [CLIENT]
    runs.append(at.run())
    if role is Role.ADMIN:
        next(b for b in at.button if b.label == "Make a link for the client").click()
        runs.append(at.run())
    for cid in data["connections"]:
        at = app("inspect")
        at.query_params["connection"] = str(cid)
        runs.append(at.run())
    return runs


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_no_page_makes_a_link_an_image_or_markup_from_a_name(hostile, monkeypatch, role):
    import signin

    monkeypatch.setattr(signin, "acting_person", lambda settings: Actor("pat@agency.example", role))
    runs = pages_as(role, hostile)
    assert all(not at.exception for at in runs)
    seen = [value for at in runs for _, _, value in rendered_strings(at)]
    assert any("evil\\.example" in value for value in seen)  # the names are on the pages, escaped
    assert any("Bloom" in value for value in seen) and any("Evil" in value for value in seen)
    found = sorted({found for at in runs for found in markup_from_names(at)})
    assert found == [], "\n".join(map(repr, found))


def test_the_link_page_a_client_opens_signed_out_names_the_account_as_text(hostile, monkeypatch):
    at = app()
    at.query_params["invite"] = hostile["invite"]
    at.run()
    assert not at.exception
    seen = [value for _, _, value in rendered_strings(at)]
    assert any("Continue to Copernica" in value for value in seen)
    assert any("outside\\.example" in value for value in seen)  # the account it renews, named as text
    assert markup_from_names(at) == []
