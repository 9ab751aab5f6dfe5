"""The README's deployment, tried with Debian's nginx in front of the dashboard: a remote
visitor's browser (Chromium resolving the public name to loopback), a real OpenID Connect
provider and the sandbox Copernica (and, as for every dashboard the tests start, a recorder that
fails the test if the dashboard reaches outside this machine)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from copernica_core.sandbox import DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET

from ..conftest import free_port, make_workspace
from .conftest import (
    ADMIN,
    PUBLIC_HOST,
    README_PROXY_HEADERS,
    alert,
    auth_secrets,
    nginx,
    run_dashboard,
    shoot,
    sign_in,
)

pytestmark = pytest.mark.e2e


def test_behind_nginx_with_its_default_host_a_remote_visitor_is_refused_without_sign_in(
        tmp_path, sandbox, remote_browser):
    """nginx's default `Host` is the upstream's own loopback address; with the public origin
    allowed for WebSockets, a dashboard that trusted Host served every remote visitor as admin.
    And Streamlit, meeting an origin that is not its Host, asked an outside service for this
    machine's address at every connection: `browser.serverAddress` (the README's deployment
    setting) names the public origin, so it has no reason to."""
    make_workspace({"COPERNICA_DB": str(tmp_path / "data" / "copernica.db")}).save_application(
        label="Secret agency app", client_key="ck-hidden", client_secret="cs-hidden-secret")
    upstream = free_port()
    with nginx(tmp_path, upstream=upstream) as port:
        public = f"http://{PUBLIC_HOST}:{port}"
        args = ("--server.corsAllowedOrigins", public, "--browser.serverAddress", PUBLIC_HOST)
        with run_dashboard(tmp_path, sandbox, args=args, port=upstream):
            page = remote_browser.new_page()
            try:
                for path in ("", "credentials", "", "inspect"):
                    page.goto(f"{public}/{path}")
                    expect(page.get_by_role("heading", name="This dashboard answers only on this machine")) \
                        .to_be_visible()
                    assert "Secret agency app" not in page.content()
                expect(page.get_by_role("link", name="Credentials")).to_have_count(0)
                shoot(page, "deployment-default-host-refused")
            finally:
                page.close()


@pytest.mark.parametrize("base", ["", "/connections"])
def test_the_readme_deployment_signs_in_and_connects_an_account_through_nginx(
        tmp_path, sandbox, oidc, remote_browser, base):
    """At `/` and under a sub-path (server.baseUrlPath): sign in at the provider, authorize a
    Copernica account with the public redirect URI, and come back connected."""
    upstream = free_port()
    with nginx(tmp_path, upstream=upstream, path=f"{base}/", headers=README_PROXY_HEADERS) as port:
        public = f"http://{PUBLIC_HOST}:{port}{base}"
        secrets = auth_secrets(tmp_path / "secrets.toml", oidc, redirect_uri=f"{public}/oauth2callback")
        env = {"COPERNICA_ADMINS": ADMIN, "COPERNICA_REDIRECT_URI": f"{public}/authorize",
               "COPERNICA_PUBLIC_URL": public}
        args = ("--secrets.files", str(secrets),
                "--server.allowedHosts", "localhost", "--server.allowedHosts", PUBLIC_HOST,
                "--browser.serverAddress", PUBLIC_HOST,
                *(("--server.baseUrlPath", base.strip("/")) if base else ()))
        with run_dashboard(tmp_path, sandbox, env=env, args=args, port=upstream, base=base) as dashboard:
            make_workspace(dashboard.env).save_application(
                label="Agency app", client_key=DEMO_CLIENT_KEY, client_secret=DEMO_CLIENT_SECRET)
            page = remote_browser.new_page()
            try:
                sign_in(page, f"{public}/", "ann")
                page.goto(f"{public}/authorize")
                page.get_by_role("button", name="Authorize with Copernica").click()
                page.get_by_label("Bloom Florists").check()
                page.get_by_role("button", name="Give access").click()
                expect(alert(page, "“Bloom Florists” (id 102, Bloom & Co) is connected")).to_be_visible()
                assert page.url.startswith(f"{public}/authorize")
                shoot(page, f"deployment-nginx{base.replace('/', '-') or '-root'}")
            finally:
                page.close()
            [connection] = make_workspace(dashboard.env).connections()
            assert connection.account.id == "102"
    logged = (tmp_path / "nginx" / "access.log").read_text()
    assert f"GET {base}/authorize HTTP/1.1" in logged  # Copernica's redirect came through nginx, logged
    assert "code=" not in logged and "state=" not in logged and "?" not in logged
