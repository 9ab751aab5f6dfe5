"""Alerts: where notifications go (Slack, Teams, e-mail, webhooks through Apprise), a test
per target, and what was sent lately."""

import pandas as pd
import streamlit as st

import widgets as ui
from copernica_core import Action, BadInput

ws = ui.workspace()
st.title("Alerts")
st.caption("The watcher (`python -m copernica_core watch`) checks every connection on a schedule and sends one "
           "message per run to each target below when a connection breaks, stays broken (a daily reminder) or "
           "works again.")

if notice := st.session_state.pop("alerts_notice", None):
    st.success(ui.text(notice), icon=":material/check:")
if ws.may(Action.MANAGE):
    st.subheader("Where alerts go")
    targets = ws.notify_targets()
    if not targets:
        st.info("No targets yet. Add one below, or set COPERNICA_NOTIFY for the watcher.", icon=":material/info:")
    for target in targets:
        with st.container(border=True):
            name, test, remove = st.columns([4, 2, 1], vertical_alignment="center")
            name.markdown(f"**{ui.text(target.label)}**  \n`{target.redacted}`")
            if test.button("Send a test notification", key=f"test_{target.key}", icon=":material/send:"):
                error = ws.send_test_notification(target.key)
                st.session_state["test_result"] = (target.key, error)
            if target.stored_id is not None:
                with remove.popover("Delete", icon=":material/delete:"):  # light until asked, then confirmed
                    st.write(f"Stop sending alerts to {ui.text(target.label)}?")
                    if ui.danger_button("Delete this target", key=f"delete_target_{target.stored_id}"):
                        ws.delete_notify_target(target.stored_id)
                        st.session_state["alerts_notice"] = f"Deleted the target {target.label}."
                        st.rerun()
            shown = st.session_state.get("test_result")
            if shown and shown[0] == target.key:
                if shown[1]:
                    st.error(f"The test was not delivered: {ui.text(shown[1])}", icon=":material/error:")
                else:
                    st.success("Sent. Check that it arrived.", icon=":material/check:")
            if target.stored_id is None:
                st.caption("Set by COPERNICA_NOTIFY in the watcher's environment: change or remove it there.")

    with st.form("add_target", clear_on_submit=True):
        st.markdown("**Add a target**")
        url = st.text_input("Apprise URL", type="password",
                            help="slack://TokenA/TokenB/TokenC · workflows://… (Microsoft Teams) · "
                                 "mailto://user:pass@example.com · json://host/path. Stored encrypted and shown only "
                                 "redacted.")
        label = st.text_input("Label", placeholder="e.g. #marketing-ops on Slack", max_chars=100)
        if st.form_submit_button("Add target", type="primary"):
            try:
                added = ws.add_notify_target(url, label=label)
            except BadInput as refused:
                st.error(ui.text(refused.message), icon=":material/error:")
            else:
                told = (f" It was told of the {added.briefed} connection{'s' if added.briefed != 1 else ''} "
                        "broken now." if added.briefed and not added.error else
                        f" Telling it what is broken now failed: {added.error}" if added.briefed else "")
                st.session_state["alerts_notice"] = (f"Added {added.target.label}.{told} Send it a test "
                                                     "notification above.")
                st.rerun()

if not ws.may(Action.MANAGE):  # a viewer: where alerts go, by name only, and whom to ask
    st.subheader("Where alerts go")
    if labels := ws.notify_target_labels():
        st.markdown("\n".join(f"- {ui.text(label)}" for label in labels))
    else:
        st.info("No alert targets are set up yet.", icon=":material/info:")
    st.caption(ui.text(f"To receive alerts yourself (a Slack or Teams channel, your e-mail address), ask "
                       f"{ws.who_to_ask()} to add you."))

st.subheader("Recently sent")
deliveries = ws.recent_deliveries(limit=100)
if not deliveries:
    st.caption("Nothing sent yet.")
else:
    failing = [d for d in deliveries if d.status in ("failed", "gave up")]
    if failing:
        st.warning(f"{len(failing)} recent deliveries failed; the watcher retries them on its next run. "
                   f"Last error: {ui.text(failing[0].error)}", icon=":material/warning:")
    st.dataframe(pd.DataFrame([{
        f"When ({ui.zone_label()})": ui.as_datetime(d.created_at), "Message": d.title, "Target": d.redacted,
        "Result": {"sent": "Sent", "pending": "Waiting", "failed": "Failed, will retry",
                   "gave up": "Failed, gave up", "dropped": "Target removed"}.get(d.status, d.status),
        "Tries": d.attempts, "Error": d.error} for d in deliveries]),
        hide_index=True, width="stretch",
        column_config={f"When ({ui.zone_label()})": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
