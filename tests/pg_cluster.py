"""A throw-away PostgreSQL cluster from Debian's `postgresql` package (`make test` installs it):
initdb into a temporary directory, started by pg_ctl on a free loopback port, as the `postgres`
user when the tests run as root (PostgreSQL refuses to run as root). One cluster per test run
(tests/conftest.py); each test that wants PostgreSQL gets a database of its own in it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory (/usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running cluster; `url(name)` is a database's URL, `create(name)` makes one."""

    @classmethod
    def attach(cls, info: dict) -> Cluster:
        """A cluster another process started (`info`: its `as_info()`)."""
        cluster = cls.__new__(cls)
        cluster.bin, cluster.dir, cluster.port = Path(info["bin"]), Path(info["dir"]), info["port"]
        cluster.data, cluster._as_postgres = cluster.dir / "data", os.geteuid() == 0
        return cluster

    def as_info(self) -> dict:
        return {"bin": str(self.bin), "dir": str(self.dir), "port": self.port}

    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (/usr/lib/postgresql/*/bin): `make test` installs "
                               "Debian's postgresql package.")
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="copernica-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400 "
                   "-c shared_buffers=64MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, name: str, *, user: str = "postgres", password: str = "") -> str:
        who = f"{user}:{password}" if password else user
        return f"postgresql://{who}@127.0.0.1:{self.port}/{name}"

    def sql(self, statement: str, *, database: str = "postgres") -> str:
        return self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                         "-At", "-v", "ON_ERROR_STOP=1", "-c", statement).stdout

    def create(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def dump(self, name: str) -> str:
        return self._run("pg_dump", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name).stdout

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def _run_file(run: int) -> Path:
    return Path(tempfile.gettempdir()) / f"copernica-pg-run-{run}.json"


def shared(run: int) -> Cluster:
    """The one cluster of test run `run` (the pytest-xdist controller's pid): started by the first
    worker that needs it, under a lock, and used by every other (one initdb per run, not per
    worker); `stop_shared` ends it when the run does."""
    import fcntl
    import json

    with open(_run_file(run).with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _run_file(run).exists():
            return Cluster.attach(json.loads(_run_file(run).read_text()))
        cluster = Cluster()
        _run_file(run).write_text(json.dumps(cluster.as_info()))
        return cluster


def stop_shared(run: int) -> None:
    import json

    if _run_file(run).exists():
        Cluster.attach(json.loads(_run_file(run).read_text())).destroy()
        _run_file(run).unlink(missing_ok=True)
    _run_file(run).with_suffix(".lock").unlink(missing_ok=True)
