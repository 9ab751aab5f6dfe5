"""Seeding the database directly, without calling Copernica: for tests that need
connections in a given state."""

from __future__ import annotations

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
