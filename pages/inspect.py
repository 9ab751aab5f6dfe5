"""Inspect: one connection's state in plain words (from its last check), a check on demand,
its history, and for admins the fix, rename, reveal and Disconnect."""

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core import Action, NotFound

ws = ui.workspace()
st.title("Inspect")
if gone := st.session_state.pop("inspect_disconnected", None):  # the confirmation alone, no other connection
    st.success(ui.text(gone), icon=":material/check:")
    st.page_link("pages/overview.py", label="Back to the Overview", icon=":material/dashboard:")
    st.stop()
if notice := st.session_state.pop("inspect_notice", None):
    st.success(ui.text(notice), icon=":material/check:")
conn = ui.connection_picker(ws, key="inspect_connection")
if conn is None and ws.connection_count():  # a large fleet: the picker said how to find one
    st.stop()
if conn is None:
    st.info("No connections yet: authorize an account or paste a token first.", icon=":material/info:")
    st.page_link("pages/authorize.py", label="Authorize an account", icon=":material/link:")
    st.stop()

may_fix = ws.may(Action.MANAGE)


def reached_instead(ws) -> None:
    """For an account that changed: which account the token reaches now, and whether another
    connection already stands for that account."""
    seen = next((c.account_seen for c in ws.history(conn.id, limit=20) if c.outcome == "account_changed"
                 and c.account_seen), None)
    if not seen:
        return
    owners = [c for c in ws.snapshot().connections if c.account.id == seen and c.id != conn.id]
    owner = (f" Connection “{owners[0].label}” (#{owners[0].id}) already stands for that account."
             if owners else " No other connection here stands for that account.")
    st.markdown(ui.text(f"The token now reaches Copernica account {seen}, not {conn.account.name or '?'} "
                        f"({conn.account.id}).{owner}"))

head, action = st.columns([3, 1], vertical_alignment="center")
with head:
    st.subheader(ui.text(conn.label))
    st.caption(" · ".join(ui.text(part) for part in (
        f"client {conn.client}" if conn.client else "", f"Copernica account {conn.account.name or '?'}",
        f"id {conn.account.id}", conn.account.company) if part))
if action.button("Inspect now", type="primary", icon=":material/refresh:", width="stretch",
                 help="Asks Copernica now whether this connection works (a billed call)."):
    with st.spinner("Asking Copernica…"):
        [checked] = ws.check([conn.id])
    st.session_state["inspection"] = (conn.id, checked.result)
    st.rerun()



def status_now(ws) -> None:
    """What the last check found, from the database (explained before anyone pays for a new
    call), and for a broken connection its fix: followed live, as the watcher checks it."""
    try:
        now = ws.connection(conn.id)
    except NotFound:
        st.info("This connection was disconnected meanwhile.", icon=":material/link_off:")
        return
    ui.explain_connection(now, may_fix=may_fix, ask=ws.who_to_ask())
    latest = ws.history(now.id, limit=1)
    if latest and latest[0].outcome != now.status:  # a token verdict kept through an outage (store.record_check)
        last = f"{ui.status_label(latest[0].outcome)}, {ui.when(latest[0].checked_at)}"
        st.caption(ui.text(f"Copernica did not answer about the token at the last check ({last}): this is the "
                           "last verdict it gave, kept until a check gets an answer."))
    if now.status.needs_a_person:  # the fix where the problem is explained, not a page further down
        if now.status.value == "account_changed":
            reached_instead(ws)
        if may_fix:
            with st.container(border=True):
                st.markdown("**Fix this connection**: give it a new token; its label, client and history stay.")
                ui.fix_connection(ws, conn)


ui.live(status_now, every=ws.settings.live_every)
latest = ws.history(conn.id, limit=1)
fresh = shown[1] if (shown := st.session_state.get("inspection")) and shown[0] == conn.id else None
with st.expander("Technical detail"):
    ui.facts({
        "Last check": conn.status_message,
        "Copernica's answer": latest[0].detail if latest and latest[0].detail != conn.status_message else "",
        "HTTP status": conn.last_http_status,
        "Response time": f"{conn.last_latency_ms:.0f} ms" if conn.last_latency_ms is not None else "",
        "Calls to Copernica (billed) for the check just made": fresh.calls if fresh else "",
        "Short-lived access (JWT) cached until": ui.when(conn.jwt_expires_at) if conn.jwt_expires_at else "",
    })
    if fresh and fresh.advice and fresh.advice != fresh.outcome.hint:
        st.caption(ui.text(fresh.advice))

account, details = st.columns(2)
with account, st.container(border=True):
    st.markdown("**Copernica account**")
    rows = {"Name": conn.account.name, "Id": conn.account.id, "Description": conn.account.description,
            "Company": conn.account.company}
    for key, value in conn.account.extra.items():
        rows[key] = value if isinstance(value, str) else str(value)
    ui.facts(rows)
with details, st.container(border=True):
    st.markdown("**Connection**")
    ui.facts({
        "Connected through": conn.application_label or "a pasted access token",
        "Connected": ui.when(conn.created_at),
        "Last checked": ui.when(conn.last_checked_at),
        "Last worked": ui.when(conn.last_ok_at),
        "Note": "not checked for a long time: its status may be out of date" if conn.stale else "",
        "Same Copernica account as": ", ".join(f"#{i}" for i in conn.duplicate_of),
        "Token fingerprint": conn.token_fingerprint if ws.may(Action.REVEAL) else "",  # admins only
    })

ui.history_section(ws, conn)

if not ws.may(Action.MANAGE):
    st.caption("Renaming, disconnecting and revealing the token are for admins.")
    st.stop()

with st.expander("Activity"):
    events = ws.events(connection_id=conn.id, limit=50)
    if events:
        st.dataframe(pd.DataFrame([{f"When ({ui.zone_label()})": ui.as_datetime(e.at), "Who": ui.person(e.actor),
                                    "What": e.action, "Detail": e.detail} for e in events]),
                     hide_index=True, width="stretch", column_config={
                         f"When ({ui.zone_label()})": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")})
    else:
        st.caption("Nothing recorded for this connection.")

with st.expander("Access token"):
    st.write(f"Fingerprint {ui.text(conn.token_fingerprint)}: the same token always has the same fingerprint. "
             "The token itself stays encrypted unless you reveal it; every reveal is recorded in Activity.")
    if st.button("Reveal the access token", icon=":material/visibility:"):
        st.code(ws.reveal_token(conn.id).reveal(), language=None)
        st.caption("Shown until you do anything else on this page.")

if not conn.status.needs_a_person:  # a broken one has its fix at the top
    with st.expander("Fix this connection"):
        ui.fix_connection(ws, conn)

with st.expander("Label, client or disconnect"):
    ui.label_client_or_disconnect(ws, conn)
