"""Benchmark for the performance targets in the README. Prints its figures; the last line
is one JSON object.

    python bench/run.py [--connections 1000] [--checks 1000000] [--latency-ms 50] [--workers 4,16]
                        [--big 10000] [--engines sqlite,postgresql] [--sessions 20]

For each engine (SQLite, and PostgreSQL in a throw-away cluster of Debian's package, one after
the other in the same run, so that their figures compare) it seeds a temporary database, runs
the sandbox (a separate process) with the given latency per call, and measures: check-all
against the ideal (calls × latency ÷ workers) of `--connections` and of `--big` connections,
and a serial baseline, with the client's CPU per check (the cached-JWT run best of three); the
start-up CPU of the command line; the Overview query and the Overview page (AppTest, in a
process of its own, with its peak memory); one connection's history queries; the time from
`streamlit run` to the first page served; a large agency's Overview and Inspect in Chromium;
and what an open Overview's live refresh costs the dashboard's process with `--sessions`
Overviews open. PostgreSQL's figures carry the prefix `pg_`. Figures, not assertions: compare
ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copernica_core import store  # noqa: E402
from copernica_core.access import Actor, Role  # noqa: E402
from copernica_core.clock import iso  # noqa: E402
from copernica_core.config import load_settings  # noqa: E402
from copernica_core.models import Account, Outcome, Verdict  # noqa: E402
from copernica_core.overview import summarize  # noqa: E402
from copernica_core.secret import Secret  # noqa: E402
from copernica_core.store import immediate  # noqa: E402
from copernica_core.workspace import Workspace  # noqa: E402
from tests.pg_cluster import Cluster  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def sandbox_tokens(sandbox: str, count: int) -> list[tuple[str, str]]:
    """`count` sandbox accounts, each with a token: (account id, token)."""
    accounts = requests.post(f"{sandbox}/_sandbox/accounts", json={"count": count}, timeout=60).json()["accounts"]
    with requests.Session() as session:
        return [(a, session.post(f"{sandbox}/_sandbox/tokens", json={"account_id": a}, timeout=30).json()["tokens"][0])
                for a in accounts]


def seed_connections(ws: Workspace, accounts: list[tuple[str, str]]) -> list[int]:
    now = ws.clock()
    with immediate(ws.db):
        for account_id, token in accounts:
            store.save_connection(
                ws.db, ws.vault, application_id=None, account=Account(account_id, f"Client {account_id}"),
                token=Secret(token), label=None, result=Verdict(Outcome.VALID, "seeded"), new_jwt=None,
                now=now)
    return [r[0] for r in ws.db.execute("SELECT id FROM connections ORDER BY id")]


def seed_checks(ws: Workspace, ids: list[int], total: int) -> None:
    """`total` checks spread over the connections and the last 30 days, in one transaction."""
    now = datetime.now(UTC)
    per = total // len(ids)
    outcomes = ["valid"] * 18 + ["unavailable", "invalid_token"]

    def rows():
        for cid in ids:
            for n in range(per):
                yield (cid, iso(now - timedelta(minutes=43 * n + cid % 43)), random.choice(outcomes), 200, 51.0,
                       None, "")

    with immediate(ws.db):
        batch = []
        for row in rows():
            batch.append(row)
            if len(batch) == 10_000:
                ws.db.executemany("INSERT INTO checks (connection_id, checked_at, outcome, http_status, latency_ms, "
                                  "account_seen, detail) VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
                batch = []
        if batch:
            ws.db.executemany("INSERT INTO checks (connection_id, checked_at, outcome, http_status, latency_ms, "
                              "account_seen, detail) VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
    ws.db.execute("ANALYZE")


def overview_in_child(env: dict[str, str]) -> dict:
    """Run the Overview page once with AppTest in a fresh process; its time and peak memory."""
    code = (
        "import json, resource, time\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('dashboard.py', default_timeout=120)\n"
        "start = time.perf_counter(); at.run(); first = time.perf_counter() - start\n"
        "start = time.perf_counter(); at.run(); again = time.perf_counter() - start\n"
        "assert not at.exception, at.exception\n"
        "rows = len(at.dataframe[-1].value)\n"
        "print(json.dumps({'first_run_s': first, 'rerun_s': again, 'rows': rows,\n"
        "  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup_cpu_seconds(env: dict[str, str], runs: int = 5) -> float:
    """CPU (user and system) of one `python -m copernica_core connections --json`, best of `runs`."""
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "copernica_core", "connections", "--json"], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(times)


def first_page_seconds(env: dict[str, str]) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.headless", "true"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://localhost:{port}/")
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)


def seed_fleet(ws: Workspace, count: int, checks: int) -> None:
    """`count` connections in every status (tokens that are never sent anywhere) and `checks`
    checks spread over them, straight into the database."""
    now = ws.clock()
    statuses = list(Outcome)
    with immediate(ws.db):
        for n in range(count):
            status = statuses[n % len(statuses)] if n % 10 == 0 else Outcome.VALID
            store.save_connection(
                ws.db, ws.vault, application_id=None, account=Account(str(10_000 + n), f"Account {n}"),
                token=Secret(f"fleet-token-{n:06d}-0123456789"), label=None, client=f"Client {n % 200}",
                result=Verdict(status, "seeded"), new_jwt=None, now=now)
    ids = [r[0] for r in ws.db.execute("SELECT id FROM connections ORDER BY id")]
    seed_checks(ws, ids, max(0, checks - count))


@contextlib.contextmanager
def dashboard_in_chromium(env: dict[str, str]):
    """A `streamlit run` on these settings and a headless Chromium: (port, browser, process)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.headless", "true"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://localhost:{port}/_stcore/health")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"])
            yield port, browser, process
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def overview_in_browser(env: dict[str, str], connections: int) -> tuple[float, float, float]:
    """Seconds to the Overview's table being shown in Chromium (best of 3): from a fresh page
    load (the app's own start included), and from the sidebar link on another page; and to
    Inspect's explanation of one connection, opened from the Overview's first alert."""
    from playwright.sync_api import expect

    with dashboard_in_chromium(env) as (port, browser, _):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        shown = page.get_by_text(re.compile(rf"of {connections}( connections|\)) shown"))
        loads, navigations, inspects = [], [], []
        for _ in range(3):
            started = time.perf_counter()
            page.goto(f"http://localhost:{port}/")
            expect(shown).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stDataFrame").last).to_be_visible(timeout=60_000)
            loads.append(time.perf_counter() - started)
            page.get_by_role("link", name="Alerts").click()
            expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible(timeout=60_000)
            started = time.perf_counter()
            page.get_by_role("link", name="Overview").click()
            expect(shown).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stDataFrame").last).to_be_visible(timeout=60_000)
            navigations.append(time.perf_counter() - started)
            started = time.perf_counter()  # as a person does: the first alert's link
            page.locator('[data-testid="stPageLink"] a[href*="inspect?connection="]').first.click()
            expect(page.get_by_role("heading", name="History", exact=True)).to_be_visible(timeout=60_000)
            inspects.append(time.perf_counter() - started)
    return min(loads), min(navigations), min(inspects)


