"""Copernica Connections: page config, the workspace of this run, and navigation."""

from pathlib import Path

import streamlit as st

import signin
import widgets
from copernica_core import Action

# A bundled icon: a `:material/…:` page icon makes browsers fetch it from an outside font host.
ICON = Path(__file__).parent / "static" / "icon.png"

widgets.no_outside_lookups()
st.set_page_config(page_title="Copernica Connections", page_icon=str(ICON), layout="wide")
widgets.refuse_framing()

# URL paths come from the file names (/credentials, /authorize, /inspect): a custom
# url_path makes Streamlit show a false "Page not found" on deep links (upstream 9992).
PAGES = [  # each page, and what the acting person must be allowed to do to see it in the sidebar
    (st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True), Action.READ),
    (st.Page("pages/credentials.py", title="Credentials", icon=":material/key:"), Action.MANAGE),
    (st.Page("pages/authorize.py", title="Authorize", icon=":material/link:"), Action.MANAGE),
    (st.Page("pages/inspect.py", title="Inspect", icon=":material/search:"), Action.READ),
    (st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"), Action.READ),
    (st.Page("pages/activity.py", title="Activity", icon=":material/history:"), Action.AUDIT),
]
# A connect link (/?invite=…), opened by a client without signing in: that page only, as the
# default page (a deep link to a page the session's first navigation does not list would show
# a false "Page not found").
CONNECT = st.Page("pages/connect.py", title="Connect your Copernica account", icon=":material/link:",
                  default=True)
ws = widgets.open_for_this_run()  # one workspace per script run, closed whatever happens
try:
    if widgets.is_link_visit() and not widgets.is_callback_only():  # a client's connect link: its pages only
        # (/authorize?invite=… after Copernica's redirect: how it ended, Try again, reloads)
        st.navigation([CONNECT, *(page for page, _ in PAGES if page.url_path == "authorize")],
                      position="hidden").run()
    elif signin.gate(ws, callback_only=widgets.is_callback_only()):  # the redirect, its starter's cookie lost
        # A default page of its own: the default page answers at "/" only, so Authorize as the only
        # (hence default) page would make /authorize show a false "Page not found".
        st.navigation([st.Page(widgets.nothing_here, title="Copernica Connections", default=True),
                       *(page for page, _ in PAGES if page.url_path == "authorize")], position="hidden").run()
    else:
        # Every page is routable (a direct link to one the person may not use shows a refusal);
        # the sidebar lists the ones they may use.
        navigation = st.navigation([page for page, _ in PAGES], position="hidden")
        with st.sidebar:
            for page, needs in PAGES:
                if ws.may(needs):
                    st.page_link(page)
            if ws.may(Action.MANAGE):
                for warning in ws.settings.warnings:  # a setting in secrets.toml that is not read
                    st.warning(warning, icon=":material/warning:")
        signin.sidebar(ws)
        widgets.checks_stopped_banner(ws)
        navigation.run()
except Exception as error:  # never a traceback on the page; st.rerun/st.stop are not Exceptions
    widgets.unexpected_error(error)
finally:
    widgets.close_this_run()
