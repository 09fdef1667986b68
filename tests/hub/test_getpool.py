"""The lean GET pool: kept-alive connections, stale ones replaced, credentials kept to their origin."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from hfsync.hub import trace
from hfsync.hub.getpool import GetPool


class Counting(ThreadingHTTPServer):
    daemon_threads = True
    drop_after_response = False  # behave like a server whose idle timeout just fired

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        body = self.path.encode() * 1000
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("X-Linked-Etag", '"abc"')
            self.end_headers()
            for piece in (body[:700], body[700:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(200)
        if self.path == "/close":
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.server.drop_after_response:  # type: ignore[attr-defined]
            self.close_connection = True  # closed without saying so in a header

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Counting]:
    httpd = Counting()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def body(pool: GetPool, url: str, headers: dict[str, str] | None = None) -> bytes:
    with pool.get(url, headers or {}) as reply:
        assert reply.status == 200
        return b"".join(reply.chunks(4096))


def fetch_each(server: Counting, count: int) -> None:
    """GET /f0 ... one after the other through one pool, checking every body."""
    pool = GetPool()
    try:
        for i in range(count):
            assert body(pool, f"{server.url}/f{i}") == f"/f{i}".encode() * 1000
    finally:
        pool.close()


def test_sequential_gets_share_one_connection(server):
    fetch_each(server, 5)
    assert server.connections == 1
    assert server.paths == [f"/f{i}" for i in range(5)]


def test_a_connection_closed_while_idle_is_replaced_without_a_failure(server):
    server.drop_after_response = True
    fetch_each(server, 3)
    assert server.paths == ["/f0", "/f1", "/f2"]  # each asked once
    assert server.connections == 3


def test_a_body_left_unread_closes_its_connection(server):
    pool = GetPool()
    try:
        with pool.get(f"{server.url}/a", {}) as reply:
            next(reply.chunks(10))
        assert body(pool, f"{server.url}/b") == b"/b" * 1000
    finally:
        pool.close()
    assert server.connections == 2  # unread bytes never leak into the next response


def test_credentials_are_not_sent_to_another_origin(httpserver):
    cdn = HTTPServer(host="127.0.0.1", port=0)
    cdn.start()
    seen: dict[str, str | None] = {}

    def on_cdn(request: Request) -> Response:
        seen["cdn"] = request.headers.get("Authorization")
        seen["range"] = request.headers.get("Range")
        return Response(b"payload")

    def on_hub(request: Request) -> Response:
        seen["hub"] = request.headers.get("Authorization")
        return Response(b"", status=302, headers={"Location": cdn.url_for("/blob?sig=1")})

    try:
        cdn.expect_request("/blob").respond_with_handler(on_cdn)
        httpserver.expect_request("/resolve/x").respond_with_handler(on_hub)
        pool = GetPool()
        with pool.get(httpserver.url_for("/resolve/x"), {"Authorization": "Bearer hf_secret", "Range": "bytes=0-"}) \
                as reply:
            assert (reply.status, reply.read()) == (200, b"payload")
        pool.close()
    finally:
        cdn.stop()
    assert seen == {"hub": "Bearer hf_secret", "cdn": None, "range": "bytes=0-"}


def test_each_request_is_traced(server, tmp_path):
    trace.start(tmp_path / "trace.jsonl")
    pool = GetPool()
    try:
        body(pool, f"{server.url}/f0")
    finally:
        pool.close()
        trace.stop()
    [line] = [json.loads(x) for x in (tmp_path / "trace.jsonl").read_text().splitlines()]
    assert (line["method"], line["path"], line["status"], line["bytes_in"]) == ("GET", "/f0", 200, 3000)


def test_chunked_bodies_and_connection_close_are_honoured(server):
    pool = GetPool()
    try:
        with pool.get(f"{server.url}/chunked", {}) as reply:
            assert reply.headers.get("x-linked-etag") == reply.headers["X-Linked-ETag"] == '"abc"'
            assert "TRANSFER-ENCODING" in reply.headers
            assert b"".join(reply.chunks(100)) == b"/chunked" * 1000
        assert body(pool, f"{server.url}/after-chunked") == b"/after-chunked" * 1000
        assert server.connections == 1  # a chunked body read to its end leaves the connection reusable
        assert body(pool, f"{server.url}/close") == b"/close" * 1000
        assert body(pool, f"{server.url}/next") == b"/next" * 1000
    finally:
        pool.close()
    assert server.connections == 2  # "Connection: close" was not reused
