"""The Overview's parts that are not the table: its counters, the outage banner, what it shows
before there is any connection, and one picked client's connect link and contact."""

from __future__ import annotations

import streamlit as st

from copernica_core import Action, BadInput, Workspace
from copernica_core.models import Outcome

from .links import who_asks
from .run import workspace
from .words import clock_time, text


def counters(summary, *, unchecked: int) -> None:
    """The counts by status, each with a button that filters the table to it."""
    shown = [  # label, value, statuses it shows, help
        ("Connections", summary.total, [], None),
        ("Valid", summary.valid, ["valid"], None),
        ("Need a person", summary.need_a_person, [o.value for o in Outcome if o.needs_a_person],
         "Account changed or invalid token: someone has to re-authorize or investigate."),
        ("Other issues", summary.other_problems, [o.value for o in Outcome if o.other_problem],
         "Copernica or the network failed, or answered unexpectedly: usually not the token's fault."),
        ("Not checked", unchecked, ["unchecked"], None),
    ]
    st.html(_COMPACT_ON_A_PHONE)
    with st.container(key="counters"):
        for col, (name, value, statuses, help_text) in zip(st.columns(len(shown)), shown, strict=True):
            with col.container(border=True):  # the button belongs to its counter
                st.metric(name, value, help=help_text)
                st.button("Show these" if statuses else "Show all", key=f"show_{name}", type="tertiary",
                          on_click=lambda s=statuses: st.session_state.update(status_filter=s))


# On a phone Streamlit stacks columns: five counters would push the first alert off the first
# screen. There they stand three to a row, smaller, so what needs a person is in sight.
_COMPACT_ON_A_PHONE = """<style>
@media (max-width: 640px) {
  .st-key-counters [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: .4rem; }
  .st-key-counters [data-testid="stColumn"] { flex: 1 1 30% !important; min-width: 30% !important; width: auto; }
  .st-key-counters [data-testid="stMetricValue"] { font-size: 1.4rem; }
  .st-key-counters [data-testid="stVerticalBlockBorderWrapper"] > div { padding: .4rem .6rem; }
}
</style>"""


def outage_banner(outage) -> None:
    """Copernica does not answer most checks: since when, and that it is not the tokens' fault."""
    before = (f"; {outage.need_a_person} connection{'s' if outage.need_a_person != 1 else ''} already needed "
              "a person and stay listed below" if outage.need_a_person else "")
    st.warning(f"**Copernica has not answered since {clock_time(outage.since)}** ({outage.unanswered} of "
               f"{outage.checked} connections){before}. This is not the tokens' fault: checks go on, and the "
               "statuses come back when Copernica answers.", icon=":material/cloud_off:")


def empty_fleet(ws: Workspace) -> None:
    if not ws.may(Action.MANAGE):  # a viewer cannot add one: say who can, not where they may not go
        st.info(f"No connections yet. {text(ws.who_to_ask().capitalize())} connects Copernica accounts; they "
                "will be listed here.", icon=":material/info:")
        return
    if ws.applications():  # the first step is done: point at the next one only
        st.info("No connections yet. Connect a Copernica account on the Authorize page. Already have an "
                "access token? Paste it on the Credentials page.", icon=":material/info:")
    else:
        st.info("No connections yet. Add your Copernica application's **Client key** and **Client secret** "
                "on the Credentials page, then connect accounts on the Authorize page. Already have an access "
                "token? Paste it on the Credentials page.", icon=":material/info:")
        st.page_link("pages/credentials.py", label="Add an application", icon=":material/key:")
    st.page_link("pages/authorize.py", label="Authorize an account", icon=":material/link:")


# The tab's title and icon say how many connections need a person, so a tab left open in the
# background says so ("(2) Copernica Connections", a red badge on the icon); with none, both are as
# they were. The count is a marker element each timed rerun redraws; one script, installed once per
# page, follows it (a redrawn script does not run again, and Streamlit resets the title on its runs).
# The icon is drawn here (SVG, its tags written \x3c…: the sanitiser drops a script whose text
# looks like HTML): nothing is fetched.
_TAB_FOLLOWER = """<script>
if (!window.copernicaTab) {
  window.copernicaTab = setInterval(() => {
    const marker = document.getElementById("copernica-need"), name = "Copernica Connections";
    const need = marker ? Number(marker.dataset.need) || 0 : 0;
    const title = need ? `(${need}) ${name}` : name;
    if (document.title !== title) document.title = title;
    const icon = document.querySelector("link[rel~='icon']");
    if (!icon) return;
    if (!icon.dataset.plain) icon.dataset.plain = icon.href;
    const badge = need ? "data:image/svg+xml," + encodeURIComponent(
      `\\x3csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>\\x3ccircle cx='16' cy='16' r='15' ` +
      `fill='#d1242f'/>\\x3ctext x='16' y='22' font-size='${need > 9 ? 13 : 18}' font-family='sans-serif' ` +
      `font-weight='700' fill='white' text-anchor='middle'>${need > 99 ? "99+" : need}\\x3c/text>\\x3c/svg>`)
      : icon.dataset.plain;
    if (icon.href !== badge) icon.href = badge;
  }, 1000);
}
</script>"""


