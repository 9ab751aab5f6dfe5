"""The chat services the README names, through Apprise's own Slack, Workflows (Microsoft Teams)
and Discord plugins, posting to a local HTTPS recorder (their hosts resolve to it here): an alert
about connections with hostile labels arrives as text (no live masked link, no @everyone ping),
and a long alert fits Discord's 2,000 characters, so it is delivered instead of refused on every
run until it is given up."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from copernica_core.models import Outcome

from .conftest import make_workspace
from .factories import seed_connection

HOSTS = ("discord.com", "hooks.slack.com", "teams.example.com")


class ChatRecorder:
    """One HTTPS server standing in for Discord, Slack and a Teams workflow: keeps each JSON
    payload by the service it was meant for, and answers as that service does."""

    def __init__(self, folder) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chat-recorder")])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(1).not_valid_before(now - timedelta(hours=1))
                .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
        self.payloads: dict[str, list[dict]] = {"discord": [], "slack": [], "teams": []}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.path.startswith("/api/webhooks/"):
                    recorder.payloads["discord"].append(data)
                    status, body = 204, b""
                elif self.path.startswith("/services/"):
                    recorder.payloads["slack"].append(data)
                    status, body = 200, b"ok"
                else:
                    recorder.payloads["teams"].append(data)
                    status, body = 202, b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def chat(tmp_path, monkeypatch):
    recorder = ChatRecorder(tmp_path)
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):  # the services' hosts are the recorder, here
        return real("127.0.0.1", recorder.port, *args, **kwargs) if host in HOSTS else real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield recorder
    recorder.stop()


TARGETS = ("discord://1234567890123/discord-token-0123456789?verify=no "
           "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ?verify=no "
           "workflows://teams.example.com/workflow0123456789/signature0123456789?verify=no")


def test_hostile_labels_arrive_as_text_and_a_long_alert_fits_discord(env, chat):
    ws = make_workspace({**env, "COPERNICA_NOTIFY": TARGETS})
    hostile = "Shop [win a prize](http://evil.example) @everyone *now*"
    seed_connection(ws, "7001", label=hostile, status=Outcome.INVALID_TOKEN)
    report = ws.apply_alert_rules()
    assert [d.status for d in ws.recent_deliveries()] == ["sent"] * 3, ws.recent_deliveries()
    [discord], [slack], [teams] = chat.payloads["discord"], chat.payloads["slack"], chat.payloads["teams"]
    assert report.title
    assert "[win a prize](http://evil.example)" not in discord["content"]  # no live masked link
    assert r"\[win a prize\]\(http://evil.example\)" in discord["content"]
    assert "@everyone" not in discord["content"] and "everyone" not in json.dumps(discord.get("allowed_mentions", {}))
    teams_text = json.dumps(teams)
    assert "[win a prize](http" not in teams_text  # Apprise escapes the body, the title is escaped here
    assert "win a prize" in json.dumps(slack) and "<http://evil.example|" not in json.dumps(slack)

    for n in range(40):  # a long alert: forty more broken at once
        seed_connection(ws, str(7100 + n), label=f"Client shop number {n:02d} with a rather long label",
                        status=Outcome.INVALID_TOKEN)
    ws.apply_alert_rules()
    assert [d.status for d in ws.recent_deliveries()[:3]] == ["sent"] * 3
    long = chat.payloads["discord"][-1]["content"]
    assert len(long) <= 2000 and long.endswith("the whole list is on the dashboard's Overview)")
    ws.close()
