"""The run: one workspace per script run (and its widget callbacks), who acts in it (a connect
link's visitor, the starter of a redirect, the signed-in person), navigation, live parts, the
page's last resort."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta

import streamlit as st

import signin
from copernica_core import (
    Action,
    Actor,
    ConfigError,
    Workspace,
)
from copernica_core.access import Role
from copernica_core.config import load_settings
from copernica_core.doorstep import Doorstep
from copernica_core.errors import DatabaseFault, Forbidden
from copernica_core.secret import scrub
from copernica_core.store import connect_links

from .words import text

_navigation_forced = False


def _use_navigation() -> None:
    """Right after start-up Streamlit runs a deep link (such as Copernica's redirect to
    /authorize) as a legacy page from pages/, without dashboard.py (upstream issue 9992).
    Switch to st.navigation and run again, once per process: the query parameters are kept.
    (AppTest resets the flag before every run; those runs use the page on its own.)"""
    global _navigation_forced
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not _navigation_forced:
        _navigation_forced = True
        PagesManager.uses_pages_directory = False
        st.rerun()


def no_outside_lookups() -> None:
    """Streamlit checks a WebSocket from an origin other than its own (a proxy that rewrites
    Host, another site's page) against "this machine's external address", which it asks an
    outside service for (checkip.amazonaws.com), again at every connection while that fails.
    Give it an answer that allows nothing new (127.0.0.1 is always allowed), so the dashboard
    never reaches outside this machine. Uses an internal Streamlit variable: recheck on every
    Streamlit upgrade (tests/e2e/test_deployment.py watches for outside requests)."""
    from streamlit import net_util

    net_util._external_ip = "127.0.0.1"


_this_run = threading.local()  # Streamlit runs each session's script in a thread of its own


def open_for_this_run() -> Workspace:
    """The workspace of this script run, opened on first use (widget callbacks run before
    the script: they get it here too), closed by dashboard.py when the run ends (or by `live`
    after a rerun of its part alone); or a plain explanation and a stopped page."""
    if (ws := getattr(_this_run, "workspace", None)) is not None:
        return ws
    try:
        settings = load_settings()
        link_actor = _connect_link_visitor(settings)  # a client with a connect link, or its redirect back
        starter = None if link_actor else signin.callback_starter(settings)  # the sign-in cookie lost on the way
        ws = Workspace(settings, actor=link_actor or starter or signin.acting_person(settings))
        _this_run.callback_only = starter is not None or (link_actor is not None and "state" in st.query_params)
    except ConfigError as error:
        st.error(f"**The dashboard cannot start:** {text(error)}", icon=":material/error:")
        st.caption("Fix the setting named above (environment variable or .streamlit/secrets.toml), "
                   "then reload this page.")
        st.stop()
    except DatabaseFault as error:  # PostgreSQL restarting, or away: nothing to fix in the settings
        database_away(error)
        st.stop()
    _this_run.workspace = ws
    return ws


def _connect_link_visitor(settings) -> Actor | None:
    """A client who opened a connect link (`/?invite=…`), or who comes back from
    Copernica with the state of that link's authorization: acting as that link only, whoever
    is signed in (or not). The link found is kept for the page (`link_visit`)."""
    _this_run.link = None
    invite, state = st.query_params.get("invite"), st.query_params.get("state")
    if not invite and not state:
        return None
    with Doorstep(settings) as lookup:
        if invite:
            _this_run.link = lookup.visit(invite)  # (the link, also a used one; why it cannot be used)
            return Actor.client_link(_this_run.link[0].actor if _this_run.link[0] else connect_links.LINK_ACTOR)
        who = lookup.link_of_state(state)
        return Actor.client_link(who) if who else None


def nothing_here() -> None:
    """The default page while only Copernica's redirect may be completed: shows nothing."""
    st.title("Copernica Connections")
    st.caption("Nothing to see here. You can close this page.")


def settings_of_this_run():
    """The settings of this run's workspace (None before one is open)."""
    ws = getattr(_this_run, "workspace", None)
    return ws.settings if ws is not None else None


def link_visit():
    """The connect link this run was opened with (a ConnectLink, or None when unknown) and why it
    cannot be used ('' when it can); None without a link."""
    return getattr(_this_run, "link", None)


def is_link_visit() -> bool:
    ws = getattr(_this_run, "workspace", None)
    return ws is not None and ws.actor.role is Role.CLIENT_LINK


def close_this_run() -> None:
    ws = getattr(_this_run, "workspace", None)
    _this_run.workspace = None
    _this_run.callback_only = False
    if ws is not None:
        ws.close()


def live(body: Callable[[Workspace], None], *, every: timedelta) -> None:
    """Draw `body` now, and again every `every` from the database, without rerunning the page
    (st.fragment): what is typed or picked inside it is kept. The page's workspace is closed
    once its script run ends, so each timed rerun opens one of its own, for the same person
    (a person whose access ended meanwhile gets the whole page again, which refuses them)."""

    @st.fragment(run_every=every)
    def part() -> None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        context = get_script_run_ctx()
        alone = bool(context and context.fragment_ids_this_run)  # a rerun of this part only: dashboard.py did not run
        _this_run.part_alone = alone
        try:
            body(open_for_this_run())  # (a widget callback of this part may have opened it already)
        except Forbidden:
            st.rerun(scope="app")
        except Exception as error:  # the page's own last resort does not cover a timed rerun
            unexpected_error(error)
        finally:
            if alone:
                close_this_run()

    part()


def part_rerun_alone() -> bool:
    """Whether this is a rerun of a live part alone (its timer, or a widget inside it), not of the
    whole page (opened, reloaded, or an action of the page)."""
    return getattr(_this_run, "part_alone", False)


def workspace() -> Workspace:
    """The workspace of this script run, for a page and its widget callbacks."""
    _use_navigation()
    return open_for_this_run()


def is_callback_only() -> bool:
    """Whether this run only completes Copernica's redirect for its starter (see
    `signin.callback_starter`)."""
    return getattr(_this_run, "callback_only", False)


def require(action: Action, what: str) -> None:
    """On a page that needs more than the acting person's role: a refusal, and stop (the
    core would refuse the operations anyway)."""
    ws = workspace()
    if not ws.may(action):
        st.title(what)
        st.error(f"**Only admins can use this page.** You are signed in as {text(ws.actor.who)} "
                 f"({ws.actor.role}).", icon=":material/block:")
        st.page_link("pages/overview.py", label="Back to the Overview", icon=":material/dashboard:")
        st.stop()


# Built with DOM calls, not markup: the sanitiser drops a script whose text looks like HTML.
_FRAME_GUARD = """<script>
if (window.top !== window.self) {
  const title = document.createElement("h1");
  title.textContent = "Copernica Connections";
  const note = document.createElement("p");
  note.textContent = "This dashboard cannot be shown inside another site. Open it in its own tab.";
  document.body.replaceChildren(title, note);
  document.body.style.cssText = "font-family: sans-serif; padding: 2em";
}
</script>"""


def refuse_framing() -> None:
    """Streamlit sets no X-Frame-Options header, so the page itself refuses to run inside a
    frame: another site must not be able to make a user click Reveal or Disconnect."""
    st.html(_FRAME_GUARD, unsafe_allow_javascript=True)


def database_away(error: DatabaseFault) -> None:
    """The database does not answer (PostgreSQL restarting, its host away): not a fault of the
    page, and nothing to fix in the settings. Said as it is, in one line of the log; the next
    run tries again (an open Overview by itself)."""
    logging.getLogger("copernica_core").warning("page stopped: %s", error)
    said = str(error)
    st.error(f"**{text(said[:1].upper() + said[1:])}.** Everything that finished before was saved. This page "
             "tries again by itself while it is open, or reload it in a moment.", icon=":material/cloud_off:")
    st.caption("If it lasts, check that PostgreSQL runs and that COPERNICA_DATABASE_URL points to it.")


def unexpected_error(error: Exception) -> None:
    """Last line of defence: a plain message on the page, the (scrubbed) traceback in the log."""
    if isinstance(error, DatabaseFault):
        database_away(error)
        return
    logging.getLogger("copernica_core").error(
        "page failed: %s", scrub("".join(traceback.format_exception(error))))
    st.error(f"Something went wrong on this page ({type(error).__name__}). Everything that finished was saved; "
             "reload the page to try again. The details are in the dashboard's log.", icon=":material/error:")
