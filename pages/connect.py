"""Connect: the page of a connect link, opened by a client without signing in. It shows who
asks for what, and one button to Copernica's consent; it reads nothing but its own link
(docs/architecture.md, "Connect links")."""

import streamlit as st

import widgets as ui
from copernica_core import BadInput

ws = ui.workspace()
link = ui.link_visit()
agency = ws.settings.agency_name or "The agency that sent you this link"
st.title("Connect your Copernica account")
if link is None or isinstance(link, str):
    st.info(ui.text(link or "This page needs the whole link you were sent."), icon=":material/link_off:")
    st.stop()

secret = st.query_params.get("invite", "")
renews = ws.link_account(link)
what = (f"you to renew its read access to your Copernica account {renews}" if link.connection_id is not None
        else "read access to your Copernica account")
st.markdown(ui.text(f"{agency} asks {what}" + (f" for {link.client}." if link.client else ".")))
st.caption("You will log in at Copernica, choose " + (f"the account {ui.text(renews)}" if renews else "the account")
           + " and click **Give access**. This link works once.")


def go() -> None:
    try:
        st.session_state["connect_go"] = ui.workspace().start_link_authorization(
            secret, browser=ui.link_browser(new=True))
    except BadInput as refused:
        st.session_state["connect_go"] = refused


st.button("Continue to Copernica", type="primary", icon=":material/login:", on_click=go)
target = st.session_state.pop("connect_go", None)
if isinstance(target, str):
    ui.go_to(target, name="Copernica", link_browser=ui.link_browser(new=True))
elif isinstance(target, BadInput):
    st.error(ui.text(target.message), icon=":material/error:")
