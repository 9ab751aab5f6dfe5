"""Credentials: Copernica applications (Client key and Client secret), and pasted tokens."""

import streamlit as st

import widgets as ui
from copernica_core import Action, BadInput
from copernica_core.imports import PasteAttempt, decode_csv, read_token_csv, summary
from copernica_core.report import counted

ui.require(Action.MANAGE, "Credentials")
ws = ui.workspace()
st.title("Credentials")
st.caption("Your Copernica applications, from Marketing Suite → company settings → applications. "
           "The client secret is stored encrypted and never shown again.")


def save(application_id: int | None, prefix: str) -> None:
    """Form callback (it runs before the next script run: `ui.workspace()`, not the `ws` of
    the run that drew the form): save, then clear the form; the secret is cleared whatever
    happened."""
    state = st.session_state
    try:
        outcome = ui.workspace().save_application(
            application_id=application_id, label=state[f"{prefix}_label"], client_key=state[f"{prefix}_key"],
            client_secret=state[f"{prefix}_secret"], redirect_uri=state[f"{prefix}_redirect"])
    except BadInput as refused:
        outcome = refused
    state[f"{prefix}_secret"] = ""
    state[f"{prefix}_outcome"] = outcome
    if not isinstance(outcome, BadInput) and application_id is None:
        for field in ("label", "key"):
            state[f"{prefix}_{field}"] = ""


def application_form(prefix: str, outcome, *, application=None) -> None:
    rejected = outcome if isinstance(outcome, BadInput) else None
    defaults = {"label": application.label if application else "",
                "key": application.client_key if application else "",
                "secret": "", "redirect": application.redirect_uri if application else ws.settings.redirect_uri}
    for field, value in defaults.items():
        st.session_state.setdefault(f"{prefix}_{field}", value)
    with st.form(prefix):
        st.text_input("Label", key=f"{prefix}_label", placeholder="e.g. Agency integration", max_chars=100)
        ui.field_error(rejected, "label")
        st.text_input("Client key", key=f"{prefix}_key")
        ui.field_error(rejected, "client_key")
        st.text_input("Client secret", key=f"{prefix}_secret", type="password",
                      placeholder="leave empty to keep the stored secret" if application else "")
        ui.field_error(rejected, "client_secret")
        st.text_input("Redirect URI", key=f"{prefix}_redirect",
                      help="Register exactly this address in your Copernica application.")
        ui.field_error(rejected, "redirect_uri")
        st.form_submit_button("Save changes" if application else "Add application", type="primary",
                              on_click=save, args=(application.id if application else None, prefix))
    ui.field_error(rejected, "application")


if notice := st.session_state.pop("credentials_notice", None):
    st.success(ui.text(notice), icon=":material/check:")
applications = ws.applications()
for app in applications:
    prefix = f"app{app.id}"
    outcome = st.session_state.pop(f"{prefix}_outcome", None)
    affected = ws.application_connections(app.id)
    with st.container(border=True):
        st.subheader(ui.text(app.label))
        if outcome and not isinstance(outcome, BadInput):
            st.success("Saved. The connections' tokens were not touched. Copernica has no way to check a "
                       "client key and secret on their own: they are checked at the next authorization, "
                       "which names the secret if Copernica refuses it.", icon=":material/check:")
        st.markdown(f"**Client key:** {ui.text(app.client_key)} · {counted(len(affected), 'connection')}")
        st.caption("Redirect URI to register in Copernica:")
        st.code(app.redirect_uri, language=None)
        with st.expander("Edit", expanded=isinstance(outcome, BadInput)):
            if affected:
                st.info(f"Affects {counted(len(affected), 'connection')}: "
                        f"{', '.join(ui.text(c.label) for c in affected)}. Their tokens stay stored and keep "
                        "working: Copernica tokens do not depend on the client key or secret. New "
                        "authorizations will use what you save here.", icon=":material/info:")
            application_form(prefix, outcome, application=app)
        with st.expander("Delete"):
            theirs = f"{counted(len(affected), 'connection')} with their history" if affected else ""
            st.write(f"Deleting forgets this application{f' and its {theirs}' if theirs else ''} here. It does "
                     "not revoke anything in Copernica: do that in Marketing Suite → company settings → "
                     "applications.")
            if st.checkbox("Yes, delete it and forget its connections", key=f"{prefix}_confirm_delete") and \
                    ui.danger_button("Delete application", key=f"{prefix}_delete"):
                ws.delete_application(app.id)
                st.session_state["credentials_notice"] = (f"Deleted {app.label}"
                                                          f"{f' and forgot its {theirs}' if theirs else ''}.")
                st.rerun()

added = st.session_state.pop("new_outcome", None)
with st.expander("Add an application", expanded=not applications or isinstance(added, BadInput)):
    application_form("new", added)
if added and not isinstance(added, BadInput):
    st.success(f"Added {ui.text(added.label)}. Now connect an account on the Authorize page: Copernica has no "
               "way to check a client key and secret on their own, so that first authorization checks them "
               "(and names the secret if Copernica refuses it).", icon=":material/check:")
    st.page_link("pages/authorize.py", label="Go to Authorize", icon=":material/link:")