def live_refresh_cost(env: dict[str, str], sessions: int, seconds: float = 30) -> tuple[float, float]:
    """CPU seconds per second of the dashboard's process with `sessions` Overviews open in
    Chromium (each refreshing every COPERNICA_LIVE_EVERY), and with none open: what the live
    refresh costs. PostgreSQL's own processes are not counted (they are the database's)."""
    from playwright.sync_api import expect

    def cpu() -> float:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rate() -> float:
        before, started = cpu(), time.perf_counter()
        time.sleep(seconds)
        return (cpu() - before) / (time.perf_counter() - started)

    with dashboard_in_chromium(env) as (port, browser, process):
        idle = rate()
        for _ in range(sessions):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://localhost:{port}/", timeout=120_000)
            expect(page.get_by_test_id("stDataFrame").last).to_be_visible(timeout=120_000)
        busy = rate()
    return idle, busy


def large_fleet(args: argparse.Namespace, figures: dict, make_env, prefix: str) -> None:
    """The Overview of a large agency: `--fleet` connections and `--fleet-checks` checks."""
    env = make_env("fleet")
    ws = Workspace(load_settings(env, secrets_files=[]), actor=Actor("bench", Role.COMMAND_LINE))
    started = time.perf_counter()
    seed_fleet(ws, args.fleet, args.fleet_checks)
    print(f"{prefix}fleet: seeded {args.fleet} connections and {args.fleet_checks} checks in "
          f"{time.perf_counter() - started:.1f} s")
    query = best_of(3, lambda: summarize(ws.connections()))
    ws.snapshot()
    cached = best_of(3, lambda: ws.snapshot().summary)
    ws.close()
    page = overview_in_child(env)
    load, navigation, inspect = overview_in_browser(env, args.fleet)
    small_env = make_env("small")  # the same page with 20: Streamlit's own share
    small = Workspace(load_settings(small_env, secrets_files=[]), actor=Actor("bench", Role.COMMAND_LINE))
    seed_fleet(small, 20, 60)
    small.close()
    small_load, small_navigation, small_inspect = overview_in_browser(small_env, 20)
    figures.update({f"{prefix}{name}": value for name, value in dict(
        fleet=args.fleet, fleet_checks=args.fleet_checks, fleet_overview_query_ms=round(query * 1000, 1),
        fleet_overview_cached_ms=round(cached * 1000, 2),
        small_overview_browser_load_s=round(small_load, 2),
        small_overview_browser_navigation_s=round(small_navigation, 2),
        fleet_overview_page_s=round(page["rerun_s"], 3), fleet_overview_browser_load_s=round(load, 2),
        fleet_overview_browser_navigation_s=round(navigation, 2),
        fleet_overview_peak_rss_mb=round(page["peak_rss_mb"], 1),
        fleet_inspect_browser_s=round(inspect, 2), small_inspect_browser_s=round(small_inspect, 2)).items()})
    print(f"{prefix}fleet overview: queries {query * 1000:.0f} ms when anything changed, {cached * 1000:.1f} ms when "
          f"nothing did; page (AppTest, warm) {page['rerun_s']:.3f} s; in "
          f"Chromium, table shown {navigation:.2f} s after the sidebar link, {load:.2f} s after a fresh page "
          f"load (the app's own start included); peak RSS {page['peak_rss_mb']:.0f} MB; the same page with 20 "
          f"connections: {small_navigation:.2f} s and {small_load:.2f} s")
    print(f"{prefix}fleet inspect: one connection shown {inspect:.2f} s after its alert's link was clicked (with 20 "
          f"connections: {small_inspect:.2f} s)")
    if args.sessions:
        every = 15  # COPERNICA_LIVE_EVERY's default
        idle, busy = live_refresh_cost({**env, "COPERNICA_LIVE_EVERY": f"{every}s"}, args.sessions, seconds=45)
        per_refresh = (busy - idle) / (args.sessions / every) * 1000
        figures.update({f"{prefix}live_idle_cpu_per_s": round(idle, 3), f"{prefix}live_{args.sessions}_cpu_per_s":
                        round(busy, 3), f"{prefix}live_refresh_cpu_ms": round(per_refresh, 1)})
        print(f"{prefix}live Overview at {args.fleet} connections: the dashboard's process used {idle:.2f} CPU s/s "
              f"with no page open, {busy:.2f} with {args.sessions} Overviews refreshing every {every} s: "
              f"{per_refresh:.1f} ms of CPU per refresh")


