"""Demo mode: the sandbox plus the dashboard wired to it, with the demo application ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .access import Actor, Role
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


def run_demo(*, sandbox_port: int = 8765, dashboard_port: int = 8501, db: Path = DEMO_DB) -> int:
    sandbox = SandboxServer(sandbox_port).start()
    env = demo_env(sandbox, dashboard_port=dashboard_port, db=db)
    ensure_demo_application(env)
    print(f"Sandbox Copernica on {sandbox.base_url}; demo data in {db}.", flush=True)
    print(f"Open http://localhost:{dashboard_port}/authorize and click 'Authorize with Copernica'.", flush=True)
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
               "--server.port", str(dashboard_port)]
    dashboard = subprocess.Popen(command, env=env, cwd=ROOT)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` stops the dashboard too
    try:
        return dashboard.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if dashboard.poll() is None:
            dashboard.terminate()
            dashboard.wait(timeout=10)
        sandbox.stop()
