"""Who may use the dashboard (docs/architecture.md, "Sign-in and roles").

Without an `[auth]` section in `.streamlit/secrets.toml` there is no sign-in: the person at
this machine is admin, and a request from anywhere else (decided from the browser's Origin
and forwarded addresses, never from Host: `access.is_local_request`) is refused unless
COPERNICA_ALLOW_ANONYMOUS=true. With it, Streamlit's `st.login` signs people in through the
company's OpenID Connect provider, whose ID token must say the e-mail address is verified, and
COPERNICA_ADMINS / COPERNICA_VIEWERS give them a role. The core enforces the role; the pages
only hide what it would refuse.
"""

from __future__ import annotations

import requests
import streamlit as st

from copernica_core import Actor, Role, Settings, Workspace
from copernica_core.access import is_local_request
from copernica_core.doorstep import Doorstep

PROVIDER_TIMEOUT = 5  # seconds to wait for the identity provider before saying it is down


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer
        return False


def _from_this_machine() -> bool:
    headers = st.context.headers
    if not headers:  # no HTTP request behind this run (AppTest); a WebSocket always has headers
        return True
    lowered = {name.lower(): ", ".join(headers.get_all(name)) for name in headers.to_dict()}
    return is_local_request(lowered, peer=st.context.ip_address)


def email_verified() -> bool:
    """Whether the provider vouches for the address. Streamlit reads the ID token's claims
    (never the userinfo endpoint), so `email_verified` must be in the ID token; some providers
    send it as the string "true"."""
    return st.user.get("email_verified") in (True, "true")


def acting_person(settings: Settings) -> Actor:
    """The person this script run (and its widget callbacks) acts for. Someone who may not
    use the dashboard acts as nobody: the core refuses them everything."""
    if not sign_in_configured():
        if settings.allow_anonymous or _from_this_machine():
            return Actor.local_dashboard()
        return Actor.nobody()
    if not st.user.is_logged_in:
        return Actor.nobody()
    email = str(st.user.get("email") or "")
    if not email_verified():  # anyone may claim an address at a provider that does not check it
        return Actor.nobody(email)
    return Actor.signed_in(email, admins=settings.admins, viewers=settings.viewers) or Actor.nobody(email)


def callback_starter(settings: Settings) -> Actor | None:
    """The admin who started the authorization whose redirect this signed-out run carries,
    while its state is unused and unexpired: holding the state proves the redirect reached
    that person's browser, whose sign-in cookie was lost on the way. None otherwise."""
    state = st.query_params.get("state")
    if not state or not sign_in_configured() or st.user.is_logged_in:
        return None
    with Doorstep(settings) as lookup:
        starter = lookup.starter_of(state)
    admin = Actor.signed_in(starter or "", admins=settings.admins, viewers=settings.viewers)
    return admin if admin and admin.role is Role.ADMIN else None


def gate(ws: Workspace, *, callback_only: bool) -> bool:
    """Let the run through for a person with a role, or show why not and stop. Returns True
    when only Copernica's redirect may be completed (`callback_starter`)."""
    if callback_only:
        return True
    if ws.actor.role is not Role.NOBODY:
        return False
    if not sign_in_configured():
        _page("This dashboard answers only on this machine",
              "It has no sign-in, so it serves only a browser on the machine it runs on (also when a "
              "proxy forwards the request). To share it with a team, configure sign-in (an [auth] section in "
              ".streamlit/secrets.toml: see the README, \"Sign-in and roles\"); or, on a network you trust, "
              "set COPERNICA_ALLOW_ANONYMOUS=true.")
        st.stop()
    if st.query_params.get("state") and not st.user.is_logged_in:  # and no starter waits for it
        _page("This authorization link was already used",
              "It was used, has expired or was never issued here, so it shows nothing. Sign in to see "
              "your connections.")
        _sign_in_button()
        st.stop()
    if not st.user.is_logged_in:
        _page("Copernica Connections", "Sign in with your company account to see and manage the "
              "connections to Copernica.")
        _sign_in_button()
        st.stop()
    _no_access(ws)
    st.button("Sign out", icon=":material/logout:", on_click=st.logout)
    st.stop()


def _no_access(ws: Workspace) -> None:
    who = ws.actor.who
    if not who:
        _page("You have no access", "Your sign-in provider did not send an e-mail address, so the dashboard "
              "cannot tell who you are. Whoever runs the provider must include the email and email_verified "
              "claims in the ID token (the dashboard reads the ID token, not the userinfo endpoint).")
    elif not email_verified():
        _page("You have no access", f"Your sign-in provider does not confirm that {who} is your address "
              "(its ID token does not say email_verified: true), and anyone can claim an address that is "
              "not verified. Verify the address at your provider, or ask whoever runs it to send "
              "email_verified in the ID token; then sign in again.")
    else:
        _page("You have no access", f"You are signed in as {who}, which is not on the dashboard's list of "
              f"admins or viewers. Ask {ws.who_to_ask()} to add you.")
    from widgets.words import text  # (widgets imports this module)

    for warning in ws.settings.warnings:  # a misplaced COPERNICA_ADMINS locks everyone out: say it here too,
        st.warning(text(warning), icon=":material/warning:")  # where whoever set it up is sent


def _sign_in_button() -> None:
    if problem := st.session_state.pop("sign_in_problem", None):
        st.error(problem, icon=":material/cloud_off:")
    st.button("Try again" if problem else "Sign in", type="primary", icon=":material/login:",
              on_click=_sign_in, key="sign_in")


def _sign_in() -> None:
    """st.login, once the identity provider answers: when it does not, Streamlit shows a bare
    "Authentication error" page with no way back, so say so here and offer to try again."""
    if problem := _provider_problem():
        st.session_state["sign_in_problem"] = problem
        return
    st.login()


def _provider_problem() -> str | None:
    url = str(st.secrets["auth"].get("server_metadata_url", ""))
    if not url:
        return None  # several providers: Streamlit asks which one
    try:
        response = requests.get(url, timeout=PROVIDER_TIMEOUT, allow_redirects=False)
        if response.ok and "authorization_endpoint" in response.json():
            return None
        said = f"answered with HTTP {response.status_code}"
    except (requests.RequestException, ValueError):
        said = "did not answer"
    return (f"The sign-in provider {said}, so you cannot sign in right now. Try again in a minute; if "
            "it lasts, tell whoever runs the dashboard.")


def _page(title: str, text: str) -> None:
    st.title(title)
    st.text(text)  # plain text: an address from the provider is shown as typed, never as markdown


def sidebar(ws: Workspace) -> None:
    """Who is signed in, and Sign out (only when there is sign-in)."""
    if not sign_in_configured() or not st.user.is_logged_in:
        return
    with st.sidebar:
        st.text(f"Signed in as {ws.actor.who} ({ws.actor.role})")  # text: an address is no mailto link
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")
