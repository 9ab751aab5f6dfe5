"""The HTTP client's direct path (straight through urllib3, for CPU): it sends what requests
would send and reads answers the same way; a proxy in the environment and a test double of
requests' transport are honoured by going through requests instead."""

from __future__ import annotations

import gzip
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses

from copernica_core.api import new_http_session, prepare_session, send

from .receivers import OutsideRecorder


@pytest.fixture
def echo():
    """A server that records each request (line, headers, body) and answers gzip'd UTF-8 JSON
    with a Retry-After and a Location."""
    seen: list[tuple[str, dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((f"{self.command} {self.path}", {k.lower(): v for k, v in self.headers.items()
                                                         if k.lower() != "host"}, body))
            payload = gzip.compress('{"error": {"message": "Caf\u00e9 closed"}}'.encode())
            self.send_response(429)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Retry-After", "7")
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_the_direct_path_sends_and_reads_what_requests_does(echo):
    url, seen = echo
    direct, plain = new_http_session(), prepare_session(requests.Session())
    assert direct.direct("GET", f"{url}/", timeout=5) is not None  # no proxy, no test double: the direct path
    for method, kwargs in [("POST", {"data": {"access_token": "tok en&=1"}}),
                           ("GET", {"params": {"access_token": "a b"}, "headers": {"Authorization": "Bearer x"}})]:
        through = [send(session, method, f"{url}/v4/identity?x=1", timeout=5, **kwargs) for session in (direct, plain)]
        assert replace(through[0], latency_ms=0) == replace(through[1], latency_ms=0)
        assert through[0].status == 429 and through[0].retry_after == 7 and "Café" in through[0].text
        assert seen[-2] == seen[-1]  # the same request line, headers and body
    assert seen[1][0] == "POST /v4/identity?x=1" and seen[1][2] == b"access_token=tok+en%26%3D1"
    assert seen[3][0] == "GET /v4/identity?x=1&access_token=a+b"


def test_a_proxy_in_the_environment_is_used_as_requests_would(monkeypatch):
    recorder = OutsideRecorder()
    try:
        for name, value in recorder.env().items():
            monkeypatch.setenv(name, value)
        answer = send(new_http_session(), "GET", "http://copernica.example/v4/identity", timeout=5)
        assert answer.status == 502 and recorder.requests == ["GET http://copernica.example/v4/identity"]
    finally:
        recorder.stop()


@pytest.mark.usefixtures("copernica_double")
def test_with_requests_transport_chosen_a_test_double_answers_and_the_direct_path_stands_aside():
    responses.get("https://api.copernica.com/v4/identity", json={"id": "1"}, status=200)
    session = new_http_session()
    assert session.direct("GET", "https://api.copernica.com/v4/identity", timeout=5) is None
    assert send(session, "GET", "https://api.copernica.com/v4/identity", timeout=5).status == 200
