"""Driving the sandbox's consent page without a browser, for core tests."""

from __future__ import annotations

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
