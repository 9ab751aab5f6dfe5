"""Two dashboards on one PostgreSQL database, as two replicas behind a load balancer: the
authorization started on one completes on the other (where Copernica's redirect lands), a check
run elsewhere shows on the other's open Overview, and a restart of PostgreSQL is said on the page
in one line and then forgotten: the page goes on by itself."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from copernica_core.crypto import new_key

from ..conftest import free_port
from ..pg_cluster import Cluster
from .conftest import ROOT, add_demo_application, alert, run_dashboard, shoot

pytestmark = pytest.mark.e2e


def metric(page, name: str):
    return page.get_by_test_id("stMetric").filter(has_text=name)


@pytest.fixture
def cluster():
    cluster = Cluster()
    yield cluster
    cluster.destroy()


def test_two_replicas_share_authorizations_checks_and_a_restart(page, browser, tmp_path, sandbox, cluster):
    url = cluster.create("replicas")
    for host in ("first-host", "second-host"):
        (tmp_path / host).mkdir()
    second_port = free_port()
    shared = {"COPERNICA_DATABASE_URL": url, "COPERNICA_SECRET_KEY": new_key().reveal(),
              "COPERNICA_REDIRECT_URI": f"http://localhost:{second_port}/authorize",  # where the balancer sends it
              "COPERNICA_LIVE_EVERY": "1s"}
    with run_dashboard(tmp_path / "first-host", sandbox, env=shared) as first, \
            run_dashboard(tmp_path / "second-host", sandbox, env=shared, port=second_port) as second:
        add_demo_application(page, first)
        page.goto(f"{first.url}/authorize")
        page.get_by_text("Authorize with Copernica").click()
        page.get_by_label("Bloom Florists").check()
        page.get_by_role("button", name="Give access").click()
        page.wait_for_url(f"{second.url}/authorize**")  # Copernica's redirect reached the other replica
        expect(alert(page, "Bloom Florists” (id 102, Bloom & Co) is connected")).to_be_visible()
        expect(page).to_have_url(re.compile(rf"^{second.url}/authorize\?connected=\d+$"))
        shoot(page, "replica-completed-the-authorization")

        overview = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        overview.goto(f"{second.url}/")
        expect(metric(overview, "Need a person")).to_contain_text("0")
        second.control("revoke", account_id="102")
        checked = subprocess.run([sys.executable, "-m", "copernica_core", "check"], cwd=ROOT, env=first.env,
                                 capture_output=True, text=True, timeout=60)  # from the first host
        assert checked.returncode == 1, checked.stderr
        expect(metric(overview, "Need a person")).to_contain_text("1")  # within the live interval
        expect(overview.get_by_role("link", name=re.compile("^Bloom Florists"))).to_be_visible()

        cluster.stop()
        expect(alert(overview, "does not answer")).to_be_visible(timeout=30_000)
        shoot(overview, "replica-while-postgresql-is-down")
        assert "5432" not in overview.content() and shared["COPERNICA_SECRET_KEY"] not in overview.content()
        cluster.start()
        expect(metric(overview, "Need a person")).to_contain_text("1", timeout=30_000)  # by itself, no reload
        expect(alert(overview, "does not answer")).to_have_count(0)
        overview.context.close()
    assert not (tmp_path / "first-host" / "data" / "copernica.db").exists()  # nothing written to SQLite
    assert not (tmp_path / "second-host" / "data" / "copernica.db").exists()
