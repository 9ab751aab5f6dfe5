"""The service files in docs/deploy/ work as written: systemd accepts the units (with their
commands pointing at this checkout), each setting they name exists, the watcher unit's command
runs and stops cleanly on the unit's KillSignal, and the cron line for `health` is silent while
all is well and prints one line when it is not."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess

import pytest

from copernica_core.config import DEFAULTS

from .conftest import make_workspace
from .helpers import ROOT, wait_for

DEPLOY = ROOT / "docs" / "deploy"
UNITS = ["copernica-dashboard.service", "copernica-watch.service"]
INSTALLED_AT = "/opt/copernica-connections"
STATE = "/var/lib/copernica-connections"


def unit_text(name: str) -> str:
    return (DEPLOY / name).read_text()


def directives(text: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{key}=")]


@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_unit_as_written(name, tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: `make test` installs Debian's systemd package"
    unit = tmp_path / name  # the same unit, pointing at this checkout instead of /opt
    unit.write_text(unit_text(name).replace(INSTALLED_AT, str(ROOT)))
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and name not in verified.stderr, verified.stderr  # no unknown key either
    text = unit_text(name)
    assert directives(text, "Restart") == ["on-failure"] and directives(text, "ProtectSystem") == ["strict"]
    assert directives(text, "StateDirectory") == ["copernica-connections"]  # the one writable place
    for setting in directives(text, "Environment"):
        assert setting.split("=", 1)[0] in DEFAULTS, setting


def test_the_watcher_units_command_runs_and_stops_on_its_kill_signal(sandbox_env, control, tmp_path):
    text = unit_text("copernica-watch.service")
    [command] = directives(text, "ExecStart")
    env = {**os.environ, **dict(e.split("=", 1) for e in directives(text, "Environment")), **sandbox_env}
    ws = make_workspace(sandbox_env)
    ws.add_token(control.tokens("101")[0])
    ws.close()
    log = tmp_path / "watch.log"
    watcher = subprocess.Popen(command.replace(INSTALLED_AT, str(ROOT)).split(), cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "1 checked: 1 valid" in log.read_text(), 30, "the unit's watcher to run")
        assert "Watching every 15 min" in log.read_text()  # COPERNICA_WATCH_EVERY from the unit
    finally:
        [kill] = directives(text, "KillSignal")
        watcher.send_signal(getattr(signal, kill))
        assert watcher.wait(timeout=int(directives(text, "TimeoutStopSec")[0].rstrip("s"))) == 0


def test_the_cron_line_for_health_is_silent_while_healthy_and_says_what_is_wrong(sandbox_env, control, tmp_path):
    """With the key only in the units' root-only environment file (as they suggest), the cron
    line reads it: healthy is silent. Debian's cron reads /etc/cron.d files without a dot only."""
    from copernica_core.crypto import new_key

    assert not [p.name for p in DEPLOY.iterdir() if "cron" in p.read_text(errors="replace")[:200] and "." in p.name]
    text = (DEPLOY / "copernica-health").read_text()
    [line] = [x for x in text.splitlines() if re.match(r"^[*\d]", x)]
    user, command = line.split(None, 6)[5:]  # minute hour day month weekday user command
    assert user == "root" and "runuser -u copernica --" in command
    key = new_key().reveal()
    (tmp_path / "env").write_text(f"COPERNICA_SECRET_KEY={key}\n")  # the units' EnvironmentFile, root only
    (tmp_path / "env").chmod(0o600)
    command = (command.replace(INSTALLED_AT, str(ROOT)).replace("/etc/copernica-connections/env", str(tmp_path / "env"))
               .replace("runuser -u copernica", "runuser -u root"))  # (no user copernica here)
    db = sandbox_env["COPERNICA_DB"]
    assert f"COPERNICA_DB={STATE}/copernica.db" in text
    ws = make_workspace({**sandbox_env, "COPERNICA_SECRET_KEY": key})
    ws.add_token(control.tokens("101")[0])  # a secret the key must open
    ws.close()
    healthy = subprocess.run(["bash", "-c", command], env={**os.environ, "COPERNICA_DB": db},
                             capture_output=True, text=True, timeout=60)
    assert (healthy.returncode, healthy.stdout, healthy.stderr) == (0, "", "")  # cron mails nothing
    missing = subprocess.run(["bash", "-c", command], env={**os.environ, "COPERNICA_DB": str(tmp_path / "x.db")},
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and missing.stdout.startswith("unhealthy: there is no database")
    assert not (tmp_path / "x.db").exists()


def test_nginx_accepts_the_replicas_example_as_written(tmp_path):
    """docs/deploy/replicas.nginx.conf, included in an http block, passes `nginx -t` (its
    certificate paths and addresses replaced by ones that exist here)."""
    nginx = os.environ.get("NGINX", "/usr/sbin/nginx")
    assert os.path.exists(nginx), "nginx is missing: `make test` installs Debian's nginx"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    example = (DEPLOY / "replicas.nginx.conf").read_text()
    assert "ip_hash;" in example and "proxy_set_header Upgrade" in example
    site = (example.replace("/etc/ssl/certs/connections.example.com.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/ssl/private/connections.example.com.key", str(tmp_path / "key.pem"))
            .replace("/var/log/nginx/", f"{tmp_path}/").replace("listen 443 ssl", "listen 127.0.0.1:8443 ssl"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; "
        f"fastcgi_temp_path {tmp_path}; uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path}; "
        f"include {tmp_path}/site.conf; }}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("name", UNITS)
def test_the_units_are_hardened(name, tmp_path):
    """`systemd-analyze security` rates each unit as written below 2.0 ("OK"; an unhardened unit
    is 8.5 "EXPOSED"), offline, so no running systemd is needed."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: `make test` installs Debian's systemd package"
    unit = tmp_path / name
    unit.write_text(unit_text(name).replace(INSTALLED_AT, str(ROOT)))
    rated = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(unit)], capture_output=True,
                           text=True, timeout=60)
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", rated.stdout)
    assert score, rated.stdout[-2000:] + rated.stderr
    assert float(score.group(1)) < 2.0, rated.stdout[-3000:]
