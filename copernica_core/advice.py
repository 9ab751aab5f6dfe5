"""What to do about a connection's status: one function of the outcome, of who reads it (may
they fix it?) and of how the connection was made (authorized, or a pasted token). The
Overview, Inspect, the status report and the alerts all ask it, so they never disagree."""

from __future__ import annotations

from .models import Connection, Outcome

FIX = "“Fix this connection”"
ANY_ADMIN = "an admin of this dashboard"


def who_to_ask(*, contact: str = "", admins: tuple[str, ...] = ()) -> str:
    """Whom a reader who may not fix something should ask, named: the dashboard's contact if
    one is set, else the admins' addresses (a domain rule such as @agency.example names
    nobody), else "an admin of this dashboard"."""
    if contact:
        return contact
    people = [a for a in admins if "@" in a and not a.startswith("@")]
    if not people:
        return ANY_ADMIN
    named = ", ".join(people[:3]) + (f" or one of {len(people) - 3} more" if len(people) > 3 else "")
    return f"{ANY_ADMIN} ({named})"


def what_to_do(connection: Connection, *, may_fix: bool, on_inspect: bool = False, ask: str = ANY_ADMIN) -> str:
    """The next step, in plain text ("" when there is none). `on_inspect`: the reader is on the
    connection's Inspect page, where the fix is "below" rather than "on its Inspect page";
    `ask`: whom a reader who may not fix it should ask (`who_to_ask`)."""
    outcome = connection.status
    account = connection.account.name or connection.account.id
    if outcome is Outcome.VALID:
        return ""
    if outcome is Outcome.INVALID_TOKEN and not may_fix:
        return (f"Ask {ask} to fix it. Someone who can log in to Copernica account "
                f"{account} may have to give access again.")
    if outcome is Outcome.INVALID_TOKEN and connection.application_id is None:
        step = f"paste a new access token of account {account} (Marketing Suite → account settings → API access tokens)"
        return (f"In {FIX} below, {step}. Its label, client and history stay." if on_inspect else
                f"{step[0].upper()}{step[1:]} on its Inspect page ({FIX}): it replaces this connection's token and "
                "keeps its label, client and history.")
    if outcome is Outcome.INVALID_TOKEN:
        return ((f"Re-authorize it with Copernica in {FIX} below" if on_inspect else
                 f"Re-authorize it with Copernica from its Inspect page ({FIX})")
                + f": someone who can log in to account {account} gives access again. Its label, client and "
                "history stay.")
    if outcome is Outcome.ACCOUNT_CHANGED:
        return ("Stop using this connection and find out in Copernica who changed it. Then "
                + (f"ask {ask} to re-authorize it with the right account." if not may_fix else
                   f"re-authorize it with the right account ({FIX} below)." if on_inspect else
                   f"re-authorize it with the right account from its Inspect page ({FIX})."))
    if outcome is Outcome.UNCHECKED and on_inspect:
        return "Click “Check now” to find out whether it works."
    if outcome is Outcome.UNEXPECTED and on_inspect:
        return ("Check again in a while. If it stays like this, send the technical detail below to whoever "
                "looks after this dashboard.")
    return outcome.hint
