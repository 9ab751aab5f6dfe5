"""Seeding the database directly, without calling Copernica: for tests that need
connections in a given state; and what Copernica answers, for `responses`."""

from __future__ import annotations

import base64
import json
import time

from copernica_core import store
from copernica_core.db import immediate
from copernica_core.models import Account, Outcome, Verdict
from copernica_core.secret import Secret
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
