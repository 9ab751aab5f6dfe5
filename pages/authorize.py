"""Authorize: send the user to Copernica's consent page, and receive them back here."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core import Action, BadInput
from copernica_core.oauth import STATE_TTL, without_code

if not ui.is_callback_only() and not ui.is_link_visit():
    ui.require(Action.MANAGE, "Authorize")
ws = ui.workspace()
if ui.is_link_visit():  # a client back from Copernica through its link (its state, then its ?invite=)
    found, why = ui.link_visit() or (None, "")
    if ui.link_visit() and found is None:  # an ?invite= that is no link: the link page says so
        ui.client.title(say := ui.client.speech(ws, None))
        ui.client.cannot_use(ws, say, None, why)
        ui.client.sent_by(ws, say)
        st.stop()
    visit = ws.link_page(found)
else:
    visit = None
say = ui.client.speech(ws, visit) if visit else None
if say:
    ui.client.title(say)
else:
    st.title("Authorize")

# Copernica sends the user back to this page in a new session: everything needed to finish
# comes from the query parameters and the stored state, nothing from session_state.


def remember(result) -> None:
    st.session_state["authorization_result"] = result
    if result.ok and result.connection_id and not visit:  # a reload shows the confirmation again
        st.query_params["connected"] = str(result.connection_id)


params = {k: st.query_params.get(k) for k in ("code", "state", "error", "error_description")}
if any(params.values()):
    st.query_params.clear()  # a refresh must not replay the code
    with st.spinner(say("Finishing with Copernica…") if say else "Completing the authorization with Copernica…"):
        remember(ws.complete_authorization(**params, browser=ui.link_browser()))

if visit:  # the client's result in its own words; the address keeps its link, for Try again and reloads
    now = ws.link_page()
    if result := st.session_state.get("authorization_result"):
        ui.client.came_back(ws, say, now, result)
    else:  # opened again (a reload, Back): how the link stands now
        ui.client.link_page(ws, say, now, now.link.refusal(datetime.now(UTC)))
    ui.client.keep_the_link(now)
    ui.client.sent_by(ws, say)
    st.stop()
if result := st.session_state.get("authorization_result"):
    ui.authorization_result(result, links=not ui.is_callback_only())
elif connected := ui.connection_from_query("connected"):  # this page reloaded after a success
    ui.authorization_result(ui.connected_again(connected))
if ui.is_callback_only():  # the sign-in cookie was lost on the way: nothing more without it
    st.info(f"Completed for {ui.text(ws.actor.who)}, who started it. Sign in to see your connections.",
            icon=":material/login:")
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)
    st.stop()

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



def go_to_copernica(application_id: int, connection_id: int | None, client: str) -> None:
    """The state is issued when the button is clicked: its minutes start now, however long
    the page was open before (a callback runs before the script: `ui.workspace()`)."""
    try:
        st.session_state["authorize_go"] = ui.workspace().start_authorization(
            application_id, connection_id=connection_id, client=None if connection_id else client)
    except BadInput as refused:
        st.session_state["authorize_go"] = refused
    st.session_state.pop("authorization_result", None)
    st.query_params.pop("connected", None)


st.button("Authorize with Copernica", type="primary", icon=":material/login:",
          on_click=go_to_copernica, args=(app_id, reconnect, client))
go = st.session_state.pop("authorize_go", None)
if isinstance(go, str):
    ui.go_to(go, name="Copernica")
elif isinstance(go, BadInput):
    st.error(ui.text(go.message), icon=":material/error:")
st.caption("You will log in at Copernica, choose one account and click **Give access**; Copernica then "
           f"sends you back to this page. You have {int(STATE_TTL.total_seconds() // 60)} minutes from "
           "the click.")

st.caption("Copernica must know this address as the application's redirect URI (Credentials page):")
st.code(by_id[app_id].redirect_uri, language=None)


def complete_pasted() -> None:
    """Form callback: complete from the pasted address; on failure the field keeps it (its
    code hidden) and the reason is shown right under it."""
    pasted = st.session_state["pasted_url"]
    result = ui.workspace().complete_authorization_url(pasted)
    if result.ok:
        remember(result)
        st.session_state["pasted_url"] = ""
    else:
        st.session_state["pasted_problem"] = result
        st.session_state["pasted_url"] = without_code(pasted)


problem = st.session_state.pop("pasted_problem", None)
with (st.expander("Copernica sent your browser somewhere else? Paste the redirect URL", expanded=bool(problem)),
      st.form("paste_redirect")):
    st.text_input("Paste the redirect URL", key="pasted_url",
                  placeholder="http://localhost:8501/authorize?state=…&code=…")
    if problem:
        ui.authorization_result(problem, links=False)
    st.form_submit_button("Complete authorization", on_click=complete_pasted)

st.subheader("Let a client connect its own account")
st.caption("When only the client can log in to its Copernica account: make a link and send it. The client opens "
           "it without an account here, gives access at Copernica once, and the connection appears on the "
           "Overview. A link works once, for the time you choose.")
with st.form("make_link", clear_on_submit=True):
    link_client = st.text_input("Client", max_chars=100, placeholder="e.g. Camping Het Bos")
    lasts = st.selectbox("The link works for", ["1 day", "7 days", "30 days"], index=1)
    if st.form_submit_button("Make a link", icon=":material/share:"):
        try:
            url, made = ws.invite(client=link_client, application_id=app_id,
                                  expires=timedelta(days=int(lasts.split()[0])))
        except BadInput as refused:
            st.error(ui.text(refused.message), icon=":material/error:")
        else:
            st.session_state["made_client_link"] = (url, made.client)
if made_link := st.session_state.get("made_client_link"):
    st.code(made_link[0], language=None)
    st.caption(ui.text(f"The link for {made_link[1] or '(no client)'}: shown only here and now. Send it to whoever "
                       "can log in to the client's Copernica account."))

links = ws.connect_links(open_only=False)
now = datetime.now(UTC)
open_links = [link for link in links if not link.refusal(now)]
if open_links:
    st.markdown("**Open links**")
for open_link in open_links:
    row, withdraw = st.columns([4, 1], vertical_alignment="center")
    row.text(f"#{open_link.id} · {open_link.client or '(no client)'}"
             + (f" · renews #{open_link.connection_id}" if open_link.connection_id else " · a new connection")
             + f" · made by {ui.person(open_link.made_by)}"
             + (f" · sent to {open_link.sent_to}" if open_link.sent_to else "") + f" · {open_link.state(now)}")
    if withdraw.button("Withdraw", key=f"withdraw_link_{open_link.id}", icon=":material/link_off:"):
        ws.withdraw_link(open_link.id)
        st.session_state.pop("made_client_link", None)
        st.rerun()
if closed := [link for link in links if link.refusal(now)][:50]:
    with st.expander(f"Used, withdrawn and expired links ({len(closed)}{' latest' if len(closed) == 50 else ''})"):
        st.dataframe(pd.DataFrame([{
            "Link": f"#{link.id}", "Client": link.client or "(no client)",
            "For": f"renews #{link.connection_id}" if link.connection_id else "a new connection",
            "Made by": ui.person(link.made_by), "Sent to": link.sent_to or "", "State": link.state(now),
        } for link in closed]), hide_index=True, width="stretch")
