"""Authorize: send the user to Copernica's consent page, and receive them back here."""

import html
import time

import streamlit as st

import widgets as ui
from copernica_core import Action, BadInput

if not ui.is_callback_only():
    ui.require(Action.MANAGE, "Authorize")
ws = ui.workspace()
st.title("Authorize")

# Copernica sends the user back to this page in a new session: everything needed to finish
# comes from the query parameters and the stored state, nothing from session_state.


def remember(result) -> None:
    st.session_state["authorization_result"] = result
    for key in [k for k in st.session_state if str(k).startswith("link_")]:
        del st.session_state[key]  # a cached link's state may be the one just used


params = {k: st.query_params.get(k) for k in ("code", "state", "error", "error_description")}
if any(params.values()):
    st.query_params.clear()  # a refresh must not replay the code
    with st.spinner("Completing the authorization with Copernica…"):
        remember(ws.complete_authorization(**params))

if result := st.session_state.get("authorization_result"):
    ui.authorization_result(result, links=not ui.is_callback_only())
if ui.is_callback_only():  # the sign-in cookie was lost on the way: nothing more without it
    st.info(f"Completed for {ui.text(ws.actor.who)}, who started it. Sign in to see your connections.",
            icon=":material/login:")
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)
    st.stop()
    if st.button("Dismiss", icon=":material/close:"):
        del st.session_state["authorization_result"]
        st.rerun()

applications = ws.applications()
if not applications:
    st.info("Add your Copernica application's **Client key** and **Client secret** first.", icon=":material/info:")
    st.page_link("pages/credentials.py", label="Go to Credentials", icon=":material/key:")
    st.stop()

st.subheader("Connect a Copernica account")
by_id = {a.id: a for a in applications}
if fix := ui.connection_from_query("reconnect"):  # from Inspect's "Fix this connection"
    st.session_state["authorize_app"], st.session_state["reconnect_choice"] = fix.application_id, fix.id
    del st.query_params["reconnect"]
app_id = st.selectbox("Application", list(by_id), format_func=lambda i: by_id[i].label, key="authorize_app")
existing = ws.application_connections(app_id)
names = {c.id: ui.connection_name(c) for c in existing}
reconnect = st.selectbox(
    "Re-authorize an existing connection (optional)", [None, *names],
    format_func=lambda i: "No: connect a new account" if i is None else names[i],
    help="Choose one to replace its token in place and keep its history.", key="reconnect_choice")

client = st.text_input("Client (optional)", max_chars=100, disabled=reconnect is not None,
                       placeholder="the agency's customer this account serves, e.g. Camping Het Bos",
                       help="A re-authorized connection keeps its own client.")

# One link per choice, reused for a few minutes instead of issuing a state on every rerun.
cache_key = f"link_{app_id}_{reconnect}_{client}"
cached = st.session_state.get(cache_key)
if not cached or time.monotonic() - cached[1] > 300:
    try:
        link = ws.start_authorization(app_id, connection_id=reconnect, client=None if reconnect else client)
    except BadInput as refused:
        link = refused
    st.session_state[cache_key] = cached = (link, time.monotonic())
link = cached[0]
if isinstance(link, str):
    st.markdown(
        f'<a href="{html.escape(link, quote=True)}" target="_self" class="authorize-link" '
        'style="display:inline-block;padding:.6rem 1.2rem;border-radius:.5rem;background:#1f6feb;'
        'color:white;text-decoration:none;font-weight:600">Authorize with Copernica</a>',
        unsafe_allow_html=True)
    st.caption("You will log in at Copernica, choose one account and click **Give access**; Copernica then "
               "sends you back to this page. The link is valid for 10 minutes and works once.")
else:
    st.error(ui.text(link.message))

st.caption("Copernica must know this address as the application's redirect URI (Credentials page):")
st.code(by_id[app_id].redirect_uri, language=None)

with (st.expander("Copernica sent your browser somewhere else? Paste the redirect URL"),
      st.form("paste_redirect", clear_on_submit=True)):
    url = st.text_input("Paste the redirect URL", placeholder="http://localhost:8501/authorize?state=…&code=…")
    if st.form_submit_button("Complete authorization"):
        remember(ws.complete_authorization_url(url))
        st.rerun()
