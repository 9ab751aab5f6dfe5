"""The client's side: what a client holding a connect link reads, in its language (Dutch or
English: its own, else its browser's, else COPERNICA_LANGUAGE), with times in
COPERNICA_TIMEZONE. The link's page, why a link cannot be used, how giving access ended and
what to do next (Try again while the link is open), and who sent it all (the agency's name and
contact). Every sentence here is a message id of copernica_core/locale/nl/LC_MESSAGES/client.po
(tests/test_client_language.py fails on one without its Dutch)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import streamlit as st

from copernica_core import BadInput, Workspace
from copernica_core.i18n import Speech, speech_for
from copernica_core.links import LinkPage
from copernica_core.oauth import AuthorizationResult

from .links import go_to, link_browser
from .words import text


def speech(ws: Workspace, page: LinkPage | None) -> Speech:
    """The client's language: its own (set by the agency), else its browser's, else the default."""
    return speech_for(ws.settings, client_language=page.language if page else None,
                      accept_language=st.context.headers.get("Accept-Language"))


def agency_of(ws: Workspace, say: Speech) -> str:
    return ws.settings.agency_name or say("your agency")


def sent_by(ws: Workspace, say: Speech) -> None:
    """Who sent the link, and whom to ask: at the foot of every page a client sees."""
    agency = ws.settings.agency_name
    sender = say("This link was sent to you by {agency}.", agency=agency) if agency else \
        say("This link was sent to you by your agency.")
    ask = say("Questions? Contact {contact}.", contact=ws.settings.agency_contact) if ws.settings.agency_contact \
        else say("Questions? Contact {agency}.", agency=agency_of(ws, say))
    st.divider()
    st.caption(text(f"{sender} {ask}"))


def title(say: Speech) -> None:
    st.header(say("Connect your Copernica account"))  # (a title would fill a phone's first screen)


def invitation(ws: Workspace, say: Speech, page: LinkPage) -> None:
    """Who asks for what, what happens next, until when the link works."""
    agency, link = agency_of(ws, say), page.link
    if page.account:
        ask = say("{agency} asks you to renew its access to your Copernica account {account}.",
                  agency=agency, account=page.account)
    elif link.client:
        ask = say("{agency} asks for access to your Copernica account for {client}.", agency=agency,
                  client=link.client)
    else:
        ask = say("{agency} asks for access to your Copernica account.", agency=agency)
    st.markdown(text(ask))
    st.markdown(text(say("With this access, {agency}'s software can work with your Copernica account through "
                         "Copernica's API, as far as Copernica allows it: Copernica has no read-only access for "
                         "this. You can withdraw the access at Copernica at any time.", agency=agency)))
    which = say("the account {account}", account=page.account) if page.account else say("your account")
    st.markdown(text(say("What happens: you log in at Copernica, choose {which} and confirm. Then you come back "
                         "here and see whether it worked. This link works once, until {until}.",
                         which=which, until=say.moment(link.expires_at))))


def continue_button(say: Speech, secret: str | None, *, again: bool = False) -> None:
    """The button to Copernica's consent page (`secret` None: the link of this visit, again)."""
    def go() -> None:
        from .run import workspace

        try:
            st.session_state["client_go"] = workspace().start_link_authorization(
                secret, browser=link_browser(new=True))
        except BadInput as refused:
            st.session_state["client_go"] = refused

    st.button(say("Try again") if again else say("Continue to Copernica"), type="primary",
              icon=":material/refresh:" if again else ":material/login:", on_click=go)
    target = st.session_state.pop("client_go", None)
    if isinstance(target, str):
        go_to(target, name="Copernica", link_browser=link_browser(new=True))
    elif isinstance(target, BadInput):
        st.error(text(target.message), icon=":material/error:")


def connected(ws: Workspace, say: Speech, account: str) -> None:
    """The calm result: also after a reload, Back, or opening the link again."""
    st.success(text(say("Your Copernica account {account} is connected to {agency}.", account=account,
                        agency=agency_of(ws, say))), icon=":material/check_circle:")
    st.markdown(text(say("There is nothing more to do: you can close this page.")))


