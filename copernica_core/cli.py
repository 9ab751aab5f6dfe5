"""`python -m copernica_core`: the command line, a thin layer over Workspace."""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import exports, watch
from . import report as report_module
from .access import Actor
from .batch import FinishedCheck
from .clock import iso
from .config import load_settings, watch_every
from .crypto import new_key
from .errors import BadInput, Busy, ConfigError, CopernicaError, DatabaseFault
from .imports import decode_csv, read_token_csv
from .imports import summary as imports_summary
from .models import Connection, Outcome
from .neutralise import for_spreadsheet, for_terminal
from .secret import Secret
from .workspace import Workspace

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or input that is not the user's data: exit code 2."""


CONNECTION_FIELDS = ["connection_id", "label", "client", "application", "account_id", "account_name", "company",
                     "status", "last_checked", "last_ok", "stale", "duplicate", "token_fingerprint"]


def connection_record(c: Connection) -> dict:
    return {
        "connection_id": c.id, "label": c.label, "client": c.client, "application": c.application_label,
        "account_id": c.account.id, "account_name": c.account.name, "company": c.account.company,
        "status": c.status, "last_checked": c.last_checked_at, "last_ok": c.last_ok_at,
        "stale": c.stale, "duplicate": bool(c.duplicate_of), "token_fingerprint": c.token_fingerprint,
    }


def checked_record(c: FinishedCheck, client: str | None = None) -> dict:
    account = c.result.account
    return {
        "connection_id": c.connection_id, "label": c.label, "client": client, "outcome": c.result.outcome.value,
        "checked_at": iso(c.checked_at),
        "account_id": account.id if account else c.account_id, "account_name": account.name if account else None,
        "http_status": c.result.http_status,
        "latency_ms": round(c.result.latency_ms, 1) if c.result.latency_ms is not None else None,
        "message": c.result.message, "hint": c.result.hint, "attempts": c.attempts,
    }


def print_json(records: list[dict]) -> None:
    json.dump(records, sys.stdout, indent=2)  # ensure_ascii: no control character gets through raw
    sys.stdout.write("\n")


