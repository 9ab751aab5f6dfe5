"""Every message that leaves the dashboard, composed and queued in one place: the alert rules'
alert, "scheduled checks stopped", a client's reconnect link, "connected through a link", the
briefing a new target gets, and a test. Each is written to the outbox (`notify.enqueue`), in
the caller's transaction where the rules demand it, then delivered (`notify.deliver_pending`,
or `send_now` for the one-off ones). The Workspace checks who acts before it calls any of these
(docs/architecture.md, "Watching and alerts" and "Connect links").

A new outgoing message goes here: compose its title and body, choose its targets (the agency's
targets, or one client's contact: clients never get the agency's alerts), enqueue it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import alerts, contacts, links, notify, store, watch
from .acting import Acting
from .advice import what_to_do
from .i18n import speech_for
from .models import Connection, Outcome
from .oauth import AuthorizationResult
from .secret import Secret
from .store import connect_links, immediate


@dataclass(frozen=True)
class AddedTarget:
    """A new notification target, and the connections it was told are broken now (`error`:
    why that message did not go out)."""

    target: notify.Target
    briefed: int = 0
    error: str = ""


@dataclass(frozen=True)
class AlertReport:
    """What applying the alert rules did: what it said, and how each delivery went."""

    evaluation: alerts.Evaluation
    title: str = ""
    deliveries: list[notify.Delivery] = field(default_factory=list)
    reconnect_links: int = 0  # sent to clients' contacts


def watched(c: Connection, state: alerts.AlertState | None = None) -> alerts.Watched:
    """A connection as the alert rules see it."""
    # "Acme Retail · account 101", not "Acme Retail · account Acme Retail (101)"
    account = c.account.id if c.account.name == c.label else f"{c.account.name or '?'} ({c.account.id})"
    return alerts.Watched(c.id, c.label, account, c.status,
                          what_to_do(c, may_fix=True), state or alerts.AlertState(), client=c.client or "",
                          account_id=c.account.id or "")


def links_sent_notes(db, now: datetime) -> dict[int, str]:
    """For the agency's alert, by connection: the reconnect link its client was sent and has not
    used yet, so that nobody acts twice ("reconnect link sent to anna@… 5 Dec 14:02 UTC, not used yet")."""
    return {cid: f"reconnect link sent to {link.sent_to} {link.created_at[:16].replace('T', ' ')} UTC, not used yet"
            for cid, link in connect_links.sent(db).items() if not link.refusal(now)}


class Messenger(Acting):
    """Composing and sending what leaves, as the workspace's acting person (`who`)."""

    def agency_targets(self) -> list[notify.Target]:
        """Where alerts go: the agency's own targets (clients' contacts never get them)."""
        return notify.env_targets(self.settings.notify.reveal()) + notify.stored_targets(self.db, self.vault)

    def contact_targets(self) -> list[notify.Target]:
        return [c.target for c in contacts.listed(self.db, self.vault, mail_url=self.settings.mail_url.reveal(),
                                                  sender=self.settings.agency_name).values() if c.target is not None]

    # -- the alert rules --------------------------------------------------------------------

    def apply_alert_rules(self, *, holder: str | None, stale_before: datetime) -> AlertReport:
        """Evaluate the alert rules on every connection's current status, record what they say
        in the outbox (with the new alert states, in one transaction), then send every pending
        delivery, this run's and any an earlier run could not send. For a watcher (`holder`),
        every write is fenced by its lease (LeaseLost once it is gone)."""
        now = self.clock()
        targets = self.agency_targets()
        with immediate(self.db):
            watch.ensure_holds(self.db, holder, now=now)
            connections = store.list_connections(self.db, stale_before=stale_before)
            states = store.alert_states(self.db)
            evaluation = alerts.evaluate([watched(c, states.get(c.id, alerts.AlertState())) for c in connections],
                                         store.outage_state(self.db), now=now, alert_after=self.settings.alert_after,
                                         remind_every=self.settings.remind_every)
            store.save_alert_states(self.db, evaluation.states, evaluation.outage)
            stopped = watch.stop_to_tell(self.db, now=now) if holder is None else None
            if stopped is not None:  # `check --notify` from cron, the fallback while no watcher runs
                stop_title, stop_body = watch.stopped_message(stopped, now=now)
                notify.enqueue(self.db, targets, kind="watcher stopped", title=stop_title, body=stop_body, now=now,
                               notify_type="failure", fields={"watcher": "stopped"})
            sent = self._send_reconnect_links(evaluation, connections, now)
            title = ""
            if evaluation.anything_to_say:
                title, body = alerts.compose(evaluation, public_url=self.settings.public_url,
                                             notes=links_sent_notes(self.db, now))
                notify.enqueue(self.db, targets, kind="alert", title=title, body=body, now=now,
                               notify_type=alerts.notify_type(evaluation),
                               fields=alerts.fields(evaluation, public_url=self.settings.public_url))
        deliveries = notify.deliver_pending(self.db, targets + self.contact_targets(), now=self.clock,
                                            holder=holder, vault=self.vault)
        return AlertReport(evaluation, title, deliveries, sent)

    def _send_reconnect_links(self, evaluation: alerts.Evaluation, connections: list[Connection], now: datetime
                              ) -> int:
        """The reconnect link (its open one, or a new one) for the contact of each client that
        opted in, for each of its connections whose token stopped working in this run (an
        invalid token: not an outage, not another account). Inside the alert rules'
        transaction: sent once per break."""
        broken = [n.connection.connection_id for n in evaluation.notices
                  if n.kind == "broken" and n.connection.status is Outcome.INVALID_TOKEN]
        if not broken or not self.settings.public_url:
            return 0
        by_id = {c.id: c for c in connections}
        listed = contacts.listed(self.db, self.vault, mail_url=self.settings.mail_url.reveal(),
                                 sender=self.settings.agency_name)
        reachable = {name: c for name, c in listed.items() if c.reconnect_links and c.target is not None}
        sent = 0
        for conn in (by_id[i] for i in broken):
            contact = reachable.get(conn.client)
            application_id = links.renewing_application(self.db, conn)
            if contact is None or application_id is None:
                continue
            given = connect_links.open_link_of(self.db, self.vault, conn.id, now=now)
            if given is not None:
                secret, link = given
                connect_links.mark_sent(self.db, link.id, sent_to=contact.shown)
            else:
                secret, link = connect_links.make(self.db, self.vault, application_id=application_id,
                                                client=conn.client, connection_id=conn.id, made_by=self.who,
                                                now=now, expires=connect_links.DEFAULT_EXPIRES, sent_to=contact.shown)
            say = speech_for(self.settings, client_language=contacts.languages(self.db).get(conn.client))
            title, body = contacts.reconnect_message(conn, agency=self.settings.agency_name,
                                                     agency_contact=self.settings.agency_contact,
                                                     expires_at=link.expires_at, say=say)
            sealed_link = self.vault.encrypt(Secret(links.address(self.settings, secret)))  # until it is delivered
            notify.enqueue(self.db, [contact.target], kind="reconnect link", title=title, body=body, now=now,
                           notify_type="warning", link_enc=sealed_link,
                           fields={"event": "reconnect link", "client": conn.client, "account_id": conn.account.id})
            self.record_event("reconnect link sent", connection_id=conn.id, application_id=conn.application_id,
                              detail=f"link #{link.id} to {contact.shown}, until {link.until}")
            sent += 1
        return sent

    # -- one-off messages -------------------------------------------------------------------

    def tell_of_link_use(self, result: AuthorizationResult) -> None:
        """The agency's targets hear that a client connected (or reconnected) through a link."""
        conn = store.find_connection_by_id(self.db, result.connection_id)
        if conn is None:
            return
        who = conn.client or conn.account.name or f"account {conn.account.id}"
        title = f"{who} {'reconnected' if result.replaced else 'connected'} its Copernica account through a link"
        body = (f"{title}: account {conn.account.name} (id {conn.account.id}), connection #{conn.id} “{conn.label}”."
                + (f" {self.settings.public_url}/inspect?connection={conn.id}" if self.settings.public_url else ""))
        targets = self.agency_targets()
        with immediate(self.db):
            notify.enqueue(self.db, targets, kind="link used", title=title, body=body, now=self.clock(),
                           notify_type="success", fields={"connection_id": conn.id, "client": conn.client or None,
                                                          "account_id": conn.account.id, "event": "connected by link"})
        notify.deliver_pending(self.db, targets + self.contact_targets(), now=self.clock, vault=self.vault)

    def brief(self, target: notify.Target, connections: list[Connection]) -> AddedTarget:
        """Tell a target just added what is broken now: the alerts it missed would otherwise
        reach it only with the next daily reminder."""
        broken = [c for c in connections if c.status.needs_a_person or c.status.other_problem]
        if not broken:
            return AddedTarget(target)
        evaluation = alerts.Evaluation([alerts.Notice("broken", watched(c)) for c in broken], {}, alerts.OutageState())
        title, body = alerts.compose(evaluation, public_url=self.settings.public_url)
        error = self.send_now(target, kind="briefing", title=f"Already broken when this target was added: {title}",
                              body=body, notify_type=alerts.notify_type(evaluation),
                              fields=alerts.fields(evaluation, public_url=self.settings.public_url))
        return AddedTarget(target, len(broken), error)

    def send_test(self, target: notify.Target) -> str:
        """A test message to one target now; '' if it was accepted, else why not."""
        return self.send_now(target, kind="test", title="Copernica Connections: test notification",
                             body=f"A test from Copernica Connections, sent by {self.who}. Alerts will arrive here.")

    def send_now(self, target: notify.Target, *, kind: str, title: str, body: str, notify_type: str = "info",
                 fields: dict | None = None) -> str:
        """One message to one target now, recorded in the outbox; '' if it was accepted, else why not."""
        claimant = f"{kind}:{self.who}"  # claimed as it is written: no watcher sends it too
        with immediate(self.db):
            notification_id = notify.enqueue(self.db, [target], kind=kind, title=title, body=body, now=self.clock(),
                                             claimed_by=claimant, notify_type=notify_type, fields=fields)
        error = notify.send(target, title=title, body=body, notify_type=notify_type, fields=fields)
        with immediate(self.db):
            notify.record_attempt(self.db, notification_id, target.key, error=error, now=self.clock(), final=True,
                                  label=target.label, claimant=claimant)
        return error
