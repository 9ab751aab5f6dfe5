"""Copernica Connections: page config, the workspace of this run, and navigation."""

from pathlib import Path

import streamlit as st

import widgets

# A bundled icon: a `:material/…:` page icon makes browsers fetch it from an outside font host.
ICON = Path(__file__).parent / "static" / "icon.png"

st.set_page_config(page_title="Copernica Connections", page_icon=str(ICON), layout="wide")
widgets.refuse_framing()

# URL paths come from the file names (/credentials, /authorize, /inspect): a custom
# url_path makes Streamlit show a false "Page not found" on deep links (upstream 9992).
pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/credentials.py", title="Credentials", icon=":material/key:"),
    st.Page("pages/authorize.py", title="Authorize", icon=":material/link:"),
    st.Page("pages/inspect.py", title="Inspect", icon=":material/search:"),
    st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
]
widgets.open_for_this_run()  # one workspace per script run, closed whatever happens
try:
    st.navigation(pages).run()
except Exception as error:  # never a traceback on the page; st.rerun/st.stop are not Exceptions
    widgets.unexpected_error(error)
finally:
    widgets.close_this_run()