def tab_says(need_a_person: int) -> None:
    """The browser tab's title and icon: how many connections need a person (0: as they were)."""
    st.html(_TAB_FOLLOWER, unsafe_allow_javascript=True)
    st.html(f'<span id="copernica-need" data-need="{int(need_a_person)}" hidden></span>')


def client_panel(ws: Workspace, client: str) -> None:
    """For one client picked: a link for a new connection of it, and its contact, which can
    get a fresh reconnect link when one of its tokens stops working (opt-in)."""
    with st.expander(text(f"{client}: connect link and contact"), icon=":material/person:"):
        if st.button(text(f"Make a link for a new connection of {client}"), icon=":material/share:",
                     key="client_link",
                     help="The client opens it without an account here and gives access at Copernica once. "
                          "It works once, for 7 days."):
            try:
                st.session_state["made_client_link"] = (ws.invite(client=client)[0], client)
            except BadInput as refused:
                st.error(text(refused.message), icon=":material/error:")
        if (made := st.session_state.get("made_client_link")) and made[1] == client:
            st.code(made[0], language=None)
            st.caption("Shown only here and now: send it to whoever can log in to the client's Copernica account.")
            who_asks(ws)
        current = ws.client_contacts(client).get(client)
        with st.form("client_contact", border=False):
            st.text_input("Contact", placeholder=current.shown if current else "anna@camping.example or an Apprise "
                          "URL (slack://…, json://…)", max_chars=2000, key=f"client_contact_value_{client}",
                          help="An e-mail address (sent through COPERNICA_MAIL_URL) or any Apprise URL. "
                               "Leave it empty to keep the current one.")
            st.checkbox("Send this contact a fresh reconnect link when one of its tokens stops working",
                        value=current.reconnect_links if current else False, key=f"client_contact_links_{client}",
                        help="Only for a token Copernica refuses (revoked, replaced): never for outages.")
            save, remove = st.columns(2)
            save.form_submit_button("Save contact", width="stretch", on_click=save_contact, args=(client, False))
            if current is not None:
                remove.form_submit_button("Remove contact", width="stretch", on_click=save_contact, args=(client, True))
        if refused := st.session_state.pop("client_contact_refused", None):
            st.error(text(refused), icon=":material/error:")
        if current:
            links_word = "on" if current.reconnect_links else "off"
            st.caption(text(f"Contact: {current.shown} · reconnect links {links_word}"
                               + (f" · cannot be reached: {current.problem}" if current.problem else "")))
        languages = {None: "its browser's language", "nl": "Nederlands (Dutch)", "en": "English"}
        st.selectbox("Language of its link pages and messages", list(languages), format_func=languages.get,
                     index=list(languages).index(ws.client_languages().get(client)), key=f"client_language_{client}",
                     on_change=save_language, args=(client,),
                     help="What the client reads: a connect link's page and the reconnect message. Without one, "
                          f"the link's page follows the browser's language, else COPERNICA_LANGUAGE "
                          f"({ws.settings.language}).")


def save_language(client: str) -> None:
    workspace().set_client_language(client, st.session_state.get(f"client_language_{client}"))


def save_contact(client: str, remove: bool) -> None:
    """The contact form, before the run that shows it again (which then reads what was saved)."""
    # The form's keys name the client: the form of another client starts afresh.
    typed = st.session_state.get(f"client_contact_value_{client}", "").strip()
    try:
        workspace().set_client_contact(client, "" if remove else typed or None,
                                          reconnect_links=st.session_state.get(f"client_contact_links_{client}", False))
    except BadInput as refused:
        st.session_state["client_contact_refused"] = refused.message
    else:
        st.session_state[f"client_contact_value_{client}"] = ""
