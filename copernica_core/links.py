"""Connect links as operations: giving a client a link (a new connection of it, or the one open
link that renews a connection), and starting the client's authorization through one. The rows
are `connect_links.py`'s; the Workspace checks who acts, then asks here (docs/architecture.md,
"Connect links")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from . import doorstep, oauth, store
from .acting import Acting
from .config import Settings
from .errors import BadInput
from .store import connect_links, immediate
from .store import contacts as store_contacts
from .validation import refuse_problems, text_problem

SHORTEST, LONGEST = timedelta(minutes=5), timedelta(days=90)


@dataclass(frozen=True)
class LinkPage:
    """What the page of a connect link shows its client: the link, the account it renews (''
    for a new connection), the language set for its client (None: the browser's), the link's own
    address (where a reload comes back to), and the account it connected once used ('')."""

    link: connect_links.ConnectLink
    account: str
    language: str | None
    address: str
    connected: str


def renewing_application(db, connection, application_id: int | None = None) -> int | None:
    """The application through which a link renews `connection`: its own; for a connection made
    from a pasted token, the one given, or the only application there is (None: none, or several
    and none given). Copernica's consent needs an application; the connection keeps its id,
    label, client and history, and from then on has that application."""
    if connection.application_id is not None:
        return connection.application_id
    if application_id is not None:
        return application_id if store.get_application(db, application_id) else None
    apps = store.list_applications(db)
    return apps[0].id if len(apps) == 1 else None


def address(settings: Settings, secret: str) -> str:
    """Where a link's secret is opened: the dashboard's public address with `?invite=`."""
    return f"{settings.public_url}/?invite={secret}"


class Links(Acting):
    """Making and using links, as the workspace's acting person (`who`)."""

    def give(self, *, client: str, connection_id: int | None, application_id: int | None, expires: timedelta,
             allow_replace: bool) -> tuple[str, connect_links.ConnectLink]:
        """A link for a new connection of `client`, or the one that renews `connection_id` (its
        open link, given again while it is open, so what was already sent keeps working)."""
        if not self.settings.public_url:
            raise BadInput({"public_url": "Set COPERNICA_PUBLIC_URL to the dashboard's address first: the link "
                                          "a client opens lives there."})
        if not SHORTEST <= expires <= LONGEST:
            raise BadInput({"expires": "A link lasts between 5 minutes and 90 days."})
        refuse_problems(client=text_problem(client, name="Client", required=False))
        client = (client or "").strip()
        if connection_id is not None:
            conn = store.find_connection_by_id(self.db, connection_id)
            if conn is None:
                raise BadInput({"connection": f"There is no connection #{connection_id} (any more)."})
            renewing = renewing_application(self.db, conn, application_id)
            if renewing is None:
                count = len(store.list_applications(self.db))
                raise BadInput({"connection": f"#{conn.id} “{conn.label}” was made from a pasted token: a link renews "
                                              "it through your Copernica application, " + (
                                                  f"and there are {count}: choose one (--application)." if count > 1
                                                  else "so add it on the Credentials page first.")})
            application_id, client = renewing, conn.client  # a renewal keeps the connection's client
        elif application_id is None:
            apps = store.list_applications(self.db)
            if len(apps) != 1:
                raise BadInput({"application": "Choose the application the link authorizes (there are "
                                               f"{len(apps)})." if apps else
                                               "Add your Copernica application on the Credentials page first."})
            application_id = apps[0].id
        elif store.get_application(self.db, application_id) is None:
            raise BadInput({"application": f"There is no application #{application_id}."})
        with immediate(self.db):
            if connection_id is not None and (given := connect_links.open_link_of(
                    self.db, self.vault, connection_id, now=self.clock())):
                secret, link = given
                self.record_event("connect link shown again", connection_id=connection_id, detail=f"link #{link.id}")
                return address(self.settings, secret), link
            secret, link = connect_links.make(self.db, self.vault, application_id=application_id, client=client,
                                            connection_id=connection_id, made_by=self.who, now=self.clock(),
                                            expires=expires, allow_replace=allow_replace)
            self.record_event("connect link made", connection_id=connection_id, application_id=application_id,
                              detail=f"link #{link.id} for {client or '(no client)'}"
                              + (f", reconnecting #{connection_id}" if connection_id else ", a new connection")
                              + f", until {link.until}")
        return address(self.settings, secret), link

    def own(self) -> connect_links.ConnectLink:
        """The link of the client acting here (`who` is "client via link #7")."""
        number = self.who.rpartition("#")[2]
        link = connect_links.get(self.db, int(number)) if number.isdigit() else None
        if link is None or link.actor != self.who:
            raise BadInput({"link": doorstep.UNKNOWN_LINK})
        return link

    def page(self, link: connect_links.ConnectLink | None = None) -> LinkPage:
        """What the page of the acting client's link shows (`link`: as the doorstep found it)."""
        link = link or self.own()
        if link.actor != self.who:
            raise BadInput({"link": "This page was opened for another link."})
        secret = connect_links.secret_of(self.db, self.vault, link.id)
        connected = store.find_connection_by_id(self.db, link.used_connection_id) if link.used_connection_id else None
        return LinkPage(link, self.account_of(link),
                        store_contacts.language_of(self.db, link.client) if link.client else None,
                        address(self.settings, secret) if secret else "",
                        _account_words(connected.account) if connected else "")

    def start(self, secret: str | None, *, browser: str) -> str:
        """For the client holding a link (`who` is that link's actor): the state, bound to the
        link and to this browser (`browser`: a random value the page keeps in a cookie), and the
        address of Copernica's consent page. Without `secret`: again, after an attempt came
        back without connecting (Try again)."""
        if secret is None:
            secret = connect_links.secret_of(self.db, self.vault, self.own().id) or ""
        if not browser or len(browser) > 200:
            raise BadInput({"link": "This browser does not keep cookies for this page, which giving access needs."})
        link = doorstep.find_link(self.db, self.vault, secret, now=self.clock())
        if isinstance(link, str):
            raise BadInput({"link": link})
        if link.actor != self.who:
            raise BadInput({"link": "This page was opened for another link."})
        app = store.get_application(self.db, link.application_id)
        if app is None:
            raise BadInput({"link": "The application this link was made for no longer exists. Ask for a new link."})
        expected = None
        if link.connection_id is not None:
            conn = store.find_connection_by_id(self.db, link.connection_id)
            if conn is None:
                raise BadInput({"link": "The connection this link renews no longer exists. Ask for a new link."})
            expected = conn.account.id
        with immediate(self.db):
            state = oauth.issue_state(
                self.db, application_id=app.id, redirect_uri=app.redirect_uri, now=self.clock(),
                started_by=link.actor, connection_id=link.connection_id, expected_account_id=expected,
                client=link.client or None, invitation_id=link.id, browser=browser)
            self.record_event("client went to Copernica through a link", connection_id=link.connection_id,
                              detail=f"link #{link.id}")
        return oauth.authorization_url(self.settings.authorize_url, client_key=app.client_key,
                                       redirect_uri=app.redirect_uri, state=state)

    def account_of(self, link: connect_links.ConnectLink) -> str:
        """The account a reconnect link renews ("“Bloom Florists” (id 102)", its name quoted: it is
        Copernica's, not the agency's words); '' for a new-connection link."""
        if link.actor != self.who or link.connection_id is None:
            return ""
        conn = store.find_connection_by_id(self.db, link.connection_id)
        return _account_words(conn.account) if conn else ""


def _account_words(account) -> str:
    """An account as a client reads it: Copernica's name for it quoted (its words, not ours)."""
    return f"“{account.name}” (id {account.id})" if account.name else f"id {account.id}"
