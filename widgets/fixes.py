"""Fixing a connection on its Inspect page: a new token in place (Copernica's consent, a link
for the client, or a pasted token), and its label, client or Disconnect."""

from __future__ import annotations

import streamlit as st

from copernica_core import BadInput, Workspace
from copernica_core.models import Connection

from .connections import danger_button
from .links import go_to, link_sent_note, reconnect_link_button
from .run import workspace
from .words import text


def _reauthorize(conn: Connection) -> None:
    """Straight to Copernica's consent for this connection (the state's minutes start at the
    click; a callback runs before the script)."""
    try:
        st.session_state["inspect_go"] = workspace().start_authorization(conn.application_id,
                                                                            connection_id=conn.id)
    except BadInput as refused:
        st.session_state["inspect_go"] = refused


def fix_connection(ws: Workspace, conn: Connection) -> None:
    """A new token for this connection, in place: its label, client and history stay."""
    if conn.application_id is not None:
        st.button("Re-authorize with Copernica", type="primary", icon=":material/login:", key="reauthorize",
                  on_click=_reauthorize, args=(conn,),
                  help=text(f"Opens Copernica's consent page: someone who can log in to account "
                            f"{conn.account.name or conn.account.id} gives access again."))
        go = st.session_state.pop("inspect_go", None)
        if isinstance(go, str):
            go_to(go, name="Copernica")
        elif isinstance(go, BadInput):
            st.error(text(go.message), icon=":material/error:")
        reconnect_link_button(ws, conn, key="reconnect_link")
        if sent := ws.reconnect_links_sent().get(conn.id):
            link_sent_note(sent)
    with st.form("replace_token", clear_on_submit=True, border=False):
        token = st.text_input("Or paste a new access token for it" if conn.application_id is not None else
                              "Paste a new access token for it", type="password",
                              help="Made in Marketing Suite → account settings → API access tokens, for account "
                                   f"{conn.account.id}. It is verified before it replaces the stored one.")
        if st.form_submit_button("Verify and replace"):
            try:
                attempt = ws.add_token(token, connection_id=conn.id)
            except BadInput as refused:
                st.error(text(refused.message), icon=":material/error:")
            else:
                if attempt.connection is not None:
                    st.session_state["inspect_notice"] = f"The token of {conn.label} was replaced; it works."
                    st.session_state.pop("inspection", None)
                    st.rerun()
                st.error(f"Not replaced. {text(attempt.result.message)}", icon=":material/error:")


def label_client_or_disconnect(ws: Workspace, conn: Connection) -> None:
    """Rename it, give it another client, or forget it (confirmed, and named afterwards)."""
    with st.form("rename"):
        label = st.text_input("Label", value=conn.label, max_chars=100)
        client = st.text_input("Client", value=conn.client, max_chars=100,
                               placeholder="the agency's customer it serves; empty for none")
        if st.form_submit_button("Save"):
            try:
                if label.strip() != conn.label:
                    ws.rename_connection(conn.id, label)
                if client.strip() != conn.client:
                    ws.set_client([conn.id], client)
            except BadInput as refused:
                st.error(text(refused.message), icon=":material/error:")
            else:
                changed = [what for what, new, old in (("label", label.strip(), conn.label),
                                                        ("client", client.strip(), conn.client)) if new != old]
                st.session_state["inspect_notice"] = (
                    f"Saved the {' and '.join(changed)} of {label.strip()}." if changed else "Nothing changed.")
                st.rerun()
    st.write("**Disconnect** forgets this connection and its history here. Copernica has no way for us to "
             "revoke the token: the account holder revokes it in Marketing Suite → account settings → API "
             "access tokens (or company settings → applications).")
    if st.checkbox("Yes, forget this connection and its history", key=f"confirm_disconnect_{conn.id}") and \
            danger_button("Disconnect", key=f"disconnect_{conn.id}", icon=":material/link_off:"):
        gone = ws.disconnect(conn.id)
        st.session_state["inspect_disconnected"] = (f"Disconnected {gone.label} (account {gone.account.id}) and "
                                                    "forgot it here.")
        st.query_params.clear()
        st.session_state.pop("inspection", None)
        st.rerun()