def check_all(ws: Workspace, args, figures: dict, calls, prefix: str, workers: int, size: str = "",
              cached_runs: int = 3) -> None:
    """Check-all at `workers`, first with no cached JWTs, then with (best of `cached_runs`)."""
    ws.db.execute("UPDATE connections SET jwt_enc = NULL, jwt_expires_at = NULL")
    for label, runs in ((f"{prefix}check_all{size}_w{workers}", 1),
                        (f"{prefix}check_all{size}_cached_jwt_w{workers}", cached_runs)):
        measured = []  # (wall, CPU, calls, results): the cached run is the usual one, best of three
        for _ in range(runs):
            before = calls()
            started, cpu_started = time.perf_counter(), time.process_time()
            results = ws.check(concurrency=workers)
            measured.append((time.perf_counter() - started, time.process_time() - cpu_started,
                             calls() - before, results))
        elapsed, _, made, results = min(measured, key=lambda m: m[0])
        cpu = min(m[1] for m in measured)
        ideal = made * args.latency_ms / 1000 / workers
        valid = sum(r.result.outcome is Outcome.VALID for r in results)
        cpu_ms = cpu * 1000 / len(results)  # this process only: the sandbox runs in its own
        figures.update({f"{label}_s": round(elapsed, 2), f"{label}_calls": made,
                        f"{label}_ideal_s": round(ideal, 2), f"{label}_ratio": round(elapsed / ideal, 3),
                        f"{label}_cpu_ms_per_check": round(cpu_ms, 2)})
        print(f"{label}: {len(results)} connections ({valid} valid), {made} calls in {elapsed:.2f} s; "
              f"ideal {ideal:.2f} s; ratio {elapsed / ideal:.3f}; client CPU {cpu_ms:.2f} ms per check")


