"""Demo mode: the sandbox, the dashboard wired to it with the demo application ready, and a
watcher whose alerts arrive in a local inbox. The sandbox keeps its tokens beside the demo
database, so a restart finds every connection still working."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .access import Actor, Role
from .neutralise import for_terminal
from .sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET, SandboxServer
from .workspace import open_workspace

ROOT = Path(__file__).resolve().parent.parent
DEMO_DB = ROOT / "data" / "demo" / "copernica.db"  # never the real database


def demo_env(sandbox: SandboxServer, *, dashboard_port: int, db: Path = DEMO_DB) -> dict[str, str]:
    return {
        **os.environ, **sandbox.env(), "COPERNICA_DB": str(db), "COPERNICA_SECRET_KEY": "",
        "COPERNICA_REDIRECT_URI": f"http://localhost:{dashboard_port}/authorize",
    }


def ensure_demo_application(env: dict[str, str]) -> None:
    ws = open_workspace(env, actor=Actor("demo", Role.COMMAND_LINE))
    try:
        if not any(a.client_key == DEMO_CLIENT_KEY for a in ws.applications()):
            ws.save_application(label="Sandbox demo application", client_key=DEMO_CLIENT_KEY,
                                client_secret=DEMO_CLIENT_SECRET)
    finally:
        ws.close()


class Inbox:
    """A local webhook that receives the demo watcher's alerts: each one is printed and
    appended to `notifications.log` beside the demo database."""

    def __init__(self, log_file: Path) -> None:
        inbox = self
        self.log_file = log_file

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                inbox.received(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, name="inbox", daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/demo-inbox"

    def received(self, body: bytes) -> None:
        try:
            message = json.loads(body)
            text = f"{message.get('title', '')}\n{message.get('message', '')}"
        except ValueError:
            text = body.decode("utf-8", "replace")
        shown = "\n".join(for_terminal(line) for line in text.splitlines())  # lines stay lines
        entry = f"--- alert received {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n{shown}\n"
        print(entry, flush=True)
        with self.log_file.open("a", encoding="utf-8") as out:
            out.write(entry)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_demo(*, sandbox_port: int = 8765, dashboard_port: int = 8501, db: Path = DEMO_DB) -> int:
    db.parent.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxServer(sandbox_port, state_file=db.with_name("sandbox.json")).start()
    inbox = Inbox(db.with_name("notifications.log"))
    env = {"COPERNICA_WATCH_EVERY": "30s", "COPERNICA_ALERT_AFTER": "1m",
           **demo_env(sandbox, dashboard_port=dashboard_port, db=db), "COPERNICA_NOTIFY": inbox.url,
           "COPERNICA_PUBLIC_URL": f"http://localhost:{dashboard_port}",
           "COPERNICA_AGENCY_NAME": os.environ.get("COPERNICA_AGENCY_NAME") or "Demo Agency"}  # who a client sees
    ensure_demo_application(env)
    print(f"Sandbox Copernica on {sandbox.base_url}; demo data in {db.parent} (kept across restarts).", flush=True)
    print(f"Open http://localhost:{dashboard_port}/authorize and click 'Authorize with Copernica'.", flush=True)
    print(f"A watcher checks every {env['COPERNICA_WATCH_EVERY']}; alerts are printed here and written to "
          f"{inbox.log_file}. Try it: curl -X POST {sandbox.base_url}/_sandbox/revoke -d account_id=101", flush=True)
    processes = [
        subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
                          "--server.port", str(dashboard_port)], env=env, cwd=ROOT),
        subprocess.Popen([sys.executable, "-m", "copernica_core", "watch"], env=env, cwd=ROOT),
    ]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` stops the others too
    try:
        return processes[0].wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        inbox.stop()
        sandbox.stop()