st.header("Paste an access token")
st.caption("Made a token by hand in Marketing Suite (account settings → API access tokens)? Paste it here; "
           "it is verified with Copernica before it is stored.")


def paste() -> None:
    state = st.session_state
    try:
        state["paste_outcome"] = ui.workspace().add_token(
            state["paste_token"], label=state["paste_label"], client=state["paste_client"],
            replace=state["paste_replace"])
    except BadInput as refused:
        state["paste_outcome"] = refused
    state["paste_token"] = ""  # a secret is never put back into the page
    state["paste_replace"] = False
    if isinstance(state["paste_outcome"], PasteAttempt) and state["paste_outcome"].connection:
        state["paste_label"] = state["paste_client"] = ""


pasted = st.session_state.pop("paste_outcome", None)
with st.form("paste"):
    st.text_input("Label", key="paste_label", placeholder="optional; defaults to the account's name", max_chars=100)
    ui.field_error(pasted if isinstance(pasted, BadInput) else None, "label")
    st.text_input("Client", key="paste_client", placeholder="optional: the agency's customer it serves",
                  max_chars=100)
    ui.field_error(pasted if isinstance(pasted, BadInput) else None, "client")
    st.text_input("Access token", key="paste_token", type="password")
    ui.field_error(pasted if isinstance(pasted, BadInput) else None, "token")
    st.checkbox("If this token reaches an account already connected, give that connection this token "
                "(and the label and client above)", key="paste_replace")
    st.form_submit_button("Verify and add", type="primary", on_click=paste)
if isinstance(pasted, PasteAttempt):
    if pasted.connection:
        c = pasted.connection
        st.success(f"{'Updated' if pasted.replaced else 'Added'} **{ui.text(c.label)}**: Copernica account "
                   f"{ui.text(c.account.name)} (id {ui.text(c.account.id)}, {ui.text(c.account.company)})"
                   + (f", client {ui.text(c.client)}." if c.client else "."), icon=":material/check:")
    elif pasted.conflict:
        other = pasted.conflict
        st.warning(f"**Not added.** This token reaches Copernica account {ui.text(other.account.name)} "
                   f"(id {ui.text(other.account.id)}), which is already connected as "
                   f"**{ui.text(other.label)}**"
                   + (f" (client {ui.text(other.client)})" if other.client else "")
                   + f", and storing it would change its {' and '.join(pasted.would_change)}. Nothing was changed. "
                   "If that connection should get this token, paste it again and tick *replace that "
                   "connection's token*.", icon=":material/warning:")
        st.page_link("pages/inspect.py", label=ui.text(f"Open {other.label}"),
                     query_params={"connection": str(other.id)})
    else:
        st.error(f"Not added. {ui.text(pasted.result.message)}\n\n{ui.text(pasted.result.hint)}",
                 icon=":material/error:")

st.subheader("Import many tokens")
st.caption("A CSV file with the header `label,token` and an optional `client` column, comma or semicolon "
           "separated (what Excel saves). Each row is checked here first; each token is verified with "
           "Copernica when you import (a billed call per row), and only those that work are stored.")
uploads = st.session_state.setdefault("import_uploads", 0)  # a new uploader after each import: no file lingers
upload = st.file_uploader("CSV file", type=["csv", "txt"], key=f"import_file_{uploads}")
if done := st.session_state.pop("import_results", None):
    name, results = done
    (st.success if all(r.verb != "refused" for r in results) else st.warning)(
        f"**{ui.text(name)}:** {summary(results)}.", icon=":material/upload_file:")
    st.dataframe([{"Row": r.row.number, "Label": r.row.label, "Client": r.row.client,
                   "Result": r.message} for r in results], hide_index=True, width="stretch",
                 column_config={"Result": st.column_config.TextColumn(width="large")})
elif upload is not None:
    try:
        rows = read_token_csv(decode_csv(upload.getvalue(), name=upload.name), name=upload.name)
    except BadInput as refused:
        st.error(ui.text(refused.message), icon=":material/error:")
    else:
        ready = [r for r in rows if not r.problem]
        st.dataframe([{"Row": r.number, "Label": r.label, "Client": r.client,  # never any part of a token
                       "Check": r.problem or "ready to verify"} for r in rows], hide_index=True, width="stretch",
                     column_config={"Check": st.column_config.TextColumn(width="large")})
        replace = st.checkbox("Where a token reaches an account already connected, give that connection this "
                              "row's token, label and client", key="import_replace")
        if st.button(f"Verify and import {counted(len(ready), 'row')}", type="primary", disabled=not ready,
                     icon=":material/upload:"):
            with st.spinner(f"Verifying {counted(len(ready), 'token')} with Copernica…"):
                results = ws.import_tokens(rows, replace=replace, source=upload.name)
            st.session_state["import_results"] = (upload.name, results)
            st.session_state["import_uploads"] = uploads + 1
            st.rerun()