def measure(engine: str, args, figures: dict, base_env: dict, make_env, sandbox: str, accounts, big_accounts) -> None:
    prefix = "" if engine == "sqlite" else "pg_"
    env = {**base_env, **make_env("bench")}
    ws = Workspace(load_settings(env, secrets_files=[]), actor=Actor("bench", Role.COMMAND_LINE))
    ids = seed_connections(ws, accounts)
    print(f"{engine}: seeded {len(ids)} connections")

    def calls() -> int:
        return sum(requests.get(f"{sandbox}/_sandbox/stats", timeout=5).json()["calls"].values())

    sample = ids[: args.serial_sample]
    before = calls()
    started = time.perf_counter()
    ws.check(sample, concurrency=1)
    serial = time.perf_counter() - started
    serial_calls = calls() - before
    per_connection = serial / len(sample)
    figures.update({f"{prefix}serial_sample": len(sample), f"{prefix}serial_s": round(serial, 2),
                    f"{prefix}serial_estimate_all_s": round(per_connection * len(ids), 1),
                    f"{prefix}serial_ideal_ratio": round(serial / (serial_calls * args.latency_ms / 1000), 3)})
    print(f"{prefix}serial: {len(sample)} connections, {serial_calls} calls in {serial:.2f} s "
          f"(all {len(ids)}: about {per_connection * len(ids):.0f} s)")
    for workers in args.workers:
        check_all(ws, args, figures, calls, prefix, workers)

    started = time.perf_counter()
    seed_checks(ws, ids, args.checks)
    total = ws.db.execute("SELECT count(*) FROM checks").fetchone()[0]
    print(f"{prefix}seeded checks: {total} rows in {time.perf_counter() - started:.1f} s")
    figures[f"{prefix}stored_checks"] = total

    overview_query = best_of(3, lambda: summarize(ws.connections()))
    figures[f"{prefix}overview_query_ms"] = round(overview_query * 1000, 1)
    print(f"{prefix}overview query: {overview_query * 1000:.1f} ms")
    one = ids[len(ids) // 2]

    def history_page() -> None:
        since = ws.clock() - timedelta(days=7)
        ws.history(one, since=since, limit=50)
        ws.history_count(one, since=since)
        ws.uptime(one, days=7)
        ws.uptime(one, days=30)
        ws.daily_outcomes(one, days=7)

    history = best_of(3, history_page)
    figures[f"{prefix}history_queries_ms"] = round(history * 1000, 1)
    print(f"{prefix}one connection's history queries: {history * 1000:.1f} ms")
    ws.close()

    if big_accounts:
        big_env = {**base_env, **make_env("big")}
        big = Workspace(load_settings(big_env, secrets_files=[]), actor=Actor("bench", Role.COMMAND_LINE))
        seed_connections(big, big_accounts)
        check_all(big, args, figures, calls, prefix, max(args.workers), size=f"_{len(big_accounts)}", cached_runs=1)
        big.close()

    page = overview_in_child(env)
    figures.update({f"{prefix}overview_page_s": round(page["rerun_s"], 3),
                    f"{prefix}overview_page_cold_first_run_s": round(page["first_run_s"], 3),
                    f"{prefix}overview_peak_rss_mb": round(page["peak_rss_mb"], 1)})
    print(f"{prefix}overview page (AppTest): render {page['rerun_s']:.3f} s in a warm process; the cold first run "
          f"took {page['first_run_s']:.3f} s, mostly AppTest's own start-up; {page['rows']} rows; "
          f"peak RSS {page['peak_rss_mb']:.0f} MB")

    startup = startup_cpu_seconds(env)
    figures[f"{prefix}cli_connections_json_cpu_s"] = round(startup, 3)
    print(f"{prefix}python -m copernica_core connections --json ({len(ids)} connections): {startup:.2f} s of CPU "
          "(best of 5)")

    first_page = first_page_seconds(env)
    figures[f"{prefix}first_page_s"] = round(first_page, 2)
    print(f"{prefix}streamlit run → first page served: {first_page:.2f} s")
    large_fleet(args, figures, lambda name: {**base_env, **make_env(name)}, prefix)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--workers", type=lambda text: [int(n) for n in text.split(",")], default=[4, 16],
                        help="comma-separated worker counts to measure check-all with (default 4,16)")
    parser.add_argument("--serial-sample", type=int, default=50)
    parser.add_argument("--big", type=int, default=10_000, help="connections of the large check-all (0: none)")
    parser.add_argument("--fleet", type=int, default=10_000, help="connections of the large-agency Overview")
    parser.add_argument("--fleet-checks", type=int, default=30_000)
    parser.add_argument("--sessions", type=int, default=20, help="open Overviews for the live refresh's cost")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--only-fleet", action="store_true", help="measure only the large agency's pages")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    figures: dict[str, object] = {"connections": args.connections, "checks": args.checks,
                                  "latency_ms": args.latency_ms, "workers": args.workers, "engines": engines}

    workdir = Path(tempfile.mkdtemp(prefix="copernica-bench-"))
    cluster = Cluster() if "postgresql" in engines else None
    port = free_port()
    sandbox = f"http://127.0.0.1:{port}"
    sandbox_process = subprocess.Popen(
        [sys.executable, "-m", "copernica_core", "sandbox", "--port", str(port), "--latency-ms",
         str(args.latency_ms)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(sandbox)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("COPERNICA_")}
        base_env.update({"COPERNICA_API_URL": sandbox, "COPERNICA_AUTH_URL": f"{sandbox}/authenticate",
                         "COPERNICA_AUTHORIZE_URL": f"{sandbox}/en/authorize"})
        accounts = [] if args.only_fleet else sandbox_tokens(sandbox, args.connections)
        big_accounts = sandbox_tokens(sandbox, args.big) if args.big and not args.only_fleet else []
        for engine in engines:
            def make_env(name: str, engine: str = engine) -> dict[str, str]:
                folder = workdir / engine / name
                if engine == "sqlite":
                    return {"COPERNICA_DB": str(folder / "copernica.db")}
                return {"COPERNICA_DB": str(folder / "unused.db"),  # (its folder holds the key file)
                        "COPERNICA_DATABASE_URL": cluster.create(f"{name}")}
            if args.only_fleet:
                large_fleet(args, figures, lambda name, make_env=make_env: {**base_env, **make_env(name)},
                            "" if engine == "sqlite" else "pg_")
            else:
                measure(engine, args, figures, base_env, make_env, sandbox, accounts, big_accounts)
    finally:
        sandbox_process.terminate()
        sandbox_process.wait(timeout=10)
        if cluster is not None:
            cluster.destroy()
    figures["peak_rss_bench_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
