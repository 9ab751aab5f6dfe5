"""Who may use the dashboard (docs/architecture.md, "Sign-in and roles").

Without an `[auth]` section in `.streamlit/secrets.toml` there is no sign-in: the person at
this machine is admin, and a request for a host name that is not loopback is refused
unless COPERNICA_ALLOW_ANONYMOUS=true. With it, Streamlit's `st.login` signs people in
through the company's OpenID Connect provider, and COPERNICA_ADMINS / COPERNICA_VIEWERS
give them a role. The core enforces the role; the pages only hide what it would refuse.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from copernica_core import Actor, Role, Settings, Workspace
from copernica_core.config import is_loopback


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer
        return False


def _loopback_request() -> bool:
    host = st.context.headers.get("Host")
    if host is None:  # no HTTP request behind this run (AppTest); a WebSocket always sends Host
        return True
    try:
        return is_loopback(urlsplit(f"//{host}").hostname)
    except ValueError:
        return False


def acting_person(settings: Settings) -> Actor:
    """The person this script run (and its widget callbacks) acts for. Someone who may not
    use the dashboard acts as nobody: the core refuses them everything."""
    if not sign_in_configured():
        if _loopback_request() or settings.allow_anonymous:
            return Actor.local_dashboard()
        return Actor.nobody()
    if not st.user.is_logged_in:
        return Actor.nobody()
    email = str(st.user.get("email") or "")
    return Actor.signed_in(email, admins=settings.admins, viewers=settings.viewers) or Actor.nobody(email)


def gate(ws: Workspace) -> bool:
    """Let the run through for a person with a role, or show why not and stop. Returns True
    when only Copernica's redirect may be completed (its state proves who started it, the
    sign-in cookie was lost on the way)."""
    if ws.actor.role is not Role.NOBODY:
        return False
    if not sign_in_configured():
        _page("This dashboard answers only on this machine",
              "It has no sign-in, so it serves only localhost. To share it with a team, configure "
              "sign-in (an [auth] section in .streamlit/secrets.toml: see the README, \"Sign-in and roles\"); "
              "or, on a network you trust, set COPERNICA_ALLOW_ANONYMOUS=true.")
        st.stop()
    state = st.query_params.get("state")
    starter = ws.authorization_starter(state) if state and not st.user.is_logged_in else None
    if starter and Actor.signed_in(starter, admins=ws.settings.admins, viewers=ws.settings.viewers) == Actor(
            starter, Role.ADMIN):
        ws.actor = Actor(starter, Role.ADMIN)
        return True
    if not st.user.is_logged_in:
        _page("Copernica Connections", "Sign in with your company account to see and manage the "
              "connections to Copernica.")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)
        st.stop()
    _page("You have no access", f"You are signed in as {ws.actor.who or 'an account without an e-mail address'}, "
          "which is not on the dashboard's list of admins or viewers. Ask an admin to add you "
          "(COPERNICA_ADMINS or COPERNICA_VIEWERS).")
    st.button("Sign out", icon=":material/logout:", on_click=st.logout)
    st.stop()


def _page(title: str, text: str) -> None:
    st.title(title)
    st.write(text)


def sidebar(ws: Workspace) -> None:
    """Who is signed in, and Sign out (only when there is sign-in)."""
    if not sign_in_configured() or not st.user.is_logged_in:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{ws.actor.who}** ({ws.actor.role})")
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")
