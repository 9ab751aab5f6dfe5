"""Connect: the page of a connect link, opened by a client without signing in, in the client's
language. It says who asks for what and what happens, with one button to Copernica's consent;
for a link that cannot be used, why and whom to ask; for a used one, that it worked (a reload
after success lands here). It reads nothing but its own link (docs/architecture.md, "Connect
links"; widgets/client.py)."""

import streamlit as st

import widgets as ui

ws = ui.workspace()
link, why = ui.link_visit() or (None, "")
page = ws.link_page(link) if link else None
say = ui.client.speech(ws, page)
ui.client.title(say)
if page is None or why:
    ui.client.cannot_use(ws, say, page, why)
else:
    ui.client.invitation(ws, say, page)
    ui.client.continue_button(say, st.query_params.get("invite", ""))
ui.client.sent_by(ws, say)