def print_table(rows: list[dict], columns: Sequence[str], out) -> None:
    cells = [[for_terminal(r.get(col)) for col in columns] for r in rows]
    widths = [max([len(col), *(len(row[i]) for row in cells)]) for i, col in enumerate(columns)]
    out.write("  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def selected_ids(ws: Workspace, args: argparse.Namespace) -> list[int] | None:
    """The connections a command is about: --connection ids, --client, or all (None)."""
    if getattr(args, "all", False) and args.connection:
        raise UsageError("--all and --connection exclude each other: give one")
    ids = list(dict.fromkeys(args.connection)) if args.connection else None
    if ids is not None:
        unknown = ws.unknown_connection_ids(ids)
        if unknown:
            raise UsageError(f"no connection with id {', '.join(map(str, unknown))}; "
                             "`python -m copernica_core connections` lists them.")
    if getattr(args, "client", None) is not None:
        of_client = [c.id for c in ws.connections(clients=[args.client])]
        if not of_client:
            raise UsageError(f"no connection has the client {for_terminal(args.client)!r}; "
                             "`python -m copernica_core connections` lists them.")
        ids = [i for i in ids if i in of_client] if ids is not None else of_client
    return ids


def cmd_check(ws: Workspace, args: argparse.Namespace) -> int:
    ids = selected_ids(ws, args)
    progress = None
    if sys.stderr.isatty():  # stdout stays clean for --json and pipes
        def progress(done: int, total: int, _checked: FinishedCheck) -> None:
            sys.stderr.write(f"\rchecked {done}/{total}")
            sys.stderr.flush()
    run = ws.check(ids, concurrency=args.concurrency, progress=progress)
    # What needs a look first (worst first), then by label; each with its client.
    results = sorted(run, key=lambda c: (c.result.outcome is Outcome.VALID, c.result.outcome.severity,
                                         c.label.casefold(), c.connection_id))
    if progress:
        sys.stderr.write("\n")
    if args.quiet:  # for cron, which mails whatever is printed: only what changed
        print_changes(ws, run.changes)
        if args.notify:
            report_alerts(ws.apply_alert_rules())
        return EXIT_OK if all(c.result.outcome is Outcome.VALID for c in results) else EXIT_FAILED
    shown = [c for c in results if not args.failed_only or c.result.outcome is not Outcome.VALID]
    clients = {c.id: c.client for c in ws.connections()} if shown else {}
    records = [checked_record(c, clients.get(c.connection_id)) for c in shown]
    not_valid = sum(c.result.outcome is not Outcome.VALID for c in results)
    summary = f"{len(results)} checked: {len(results) - not_valid} valid, {not_valid} not valid"
    if args.json:
        print_json(records)
        print(summary, file=sys.stderr)
    else:
        if records:
            print_table(records, ["connection_id", "label", "client", "outcome", "account_id", "account_name",
                                  "http_status", "latency_ms", "message"], sys.stdout)
        print(summary if results else "No connections to check.")
    if args.notify:
        report_alerts(ws.apply_alert_rules())
    return EXIT_OK if not_valid == 0 else EXIT_FAILED


def print_changes(ws: Workspace, changes) -> None:
    """Each connection whose status this run changed: label, client, before → after, and its
    Inspect link when COPERNICA_PUBLIC_URL is set."""
    for change in (c for c in changes if c.changed):
        conn = ws.connection(change.connection_id)
        link = f" · {ws.settings.public_url}/inspect?connection={conn.id}" if ws.settings.public_url else ""
        print(for_terminal(f"{conn.label}" + (f" (client {conn.client})" if conn.client else "")
                           + f" · {change.before.value} → {change.after.value}{link}"), flush=True)


def report_alerts(report) -> None:
    """What the alert rules sent, on stderr (stdout stays clean for --json)."""
    if report.title:
        print(for_terminal(f"notified: {report.title}"), file=sys.stderr)
    for d in report.deliveries:
        if d.status != "sent":
            print(for_terminal(f"notification to {d.redacted}: {d.status}: {d.error}"), file=sys.stderr)


def cmd_watch(ws: Workspace, args: argparse.Namespace) -> int:
    """Check every connection on a schedule and notify; one watcher per database."""
    every = watch_every(args.every, name="--every") if args.every else ws.settings.watch_every
    stop, cancel = threading.Event(), threading.Event()

    def on_signal(signum, frame) -> None:  # finish the batch in hand, then leave
        stop.set()
        cancel.set()

    def say(run: watch.WatchRun) -> None:
        if args.quiet:  # for cron, which mails whatever is printed: only what changed
            print_changes(ws, run.changes)
            report_alerts(run.alerts)
            return
        print(for_terminal(f"{run.finished_at:%Y-%m-%d %H:%M:%S} UTC  {run.summary}"), flush=True)
        report_alerts(run.alerts)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if args.once:
            try:
                run = watch.Watcher(ws).once(every=every, cancel=cancel, on_note=lambda note: print(
                    for_terminal(note), file=sys.stderr, flush=True))
            except Busy:
                if args.quiet:  # a cron fallback beside a service watcher: it is covered, nothing to mail
                    return EXIT_OK
                raise
            say(run)
            return EXIT_OK if run.all_valid else EXIT_FAILED
        print(f"Watching every {format_duration(every)}; stop with Ctrl-C.", flush=True)
        watch.Watcher(ws).run(every=every, stop=stop, cancel=cancel, on_run=say,
                              on_note=lambda note: print(note, flush=True))
        return EXIT_OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def format_duration(every) -> str:
    seconds = int(every.total_seconds())
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def cmd_connections(ws: Workspace, args: argparse.Namespace) -> int:
    records = [connection_record(c) for c in ws.connections(clients=client_filter(args))]
    if args.json:
        print_json(records)
    elif records:
        print_table(records, ["connection_id", "label", "client", "application", "account_id", "account_name",
                              "status", "last_checked", "stale", "duplicate"], sys.stdout)
    elif args.client is not None and (count := ws.connection_count()):
        print(for_terminal(f"No connection has the client {args.client!r} (the name must match exactly; there are "
                           f"{count} connections).") + near_clients(ws, args.client))
    else:
        print("No connections yet. Add one with the dashboard or `import-tokens`.")
    return EXIT_OK


def near_clients(ws: Workspace, name: str) -> str:
    """" Did you mean …?" with the clients whose name is close to `name` (case, a part of it, a typo)."""
    import difflib

    clients = ws.clients()
    lowered = {c.lower(): c for c in clients}
    near = [c for c in clients if name.strip().lower() in c.lower()]
    near += [lowered[c] for c in difflib.get_close_matches(name.strip().lower(), list(lowered), n=3, cutoff=0.6)]
    near = list(dict.fromkeys(near))[:5]
    return for_terminal(" Did you mean " + " or ".join(repr(c) for c in near) + "?") if near else ""


def cmd_history(ws: Workspace, args: argparse.Namespace) -> int:
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
            since = (since if since.tzinfo else since.astimezone()).astimezone(UTC)
        except (ValueError, OverflowError):
            raise UsageError(f"--since must be an ISO date or time such as 2026-11-01, "
                             f"not {for_terminal(args.since)!r}") from None
    args.connection = [args.connection] if args.connection is not None else None
    ids = selected_ids(ws, args)
    labels = {c.id: c.label for c in ws.connections()}
    checks = (c for c in ws.iter_history(since=since) if ids is None or c.connection_id in ids)
    if args.csv:
        exports.write_history_csv(sys.stdout, checks, labels=labels)
    elif args.json:
        print_json([{"check_id": c.id, "connection_id": c.connection_id, "label": labels.get(c.connection_id),
                     "checked_at": c.checked_at, "outcome": c.outcome, "http_status": c.http_status,
                     "latency_ms": c.latency_ms, "account_seen": c.account_seen, "detail": c.detail} for c in checks])
    else:
        print(f"{'checked at (UTC)':<27} {'connection':<30} {'outcome':<16} {'HTTP':>4}  detail")
        for c in checks:
            name = f"#{c.connection_id} {labels.get(c.connection_id, '')}"[:30]
            print(for_terminal(f"{c.checked_at:<27} {name:<30} {c.outcome:<16} {c.http_status or '-':>4}  {c.detail}"))
    return EXIT_OK


def cmd_import_tokens(ws: Workspace, args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {args.file}: {error.strerror or error}") from None
    try:
        rows = read_token_csv(decode_csv(data, name=args.file), name=args.file)
    except BadInput as refused:
        raise UsageError(refused.message) from None
    results = ws.import_tokens(rows, replace=args.replace,
                               source="standard input" if args.file == "-" else Path(args.file).name)
    for result in results:
        print(for_terminal(result.line.replace("allow replacing to do that", "give --replace to do that")))
    print(imports_summary(results).replace("refused", "failed"))
    return EXIT_OK if all(r.verb != "refused" for r in results) else EXIT_FAILED


def cmd_export(ws: Workspace, args: argparse.Namespace) -> int:
    records = [connection_record(c) for c in ws.connections(clients=client_filter(args))]
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CONNECTION_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in r.items()} for r in records)
    else:
        print_json(records)
    return EXIT_OK


