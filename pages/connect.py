"""Connect: the page of a connect link, opened by a client without signing in, in the client's
language. It says who asks for what and what happens, with one button to Copernica's consent;
for a link that cannot be used, why and whom to ask; for a used one, that it worked (a reload
after success lands here). It reads nothing but its own link (docs/architecture.md, "Connect
links"; widgets/client.py)."""

import widgets as ui

ws = ui.workspace()
link, why = ui.link_visit() or (None, "")
page = ws.link_page(link) if link else None
say = ui.client.speech(ws, page)
ui.client.title(say)
ui.client.link_page(ws, say, page, why)
ui.client.sent_by(ws, say)
