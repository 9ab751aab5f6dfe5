"""Connect links and Copernica's redirect on a page: making and showing a link, the browser's
cookie, sending the tab to Copernica, how an authorization ended."""

from __future__ import annotations

import html
import json
import secrets
from datetime import UTC, datetime

import streamlit as st

from copernica_core import (
    BadInput,
    Workspace,
)
from copernica_core.models import Connection
from copernica_core.oauth import AuthorizationResult
from copernica_core.store import connect_links

from .words import ago, text


def link_sent_note(link: connect_links.ConnectLink) -> None:
    """A reconnect link sent to the client's contact, and whether the client used it."""
    now = datetime.now(UTC)
    why = ("Sent because the client asked to hear when one of its tokens stops working (Overview → pick the "
           "client → Contact).")
    if link.used_at:
        where = f"used {ago(link.used_at)}"
    elif link.refusal(now):
        where = link.state(now)
    elif link.reminded:  # the client has not acted since: a person may have to reach it another way
        st.warning(text(f"Reconnect link sent to {link.sent_to} {ago(link.created_at)}, still not used after a "
                        "reminder: the client may not have seen it. Call or write them, or make the link again "
                        "to send it yourself."), icon=":material/schedule:", help=why)
        return
    else:
        where = "not used yet"
    st.caption(text(f"Reconnect link sent to {link.sent_to} {ago(link.created_at)}, {where}."), help=why)


def reconnect_link_button(ws: Workspace, conn: Connection, *, key: str, type: str = "secondary") -> None:
    """ "Make a link for the client": the link that renews this connection (its one open link,
    shown again while it is open), kept on screen through timed reruns."""
    if st.button("Make a link for the client", icon=":material/share:", key=key, type=type,
                 help="For when someone else can log in to this Copernica account: they open the link, "
                      "without an account here, and give access again. It works once, for 7 days; while it is "
                      "open, this shows the same link again."):
        try:
            st.session_state["made_link"] = (conn.id, ws.invite(connection_id=conn.id)[0])
        except BadInput as refused:
            st.error(text(refused.message), icon=":material/error:")
    if (made := st.session_state.get("made_link")) and made[0] == conn.id:
        st.code(made[1], language=None)
        st.caption(text(f"Send this to whoever can log in to Copernica account {conn.account.name or ''} "
                        f"({conn.account.id}). It works once; it is withdrawn when the connection works again."))
        who_asks(ws)


def who_asks(ws: Workspace) -> None:
    """Beside a link just made: without COPERNICA_AGENCY_NAME its page cannot say who asks."""
    if not ws.settings.agency_name:
        st.caption("Its page says that “your agency” asks for access: set COPERNICA_AGENCY_NAME to your agency's "
                   "name, so that the client knows who asks.")


def authorization_result(result: AuthorizationResult, *, links: bool = True) -> None:
    """How a callback ended, with what to do next. Shown again as it was when the browser
    comes back to Copernica's redirect (Back, reload): that changes nothing."""
    body = f"**{text(result.title)}.** {text(result.message)}"
    if result.hint:
        body += f"\n\n{text(result.hint)}"
    if result.replayed:
        body += "\n\nYou opened Copernica's answer again (Back or reload): nothing was changed."
    if result.ok:
        st.success(body, icon=":material/link:")
        if result.connection_id and links:
            st.page_link("pages/inspect.py", label="Inspect this connection", icon=":material/search:",
                         query_params={"connection": str(result.connection_id)})
    elif result.status == "failed":
        st.error(body, icon=":material/error:")
    else:
        st.warning(body, icon=":material/warning:")


def connected_again(conn: Connection) -> AuthorizationResult:
    """The confirmation of an authorization that completed before this page was reloaded."""
    return AuthorizationResult("connected", f"“{conn.label}” is connected",
                               f"Copernica account {conn.account.name or '?'} (id {conn.account.id}).",
                               connection_id=conn.id, account=conn.account)


LINK_BROWSER_COOKIE = "copernica_link_browser"


def link_browser(*, new: bool = False) -> str:
    """The random value that ties an authorization through a connect link to this browser: the
    one its cookie holds; with `new`, a fresh one when it holds none (`go_to` stores it)."""
    kept = st.context.cookies.get(LINK_BROWSER_COOKIE) or ""
    if kept or not new:
        return kept
    return st.session_state.setdefault("link_browser", secrets.token_urlsafe(32))


def go_to(url: str, *, name: str, link_browser: str = "") -> None:
    """Send this browser tab to `url` (an address this dashboard built), with a link in case
    the browser does not follow; first keeping `link_browser` in this browser's cookie (an
    hour, sent back on Copernica's redirect: SameSite=Lax lets a top-level navigation carry it)."""
    target = json.dumps(url).replace("</", "<\\/")
    keep = ""
    if link_browser:
        cookie = json.dumps(f"{LINK_BROWSER_COOKIE}={link_browser}; Path=/; Max-Age=3600; SameSite=Lax")
        keep = f"document.cookie = {cookie} + (location.protocol === 'https:' ? '; Secure' : '');"
    st.html(f"<script>{keep}window.location.assign({target});</script>", unsafe_allow_javascript=True)
    st.markdown(f'Opening {text(name)}… <a href="{html.escape(url, quote=True)}" target="_self">Continue to '
                f"{text(name)}</a> if nothing happens.", unsafe_allow_html=True)