def cannot_use(ws: Workspace, say: Speech, page: LinkPage | None, why: str) -> None:
    """Why a link cannot be used, in the client's words, and what to do instead."""
    agency, now = agency_of(ws, say), datetime.now(UTC)
    link = page.link if page else None
    if link is None:
        sentence = say("This link is not known here. Check that you copied all of it, or ask {agency} for a new "
                       "one.", agency=agency)
    elif link.used_at and page.connected:
        connected(ws, say, page.connected)
        return
    elif link.used_at:
        sentence = say("This link has already been used. There is nothing more to do here.")
    elif link.revoked_at:
        sentence = say("{agency} has withdrawn this link. Ask them for a new one if you still need it.",
                       agency=agency)
    elif link.refusal(now):
        sentence = say("This link has expired: it worked until {until}. Ask {agency} for a new one.",
                       until=say.moment(link.expires_at), agency=agency)
    else:
        sentence = why
    st.info(text(sentence), icon=":material/link_off:")


# How an attempt that came back without connecting ended, in the client's words.
_CAME_BACK = {
    "denied": "You chose not to give access at Copernica. Nothing was changed. Changed your mind? Try again.",
    "wrong_account": "You chose another Copernica account ({chosen}) than the one this link is for ({expected}). "
                     "Nothing was changed. Try again and choose {expected}.",
    "taken": "The account you chose ({chosen}) is already connected for someone else, so this link cannot connect "
             "it. Nothing was changed. Try again with the account this link is for, or ask {agency}.",
    "unavailable": "Copernica could not be reached just now. Nothing was changed. Try again in a few minutes.",
    "expired": "Giving access took longer than 10 minutes, so it could not finish. Nothing was changed. Try "
               "again.",
    "other_browser": "This link was opened in another browser, so giving access cannot finish here. Nothing was "
                     "changed. Open the link you were sent in this browser, and continue from there.",
}
_OTHERWISE = ("Copernica did not accept the connection. Nothing was changed. Try again; if it fails again, ask "
              "{agency}.")


def came_back(ws: Workspace, say: Speech, page: LinkPage | None, result: AuthorizationResult) -> None:
    """How giving access ended: connected, or its own sentence and a way forward."""
    if result.ok:
        connected(ws, say, page.connected if page and page.connected else _account(result))
        return
    if result.reason == "link" or page is None:
        cannot_use(ws, say, page, result.message)
        return
    sentence = say(_CAME_BACK.get(result.reason, _OTHERWISE), agency=agency_of(ws, say), chosen=_account(result),
                   expected=page.account or say("the right account"))
    st.warning(text(sentence), icon=":material/warning:")
    if not page.link.refusal(datetime.now(UTC)) and result.reason != "other_browser":
        continue_button(say, None, again=True)


def _account(result: AuthorizationResult) -> str:
    account = result.account
    if account is None:
        return ""
    return f"“{account.name}” (id {account.id})" if account.name else f"id {account.id}"


def link_page(ws: Workspace, say: Speech, page: LinkPage | None, why: str) -> None:
    """The page of a link: why it cannot be used (for a used one, that it worked), or who asks for
    what, what happens, and the way to Copernica."""
    if page is None or why:
        cannot_use(ws, say, page, why)
    else:
        invitation(ws, say, page)
        continue_button(say, st.query_params.get("invite", ""))


def keep_the_link(page: LinkPage | None) -> None:
    """After Copernica's redirect, the address keeps the link's secret (`?invite=`), not the
    code and state: every later run of this page (Try again, a reload, Back) is the link's
    client's, and a reload shows how the link stands."""
    if page and page.address:
        secret = parse_qs(urlsplit(page.address).query).get("invite", [""])[0]
        if secret and st.query_params.get("invite") != secret:
            st.query_params["invite"] = secret
