"""Seeding the database directly, without calling Copernica: for tests that need
connections in a given state; and what Copernica answers, for `responses`."""

from __future__ import annotations

import base64
import json
import time

from copernica_core import store
from copernica_core.models import Account, Outcome, Verdict
from copernica_core.secret import Secret
from copernica_core.store import immediate
from copernica_core.workspace import Workspace


def seed_connection(
    ws: Workspace, account_id: str = "7", name: str = "", *, company: str = "", label: str | None = None,
    status: Outcome = Outcome.VALID, token: str | None = None, application_id: int | None = None,
) -> int:
    """A connection to this account (pasted, unless of `application_id`) whose only check
    ended in `status`."""
    with immediate(ws.db):
        connection_id, _ = store.save_connection(
            ws.db, ws.vault, application_id=application_id, account=Account(account_id, name, "", company),
            token=Secret(token or f"token-{account_id}-0123456789"), label=label,
            result=Verdict(status, "seeded"), new_jwt=None, now=ws.clock())
    return connection_id


# What Copernica's identity endpoint answers for the account of the tests' access tokens.
IDENTITY = {"id": "34", "name": "Development", "description": "An account to test with", "company": "Copernica BV"}


def make_jwt(exp: float | None = None) -> str:
    """A JWT as Copernica's authorization server hands one out, expiring at `exp`."""
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'HS256'})}.{b64({'exp': int(exp or time.time() + 86400)})}.c2lnbmF0dXJl"


def seed_development(env: dict[str, str], *, label: str = "Acme <b>Shop</b> [x](http://evil)") -> int:
    """The Development account (IDENTITY) connected by a pasted token under `label`."""
    from .conftest import make_workspace

    ws = make_workspace(env)
    try:
        return seed_connection(ws, "34", "Development", company="Copernica BV", label=label,
                               token="tok-0123456789abcdef")
    finally:
        ws.close()


# Names that would become a link, an image, bold text or HTML if a page rendered them as markdown.
HOSTILE_ACCOUNT = "Bloom [Log in again here](http://evil.example/login)"  # an account's name at Copernica
HOSTILE_PIXEL = "![x](http://outside.example/pixel.png)"  # another account's name
HOSTILE_MARKUP = "<img src=http://outside.example/i.png> <b>bold</b>"  # a company
HOSTILE_LABEL = "**Acme** http://evil.example/bare www.evil.example anna@evil.example"  # a label from a CSV file
HOSTILE_CLIENT = "Evil [Corp](http://evil.example/c)"  # typed by a person


def seed_hostile_names(env: dict[str, str]) -> dict:
    """An agency whose data holds hostile names everywhere a name can come from: applications,
    accounts, companies, labels, clients, Copernica's answers, targets, contacts, links and
    events. Returns the connections' ids and a reconnect link's secret."""
    from datetime import timedelta

    from copernica_core.store import connect_links

    from .conftest import make_workspace

    ws = make_workspace(env)
    app_id = ws.save_application(label="App [x](http://evil.example/app)", client_key="ck-123456",
                                 client_secret="cs-abcdef-secret").id
    broken = seed_connection(ws, "101", HOSTILE_ACCOUNT, company=HOSTILE_MARKUP, status=Outcome.INVALID_TOKEN,
                             application_id=app_id)
    moved = seed_connection(ws, "102", HOSTILE_PIXEL, label=HOSTILE_PIXEL, status=Outcome.ACCOUNT_CHANGED,
                            application_id=app_id)
    fine = seed_connection(ws, "103", HOSTILE_LABEL, label=HOSTILE_LABEL)
    twin = seed_connection(ws, "103", HOSTILE_LABEL, label="Twin", application_id=app_id)  # a duplicate
    now = ws.clock()
    with immediate(ws.db):
        ws.db.execute("UPDATE connections SET client = ? WHERE id IN (?, ?)", [HOSTILE_CLIENT, broken, moved])
        for cid in (broken, moved, fine, twin):
            store.record_check(ws.db, ws.vault, cid, Verdict(
                Outcome.UNEXPECTED, f"Copernica said {HOSTILE_PIXEL}", detail=f"{HOSTILE_MARKUP} {HOSTILE_ACCOUNT}",
                account=Account("999", HOSTILE_PIXEL, HOSTILE_LABEL, HOSTILE_MARKUP)), new_jwt=None, now=now)
            status = {broken: Outcome.INVALID_TOKEN, moved: Outcome.ACCOUNT_CHANGED}.get(cid, Outcome.VALID)
            ws.db.execute("UPDATE connections SET status = ? WHERE id = ?", [status.value, cid])
        connect_links.make(ws.db, ws.vault, application_id=app_id, client=HOSTILE_CLIENT, connection_id=broken,
                         made_by="watcher", now=now, expires=timedelta(days=7),
                         sent_to="Evil [x](http://evil.example/s)")
        secret, _ = connect_links.make(ws.db, ws.vault, application_id=app_id, client=HOSTILE_CLIENT,
                                     connection_id=moved, made_by="test", now=now, expires=timedelta(days=7))
    ws.rename_connection(fine, HOSTILE_LABEL + " (renamed)")
    ws.add_notify_target("json://127.0.0.1:9/hook", label="Ops ![t](http://outside.example/t.png)")
    ws.set_client_contact(HOSTILE_CLIENT, "json://127.0.0.1:9/client-hook", reconnect_links=True)
    ws.close()
    return {"connections": [broken, moved, fine, twin], "invite": secret}
