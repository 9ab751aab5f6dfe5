"""Two people at once, and no secret anywhere a user or an admin can see."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_SECRET

from .conftest import ROOT, add_demo_application, alert, authorize, seed_pasted_connections, shoot, workspace

pytestmark = pytest.mark.e2e


def test_two_sessions_completing_two_authorizations_at_once(browser, page, dashboard):
    add_demo_application(page, dashboard)
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.set_default_timeout(20_000)
    for tab in (page, other):
        tab.goto(f"{dashboard.url}/authorize")
        tab.get_by_text("Authorize with Copernica").click()
        expect(tab.get_by_role("button", name="Give access")).to_be_visible()
    page.get_by_label("Acme Retail").check()
    other.get_by_label("Bloom Florists").check()
    page.get_by_role("button", name="Give access").click(no_wait_after=True)
    other.get_by_role("button", name="Give access").click(no_wait_after=True)
    expect(alert(page, "“Acme Retail” (id 101, Acme BV) is connected")).to_be_visible()
    expect(alert(other, "“Bloom Florists” (id 102, Bloom & Co) is connected")).to_be_visible()
    other.context.close()
    assert sorted(c.account.id for c in workspace(dashboard).connections()) == ["101", "102"]


def test_no_secret_in_database_wal_logs_pages_or_command_line(page, dashboard):
    import sqlite3

    add_demo_application(page, dashboard)
    # Held open so that the WAL outlives the dashboard's own connections and can be scanned.
    keeper = sqlite3.connect(dashboard.env["COPERNICA_DB"])
    keeper.execute("SELECT count(*) FROM applications").fetchone()
    authorize(page, dashboard, account="Northwind Travel")
    expect(alert(page, "is connected")).to_be_visible()
    seed_pasted_connections(dashboard, 2)
    html = []
    for path in ("", "credentials", "authorize", "inspect"):
        page.goto(f"{dashboard.url}/{path}")
        expect(page.get_by_role("heading").first).to_be_visible()
        if path == "inspect":
            page.get_by_role("button", name="Inspect now").click()
            expect(alert(page, "This connection works")).to_be_visible()
        page.wait_for_timeout(500)
        html.append(page.content())
        shoot(page, f"secrets-scan-{path or 'overview'}")
    cli = "".join(subprocess.run([sys.executable, "-m", "copernica_core", *args], cwd=ROOT, env=dashboard.env,
                                 capture_output=True, text=True, timeout=60, check=True).stdout
                  for args in (["connections", "--json"], ["export", "--csv"], ["history", "--csv"],
                               ["check", "--json"]))
    assert json.loads(subprocess.run([sys.executable, "-m", "copernica_core", "connections", "--json"], cwd=ROOT,
                                      env=dashboard.env, capture_output=True, text=True, check=True).stdout)
    state = dashboard.sandbox.state
    secrets = {DEMO_CLIENT_SECRET, *state.tokens, *state.jwts, *state.codes}
    assert len(secrets) >= 8
    db = Path(dashboard.env["COPERNICA_DB"])
    places = {"page": "".join(html), "cli": cli, "log": dashboard.log.read_text(),
              "database": db.read_bytes().decode("latin-1"),
              "wal": db.with_name(db.name + "-wal").read_bytes().decode("latin-1")}
    keeper.close()
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret is readable in the {where}"


def websocket_handshake_status(port: int, host_header: str, origin: str | None = None) -> int:
    import base64
    import os
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Origin: {origin or 'http://' + host_header}\r\n\r\n").encode())
        return int(s.recv(4096).split(b" ", 2)[1])


def test_a_page_on_another_host_name_cannot_open_the_dashboard(dashboard):
    """DNS rebinding: evil.example resolving to 127.0.0.1 reaches the port, not the app."""
    port = int(dashboard.url.rsplit(":", 1)[1])
    assert websocket_handshake_status(port, f"localhost:{port}") == 101
    assert websocket_handshake_status(port, f"127.0.0.1:{port}") == 101
    assert websocket_handshake_status(port, f"evil.example:{port}") != 101


def test_another_sites_page_cannot_open_the_dashboard_nor_make_it_reach_outside(page, dashboard):
    """A page on evil.example opening ws://localhost: Streamlit refuses its origin, and answers
    without asking an outside service for this machine's address (the dashboard's recorder of
    outside requests stays empty)."""
    page.goto(dashboard.url)  # the dashboard is in use
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    port = int(dashboard.url.rsplit(":", 1)[1])
    for _ in range(3):
        assert websocket_handshake_status(port, f"localhost:{port}", origin="https://evil.example") != 101


def test_the_dashboard_refuses_to_run_inside_another_sites_frame(page, dashboard, tmp_path):
    import http.server
    import threading

    (tmp_path / "index.html").write_text(
        f'<html><body><h1>Win a prize</h1><iframe src="{dashboard.url}/inspect" width="1000" height="600">'
        "</iframe></body></html>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        frame = page.frame_locator("iframe")
        expect(frame.get_by_text("cannot be shown inside another site")).to_be_visible()
        expect(frame.get_by_role("button")).to_have_count(0)
        shoot(page, "framed-refused")
    finally:
        server.shutdown()
        server.server_close()


def test_the_dashboard_makes_no_request_outside_this_machine(page, dashboard):
    from urllib.parse import urlsplit

    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    for path in ("", "credentials", "authorize", "inspect"):
        page.goto(f"{dashboard.url}/{path}")
        expect(page.get_by_role("heading").first).to_be_visible()
        page.wait_for_timeout(500)
    assert hosts - {None} <= {"localhost", "127.0.0.1"}, hosts


def test_hostile_names_are_text_in_the_browser_and_the_tables_export_nothing(browser, page, dashboard):
    """What the page tests read from the protobufs, seen in Chromium: no link to or image from
    the hosts the names carry, no request to them, the names shown as typed; and the tables'
    toolbar has no "Download as CSV" (it would write a name like =HYPERLINK(…) as a formula)."""
    from ..factories import seed_hostile_names

    seeded = seed_hostile_names({**dashboard.env, "COPERNICA_PUBLIC_URL": "https://connections.example.com"})
    requested: list[str] = []
    client = browser.new_context(viewport={"width": 390, "height": 844})  # the client, signed out, on a phone
    link_page = client.new_page()
    for tab in (page, link_page):
        tab.on("request", lambda request: requested.append(request.url))
    link_page.goto(f"{dashboard.url}/?invite={seeded['invite']}")
    expect(link_page.get_by_role("button", name="Continue to Copernica")).to_be_visible()
    expect(link_page.get_by_text("outside.example/pixel.png)” (id 102)").first).to_be_visible()
    shoot(link_page, "hostile-names-link-page")
    pages = [link_page.content()]
    client.close()
    for path in ("", f"inspect?connection={seeded['connections'][0]}", "authorize", "alerts", "activity"):
        page.goto(f"{dashboard.url}/{path}")
        expect(page.get_by_role("heading").first).to_be_visible()
        if not path:
            expect(page.get_by_role("link", name=re.compile(r"^Bloom \[Log in again here\]\(http:.?.?.?evil"))
                   ).to_be_visible()  # the alert card: its label as typed, a link to Inspect only
            table = page.locator(".st-key-connections_table")
            table.get_by_test_id("stDataFrame").hover()
            expect(table.get_by_role("button", name="Search")).to_be_visible()  # the toolbar is there
            expect(page.get_by_role("button", name="Download as CSV")).to_have_count(0)
            expect(page.get_by_text("**Acme** http").first).to_be_attached()
        shoot(page, f"hostile-names-{path.split('?')[0] or 'overview'}")
        pages.append(page.content())
    for html in pages:
        link = re.search(r'<a[^>]+href="[^"]*(evil|outside)\.example', html)
        assert link is None, html[link.start() - 600:link.end() + 300]
        assert re.search(r'<img[^>]+src="[^"]*(evil|outside)\.example', html) is None
        assert "<strong>Acme</strong>" not in html and "<b>bold</b>" not in html
    assert [url for url in requested if "evil.example" in url or "outside.example" in url] == []
