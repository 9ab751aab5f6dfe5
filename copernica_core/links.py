"""Connect links as operations: giving a client a link (a new connection of it, or the one open
link that renews a connection), and starting the client's authorization through one. The rows
are `connect_links.py`'s; the Workspace checks who acts, then asks here (docs/architecture.md,
"Connect links")."""

from __future__ import annotations

from datetime import timedelta

from . import doorstep, oauth, store
from .acting import Acting
from .config import Settings
from .errors import BadInput
from .store import connect_links, immediate
from .validation import refuse_problems, text_problem

SHORTEST, LONGEST = timedelta(minutes=5), timedelta(days=90)


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
            if conn.application_id is None:
                raise BadInput({"connection": f"#{conn.id} “{conn.label}” was made from a pasted token, which a "
                                              "link cannot renew: paste a new token on its Inspect page."})
            application_id, client = conn.application_id, conn.client  # a renewal keeps the connection's client
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

    def start(self, secret: str, *, browser: str) -> str:
        """For the client holding a link (`who` is that link's actor): the state, bound to the
        link and to this browser (`browser`: a random value the page keeps in a cookie), and the
        address of Copernica's consent page."""
        if not browser or len(browser) > 200:
            raise BadInput({"link": "This browser does not keep cookies for this page, which giving access needs."})
        link = doorstep.find_link(self.db, self.vault, secret, now=self.clock())
        if isinstance(link, str):
            raise BadInput({"link": link})
        if link.actor != self.who:
            raise BadInput({"link": "This page was opened for another link."})
        app = store.get_application(self.db, link.application_id)
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
        return oauth.authorization_url(self.settings.authorize_url, client_key=app.client_key,
                                       redirect_uri=app.redirect_uri, state=state)

    def account_of(self, link: connect_links.ConnectLink) -> str:
        """The account a reconnect link renews ("“Bloom Florists” (id 102)", its name quoted: it is
        Copernica's, not the agency's words); '' for a new-connection link."""
        if link.actor != self.who or link.connection_id is None:
            return ""
        conn = store.find_connection_by_id(self.db, link.connection_id)
        if conn is None:
            return ""
        return f"“{conn.account.name}” (id {conn.account.id})" if conn.account.name else f"id {conn.account.id}"
