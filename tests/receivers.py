"""Real receivers for notifications, started by the tests themselves: a webhook (Apprise's
json://) and an SMTP server (aiosmtpd) for mailto://, both on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from .conftest import free_port


class Webhook:
    """Collects JSON posts; answers `status` (set it to 500 to play a failing target)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if hook.status == 200:
                    hook.messages.append(json.loads(body))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, secret: str = "hook-secret-0123456789") -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hooks/{secret}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """An SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.mails: list[str] = []
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                box.mails.append(envelope.content.decode("utf-8", "replace"))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from=watch@example.com&to=ops@example.com"

    def stop(self) -> None:
        self.controller.stop()