def csv_cell(value: object) -> object:
    """Booleans as true/false (what spreadsheets and scripts read), text neutralised."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return for_spreadsheet(value)


def client_filter(args: argparse.Namespace) -> list[str] | None:
    return [args.client] if getattr(args, "client", None) is not None else None


def cmd_report(ws: Workspace, args: argparse.Namespace) -> int:
    report = ws.report(client=args.client)
    if args.client is not None and not report.rows:
        raise UsageError(f"no connection has the client {for_terminal(args.client)!r}")
    if args.html:
        try:  # for its owner only: it may hold working reconnect links
            fd = os.open(args.html, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # a file that was there keeps its mode otherwise
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(report_module.as_html(report))
        except OSError as error:
            raise UsageError(f"cannot write {for_terminal(args.html)}: {error.strerror}") from None
        print(f"Wrote the report of {len(report.rows)} connections to {for_terminal(args.html)}.")
    elif args.csv:
        sys.stdout.write(report_module.as_csv(report))
    else:
        print_table([{"label": r.connection.label, "client": r.connection.client, "status": r.connection.status,
                      "last_ok": r.connection.last_ok_at, "uptime_30d": r.uptime_text, "what_to_do": r.what_to_do}
                     for r in report.rows], ["label", "client", "status", "last_ok", "uptime_30d", "what_to_do"],
                    sys.stdout)
    return EXIT_OK


def cmd_prune(ws: Workspace, args: argparse.Namespace) -> int:
    if not 1 <= args.older_than <= MAX_DAYS:
        raise UsageError(f"--older-than must be between 1 and {MAX_DAYS} days")
    folded, keep_from = ws.prune(older_than_days=args.older_than)
    print(f"Kept checks from {keep_from} on in full; {folded} older checks folded into daily totals.")
    return EXIT_OK


def cmd_rotate_key(ws: Workspace, args: argparse.Namespace) -> int:
    new_key = os.environ.get("COPERNICA_NEW_SECRET_KEY", "").strip()
    count = ws.rotate_key(Secret(new_key) if new_key else None)
    if ws.settings.secret_key:
        print(f"Re-encrypted {count} secrets. Set COPERNICA_SECRET_KEY to the value of COPERNICA_NEW_SECRET_KEY "
              "before the next start: the old key no longer opens this database.")
    else:
        print(f"Re-encrypted {count} secrets; {ws.settings.key_file} now holds the new key.")
    return EXIT_OK


def cmd_backup(ws: Workspace, args: argparse.Namespace) -> int:
    made = ws.backup(Path(args.file))
    print(for_terminal(f"Backed up {made} to {args.file}."))
    print(for_terminal(f"Its secrets open only with the key whose id is {made.key_id} ({key_source(ws.settings)}). "
                       "Keep that key, and keep it apart from the backup."))
    return EXIT_OK


def cmd_copy_db(ws: Workspace, args: argparse.Namespace) -> int:
    copied = ws.copy_database(args.to)
    print(for_terminal(f"Copied {ws.settings.database_name} into {copied.target}: {copied}."))
    print("Point every dashboard and watcher at it (COPERNICA_DATABASE_URL, or COPERNICA_DB) with the same key "
          f"({key_source(ws.settings)}), and stop using the old one.")
    return EXIT_OK


def key_source(settings) -> str:
    return "COPERNICA_SECRET_KEY" if settings.secret_key else f"the key file {settings.key_file}"


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore before any workspace opens: opening one would make a new key where none is."""
    from .backup import restore
    try:
        settings = load_settings()
        restored = restore(settings, Path(args.file), replace=args.replace, now=datetime.now(UTC),
                           unsealed=args.unsealed)
    except (ConfigError, CopernicaError) as error:
        print(f"error: {for_terminal(error)}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, sqlite3.Error) as error:
        print(f"error: the restore could not be written to {settings.db_path} ({for_terminal(error)}).",
              file=sys.stderr)
        return EXIT_USAGE
    ws = Workspace(settings, actor=Actor.command_line())
    try:
        ws.record_restore(f"{Path(args.file).name}: {restored}")
    finally:
        ws.close()
    print(for_terminal(f"Restored {restored.contents} from {args.file} into {settings.db_path}{restored.notes}."))
    print("Run `python -m copernica_core check` to see that every connection still works.")
    return EXIT_OK


def cmd_health(args: argparse.Namespace) -> int:
    """For monitors: exit 0 when healthy, else 1 with one line; reads only."""
    from .health import health
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"error: {for_terminal(error)}", file=sys.stderr)
        return EXIT_USAGE
    now = datetime.now(UTC)
    found = health(settings, now=now)
    if args.json:
        json.dump(found.as_dict(now), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif found.ok and args.quiet:
        pass
    elif found.ok:
        watcher = found.watcher
        runs = (f"; last scheduled run {watcher['last_run_finished_at']}" if watcher.get("last_run_finished_at")
                else "")
        print(for_terminal(f"ok: {found.connections} connections in {found.database}{runs}"))
    else:
        print(for_terminal("unhealthy: " + "; ".join(found.problems)))
    return EXIT_OK if found.ok else EXIT_FAILED


def cmd_invite(ws: Workspace, args: argparse.Namespace) -> int:
    """A connect link for a client; for a connection, its one open link (given again while open)."""
    from .config import parse_duration
    try:
        expires = parse_duration(args.expires, name="--expires")
    except ConfigError as error:
        raise UsageError(str(error)) from None
    url, link = ws.invite(client=args.client or "", connection_id=args.connection, application_id=args.application,
                          expires=expires, allow_replace=args.allow_replace)
    if args.json:
        json.dump({"url": url, "invitation_id": link.id, "client": link.client, "connection_id": link.connection_id,
                   "application_id": link.application_id, "expires_at": link.expires_at}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(url)
        again = (f" It is this connection's one open link: asking again gives it again; `invitations --revoke "
                 f"{link.id}` withdraws it." if link.connection_id is not None else "")
        print(for_terminal(f"Link #{link.id} for {link.client or '(no client)'}, valid until "
                           f"{link.until}, once. Send it to the client.{again}"), file=sys.stderr)
    if not ws.settings.agency_name:  # (stderr: --json's output stays clean)
        print("Note: COPERNICA_AGENCY_NAME is not set, so the client's page says that \"your agency\" asks for "
              "access. Set it to your agency's name so that the client knows who asks.", file=sys.stderr)
    return EXIT_OK


def cmd_invitations(ws: Workspace, args: argparse.Namespace) -> int:
    if args.revoke is not None:
        ws.withdraw_link(args.revoke)
        print(f"Revoked link #{args.revoke}: it can no longer be used.")
        return EXIT_OK
    records = [{"invitation_id": i.id, "client": i.client, "connection_id": i.connection_id, "made_by": i.made_by,
                "created_at": i.created_at, "expires_at": i.expires_at, "used_at": i.used_at,
                "revoked_at": i.revoked_at, "sent_to": i.sent_to} for i in ws.connect_links(open_only=not args.all)]
    if args.json:
        print_json(records)
    elif records:
        print_table(records, ["invitation_id", "client", "connection_id", "made_by", "sent_to", "expires_at",
                              "used_at", "revoked_at"], sys.stdout)
    else:
        print("No open connect links." if not args.all else "No connect links made yet.")
    return EXIT_OK


def cmd_contacts(ws: Workspace, args: argparse.Namespace) -> int:
    """Clients' contacts: listed, or one client's set (`--to`, `--reconnect-links`) or removed."""
    if args.client is None:
        if args.to is not None or args.reconnect_links is not None or args.remove or args.language is not None:
            raise UsageError("name the client: --client NAME")
        languages = ws.client_languages()
        records = [{"client": c.client, "contact": c.shown, "reconnect_links": c.reconnect_links,
                    "language": languages.get(c.client), "problem": c.problem or None}
                   for c in ws.client_contacts().values()]
        if args.json:
            print_json(records)
        elif records:
            print_table(records, ["client", "contact", "reconnect_links", "language", "problem"], sys.stdout)
        else:
            print("No client has a contact yet.")
        return EXIT_OK
    if args.language is not None:
        ws.set_client_language(args.client, None if args.language == "browser" else args.language)
        print(for_terminal(f"{args.client} reads "
                           + ({"nl": "Dutch", "en": "English"}.get(args.language) or "its browser's language") + "."))
        if args.to is None and args.reconnect_links is None and not args.remove:
            return EXIT_OK
    if args.remove:
        ws.set_client_contact(args.client, "", reconnect_links=False)
        print(for_terminal(f"{args.client} has no contact now."))
        return EXIT_OK
    contact = ws.client_contacts(args.client).get(args.client)
    if args.to is not None or args.reconnect_links is not None:  # else: only show it
        links = args.reconnect_links == "on" if args.reconnect_links else bool(contact and contact.reconnect_links)
        contact = ws.set_client_contact(args.client, args.to, reconnect_links=links)
    if contact is None:
        print(for_terminal(f"{args.client} has no contact."))
        return EXIT_OK
    print(for_terminal(f"{args.client}: {contact.shown}, reconnect links {'on' if contact.reconnect_links else 'off'}"
                       + (f" (cannot be reached: {contact.problem})" if contact.problem else "")))
    return EXIT_OK


def cmd_events(ws: Workspace, args: argparse.Namespace) -> int:
    if args.connection is not None and ws.unknown_connection_ids([args.connection]):
        raise UsageError(f"no connection with id {args.connection}")
    records = [{"event_id": e.id, "at": e.at, "who": e.actor, "action": e.action, "connection_id": e.connection_id,
                "application_id": e.application_id, "detail": e.detail}
               for e in ws.events(connection_id=args.connection, limit=args.limit)]
    if args.json:
        print_json(records)
    elif records:
        print_table(records, ["at", "who", "action", "connection_id", "detail"], sys.stdout)
    else:
        print("No activity recorded yet.")
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    from .sandbox import serve_forever
    serve_forever(port=args.port, latency_ms=args.latency_ms)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DEMO_DB, run_demo
    return run_demo(sandbox_port=args.sandbox_port, dashboard_port=args.port, db=args.db or DEMO_DB)


MAX_DAYS = 36_500
_MAX_ID = 2**63 - 1  # SQLite's largest integer


def connection_id(text: str) -> int:
    """A connection id as typed on the command line (argparse turns a ValueError into exit 2)."""
    if not text.strip().isascii() or not text.strip().isdigit() or not 0 < int(text) <= _MAX_ID:
        raise ValueError(text)
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m copernica_core",
                                     description="Copernica Connections from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="check connections now (all by default)")
    p.add_argument("--all", action="store_true", help="check every connection (the default)")
    p.add_argument("--connection", type=connection_id, action="append", metavar="ID",
                   help="a connection id; repeatable")
    p.add_argument("--concurrency", type=int, metavar="N", help="parallel checks (default: COPERNICA_CONCURRENCY)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--notify", action="store_true", help="apply the alert rules and send what they say")
    p.add_argument("--client", metavar="NAME", help="only this client's connections")
    p.add_argument("--failed-only", action="store_true", help="list only the connections that are not valid")
    p.add_argument("--quiet", action="store_true", help="print only connections whose status changed (for cron)")

    p = sub.add_parser("connections", help="list connections and their status")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--client", metavar="NAME", help="only this client's connections")

    p = sub.add_parser("history", help="print stored checks, oldest first")
    p.add_argument("--connection", type=connection_id, metavar="ID", help="only this connection's checks")
    p.add_argument("--since", metavar="ISO", help="only checks from this moment on (2026-12-01 or a full ISO time)")
    p.add_argument("--client", metavar="NAME", help="only this client's connections")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="print CSV (cells neutralised for spreadsheets)")
    fmt.add_argument("--json", action="store_true", help="print a JSON list")

    p = sub.add_parser("import-tokens", help="add access tokens from a CSV file with header label,token[,client]")
    p.add_argument("file", help="CSV file (comma or semicolon separated), or - for standard input")
    p.add_argument("--replace", action="store_true",
                   help="let a token replace the token of a connection with another label that reaches its account")

    p = sub.add_parser("report", help="a status report per client: CSV, or a printable HTML page")
    p.add_argument("--client", metavar="NAME", help="only this client's connections")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--html", metavar="FILE", help="write a printable HTML page (readable by its owner only)")
    fmt.add_argument("--csv", action="store_true", help="print CSV")

    p = sub.add_parser("export", help="export connections (no secrets)")
    p.add_argument("--client", metavar="NAME", help="only this client's connections")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="print CSV (the default)")
    fmt.add_argument("--json", action="store_true", help="print a JSON list")

    p = sub.add_parser("prune", help="fold old checks into daily totals (uptime keeps working)")
    p.add_argument("--older-than", type=int, required=True, metavar="DAYS",
                   help="keep this many days of checks in full, fold older ones")

    p = sub.add_parser("sandbox", help="run the local Copernica stand-in in the foreground")
    p.add_argument("--port", type=int, default=8765, help="port on loopback (default 8765)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer by this much")

    p = sub.add_parser("demo", help="run the sandbox and the dashboard wired to it")
    p.add_argument("--port", type=int, default=8501, help="dashboard port")
    p.add_argument("--sandbox-port", type=int, default=8765, help="sandbox port")
    p.add_argument("--db", type=Path, help="demo database (default data/demo/copernica.db)")

    p = sub.add_parser("events", help="the activity log: who did what, newest first")
    p.add_argument("--connection", type=connection_id, metavar="ID", help="only this connection's events")
    p.add_argument("--limit", type=int, default=200, metavar="N", help="at most N events (default 200)")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    p = sub.add_parser("watch", help="check every connection on a schedule and send alerts")
    p.add_argument("--every", metavar="DURATION", help="30s, 15m, 1h (default: COPERNICA_WATCH_EVERY, 15m)")
    p.add_argument("--once", action="store_true", help="one run now, then exit with check's exit codes")
    p.add_argument("--quiet", action="store_true", help="print only connections whose status changed (for cron)")

    p = sub.add_parser("invite", help="a connect link: a client connects (or reconnects) its own account")
    p.add_argument("--client", metavar="NAME", help="the client the new connection serves")
    p.add_argument("--connection", type=connection_id, metavar="ID", help="reconnect this connection instead")
    p.add_argument("--application", type=connection_id, metavar="ID", help="the application (when there are several)")
    p.add_argument("--expires", default="7d", metavar="DURATION", help="how long the link works (default 7d)")
    p.add_argument("--allow-replace", action="store_true",
                   help="let a new connection take over an account already connected for another client")
    p.add_argument("--json", action="store_true", help="print the link and its row as JSON")

    p = sub.add_parser("invitations", help="the open connect links (--all: every one), or --revoke ID")
    p.add_argument("--all", action="store_true", help="also used, withdrawn and expired links")
    p.add_argument("--revoke", type=connection_id, metavar="ID", help="withdraw this open link")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    p = sub.add_parser("contacts", help="clients' contacts (for reconnect links): list, or set one with --client")
    p.add_argument("--client", metavar="NAME", help="the client whose contact to set or remove")
    p.add_argument("--to", metavar="CONTACT", help="an e-mail address (through COPERNICA_MAIL_URL) or an Apprise URL")
    p.add_argument("--reconnect-links", choices=("on", "off"),
                   help="send the contact a fresh reconnect link when one of its tokens stops working")
    p.add_argument("--remove", action="store_true", help="forget the client's contact")
    p.add_argument("--language", choices=("nl", "en", "browser"),
                   help="the language the client reads (its link pages, its messages); browser: its browser's")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("health", help="for monitors: exit 0 when the database, key and watcher are fine, else 1")
    p.add_argument("--json", action="store_true", help="print what was found as JSON")
    p.add_argument("--quiet", action="store_true", help="print nothing when healthy (for cron)")

    p = sub.add_parser("backup", help="copy the database to a new file, consistent while others write")
    p.add_argument("file", help="the backup file to create (never overwritten)")

    p = sub.add_parser("copy-db", help="copy the database into an empty one (SQLite or PostgreSQL), secrets checked")
    p.add_argument("--to", required=True, metavar="URL",
                   help="postgresql://USER[:PASSWORD]@HOST[:PORT]/DB, or a SQLite file that does not exist yet")

    p = sub.add_parser("restore", help="put a backup in place of the database (checks its key and seal first)")
    p.add_argument("file", help="a file made by backup")
    p.add_argument("--replace", action="store_true",
                   help="replace a database that holds data (it is kept aside first)")
    p.add_argument("--unsealed", action="store_true",
                   help="accept a backup without a seal (made before backups were sealed)")

    sub.add_parser("new-key", help="print a new encryption key for COPERNICA_SECRET_KEY")
    sub.add_parser("rotate-key", help="re-encrypt every secret with a new key, atomically")
    return parser


