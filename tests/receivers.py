"""Real receivers, started by the tests themselves on loopback: for notifications a webhook
(Apprise's json://) and an SMTP server (aiosmtpd) for mailto://; a heartbeat monitor; and a recorder of requests
meant for outside this machine."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from .conftest import free_port


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _OnLoopback:
    """An HTTP server on a free loopback port, serving `handler` from a thread of its own."""

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Webhook(_OnLoopback):
    """Collects JSON posts; answers `status` (set it to 500 to play a failing target), after
    `hold` is set when there is one (a target that takes its time to answer)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.status = 200
        self.hold: threading.Event | None = None
        hook = self

        class Handler(_Quiet):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if hook.status == 200:
                    hook.messages.append(json.loads(body))
                if hook.hold is not None:
                    hook.hold.wait(60)
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.serve(Handler)

    def url(self, secret: str = "hook-secret-0123456789") -> str:
        return f"json://127.0.0.1:{self.port}/hooks/{secret}"



class Monitor(_OnLoopback):
    """A heartbeat monitor in the manner of healthchecks.io: records the path of each GET
    (`/ping/<key>` or `/ping/<key>/fail`), answering after `hold` is set when there is one."""

    def __init__(self) -> None:
        self.pings: list[str] = []
        self.hold: threading.Event | None = None
        monitor = self

        class Handler(_Quiet):
            def do_GET(self) -> None:
                if monitor.hold is not None:
                    monitor.hold.wait(60)
                monitor.pings.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

        self.serve(Handler)

    def url(self, key: str = "5f1e-monitor-key-0123456789") -> str:
        return f"http://127.0.0.1:{self.port}/ping/{key}"

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        super().stop()


class Monitors(_OnLoopback):
    """healthchecks.io and Uptime Kuma on one port, each recording what it would show: `shown`
    holds ("healthchecks", check, "up" | "down" | "started") and ("uptime-kuma", token, "up" |
    "down", message), as their own routes read a ping. Any other path gets Kuma's web page
    (200, HTML), which records nothing: the trap of a ping sent the wrong way."""

    def __init__(self) -> None:
        from urllib.parse import parse_qs, urlsplit

        self.shown: list[tuple] = []
        monitors = self

        class Handler(_Quiet):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                steps = [s for s in parts.path.split("/") if s]
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                body, kind = b"<!DOCTYPE html><html><body>Uptime Kuma</body></html>", "text/html"
                if steps[:1] == ["ping"] and 2 <= len(steps) <= 4:  # /ping/<uuid>[/fail|/start], /ping/<key>/<slug>[/…]
                    state = {"fail": "down", "start": "started"}.get(steps[-1]) if len(steps) > 2 else None
                    check = "/".join(steps[1:-1] if state or steps[-1].isdigit() else steps[1:])
                    if steps[-1].isdigit():  # an exit status: 0 is success
                        state = "up" if steps[-1] == "0" else "down"
                    monitors.shown.append(("healthchecks", check, state or "up"))
                    body, kind = b"OK", "text/plain"
                elif steps[:2] == ["api", "push"] and len(steps) == 3:
                    monitors.shown.append(("uptime-kuma", steps[2], query.get("status") or "up", query.get("msg", "")))
                    body, kind = b'{"ok":true}', "application/json"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.serve(Handler)

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class DrippingWebhook:
    """A target that accepts the connection and then sends one header line every `every`
    seconds, for a minute: the kind of answer whose reads each arrive in time."""

    def __init__(self, every: float = 1.0) -> None:
        import socket

        self.server = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()

        def drip(connection) -> None:
            with connection:
                try:
                    connection.recv(65536)
                    connection.sendall(b"HTTP/1.1 200 OK\r\n")
                    for i in range(60):
                        if self._stop.wait(every):
                            return
                        connection.sendall(f"X-Drip-{i}: x\r\n".encode())
                except OSError:
                    pass

        def serve() -> None:
            while not self._stop.is_set():
                try:
                    connection, _ = self.server.accept()
                except OSError:
                    return
                threading.Thread(target=drip, args=(connection,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()

    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.getsockname()[1]}/slow-hook-0123456789"

    def stop(self) -> None:
        self._stop.set()
        self.server.close()


class OutsideRecorder(_OnLoopback):
    """A forward proxy that forwards nothing: give its address as HTTP_PROXY and HTTPS_PROXY to
    a process, and every request that process makes to a host outside this machine (with
    NO_PROXY naming loopback) lands in `requests` instead of on the network."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(_Quiet):
            def _record(self) -> None:
                recorder.requests.append(f"{self.command} {self.path}")
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_CONNECT = _record

        self.serve(Handler)

    def env(self) -> dict[str, str]:
        proxy = f"http://127.0.0.1:{self.port}"
        return {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
                "NO_PROXY": "localhost,127.0.0.1,::1", "no_proxy": "localhost,127.0.0.1,::1"}


class Mailbox:
    """An SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.mails: list[str] = []
        self.recipients: list[list[str]] = []  # each message's envelope recipients (RCPT TO)
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                box.mails.append(envelope.content.decode("utf-8", "replace"))
                box.recipients.append(list(envelope.rcpt_tos))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from=watch@example.com&to=ops@example.com"

    def stop(self) -> None:
        self.controller.stop()
