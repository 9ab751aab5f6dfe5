"""Helpers shared by the tests: the sandbox's consent page without a browser, the command
line in-process, pages in AppTest, and waiting on a condition."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests


def consent(authorization_url: str, *, account: str = "101", decision: str = "allow") -> str:
    """Answer the sandbox consent page as a user would; returns the redirect URL."""
    assert requests.get(authorization_url, timeout=5).status_code == 200
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
    parts = urlsplit(authorization_url)
    response = requests.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        data={"client_id": query["client_id"], "redirect_uri": query["redirect_uri"],
              "state": query.get("state", ""), "account": account, "decision": decision},
        allow_redirects=False, timeout=5,
    )
    assert response.status_code == 302
    return response.headers["Location"]


def callback_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll `predicate` until it is true, or fail naming what was awaited."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout} s for {what}")


def run(capsys, *argv) -> tuple[int, str, str]:
    """The command line in this process: (exit code, stdout, stderr)."""
    from copernica_core.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_csv(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


ROOT = Path(__file__).resolve().parent.parent


def app(page: str | None = None):
    """The dashboard in AppTest, on `page` (a file in pages/ without .py)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30)
    if page:
        at.switch_page(f"pages/{page}.py")
    return at


def texts(at) -> str:
    """Every text element of an AppTest run, joined."""
    parts = [e.value for kind in ("markdown", "success", "error", "warning", "info", "caption", "title",
                                  "subheader", "header") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts).replace("\u2060", "")  # text()'s word joiners: invisible


def cli_process(env: dict, *args: str, timeout: float = 60):
    """The command line as its own process, with `env` over this one's environment."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "copernica_core", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)


def start_cli(env: dict, *args: str, log: Path):
    """The command line started in the background, its output going to `log`."""
    import os
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "copernica_core", *args], cwd=ROOT,
                            env={**os.environ, **env}, stdout=log.open("w"), stderr=subprocess.STDOUT)


BROWSER = "the-clients-browser-0123456789"  # the value a link's page keeps in the client's cookie


def use_link(env, url: str, *, account: str, back_in: str = BROWSER):
    """What the client's browser does with a connect link: open it, go to Copernica's consent
    as `account`, come back (in the browser whose cookie holds `back_in`). The result, or why
    the link was refused."""
    from copernica_core import Actor
    from copernica_core.config import load_settings
    from copernica_core.doorstep import Doorstep

    from .conftest import make_workspace

    secret = parse_qs(urlsplit(url).query)["invite"][0]
    with Doorstep(load_settings(env, secrets_files=[])) as lookup:
        link = lookup.link(secret)
    if isinstance(link, str):
        return link
    client = make_workspace(env, actor=Actor.client_link(link.actor))
    try:
        redirect = consent(client.start_link_authorization(secret, browser=BROWSER), account=account)
        return client.complete_authorization(**callback_params(redirect), browser=back_in)
    finally:
        client.close()


def stored_bytes(settings) -> bytes:
    """Everything the database holds as an outsider could read it: the SQLite file (after a
    checkpoint), or PostgreSQL's `pg_dump` of the database. `settings`: Settings or an env."""
    import sqlite3
    import subprocess

    from copernica_core.config import load_settings
    from tests.pg_cluster import binaries

    if isinstance(settings, dict):
        settings = load_settings(settings, secrets_files=[])

    if settings.on_postgres:
        dump = subprocess.run([str(binaries() / "pg_dump"), "--dbname", settings.database_url.reveal()],
                              check=True, capture_output=True, timeout=60).stdout
        # (pg_dump marks each dump with a random `\restrict` key: not the database's contents)
        return b"\n".join(line for line in dump.split(b"\n") if not line.startswith((b"\\restrict", b"\\unrestrict")))
    conn = sqlite3.connect(settings.db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return Path(settings.db_path).read_bytes()