COMMANDS = {"check": cmd_check, "connections": cmd_connections, "history": cmd_history,
            "import-tokens": cmd_import_tokens, "export": cmd_export, "prune": cmd_prune,
            "rotate-key": cmd_rotate_key, "watch": cmd_watch, "events": cmd_events, "report": cmd_report,
            "backup": cmd_backup, "copy-db": cmd_copy_db,
            "invite": cmd_invite, "invitations": cmd_invitations, "contacts": cmd_contacts}
ADDS_DATA = {"import-tokens"}  # the only commands that may create a database that does not exist


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "new-key":
        print(new_key().reveal())
        return EXIT_OK
    if args.command == "sandbox":
        return cmd_sandbox(args)
    if args.command == "demo":
        return cmd_demo(args)
    if args.command == "restore":
        return cmd_restore(args)
    if args.command == "health":
        return cmd_health(args)
    if getattr(args, "concurrency", None) is not None and args.concurrency < 1:
        print("error: --concurrency must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = load_settings()
        if args.command not in ADDS_DATA and not settings.on_postgres and not settings.db_path.exists():
            from .demo import DEMO_DB

            shown = DEMO_DB.relative_to(Path.cwd()) if DEMO_DB.is_relative_to(Path.cwd()) else DEMO_DB
            demo = (f" The demo's database is {shown}: COPERNICA_DB={shown} python -m copernica_core {args.command}"
                    if DEMO_DB.exists() and settings.db_path.resolve() != DEMO_DB.resolve() else "")
            raise ConfigError(f"there is no database at {settings.db_path} (COPERNICA_DB); nothing to "
                              f"{args.command}. Check the path, or add connections first.{demo}")
        ws = Workspace(settings, actor=Actor.command_line())
    except (ConfigError, DatabaseFault) as error:
        print(f"error: {for_terminal(error)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](ws, args)
    except DatabaseFault as error:  # PostgreSQL went away mid-command: what finished is kept
        print(f"error: {for_terminal(error)}; what was finished before is kept. Run it again once the database "
              "answers.", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, CopernicaError) as error:
        print(f"error: {for_terminal(error)}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.DatabaseError as error:  # locked, disk full, a read-only file, …: what finished is kept
        if "locked" in str(error):
            advice = ("another process held it for longer than 30 s (a backup, a long import?). Run it again "
                      "once that has finished")
        else:
            advice = "Free some space or fix the file's permissions, then run it again"
        print(f"error: the database {ws.settings.database_name} cannot be written ({error}); what was "
              f"finished before is kept. {advice[:1].upper()}{advice[1:]}.", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    finally:
        ws.close()
