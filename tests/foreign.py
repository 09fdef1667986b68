"""Foreign hosts for credential tests: HTTP servers on 127.0.0.1 that record every request
they receive and answer as the test says, started and stopped through their own handle.

``Host`` is a second host (reached as ``localhost:PORT``, so that the host name differs
from 127.0.0.1 too); ``credentials`` lists each form a secret may travel in, and
``leaks`` finds any of them in what a host received (headers, target, body). ``forward``
makes a Host a plain HTTP forward proxy (absolute-URI requests, any method), recording
what passes through it.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Seen:
    """One request as the host received it."""

    method: str
    target: str  # the request line's target: a path, or an absolute URI (a proxy's)
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        """A header's value, whatever case the client wrote its name in."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


Answer = tuple[int, dict[str, str], bytes]
Respond = Callable[[Seen], Answer]


def _nothing(seen: Seen) -> Answer:
    return 404, {}, b""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(data)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _any(self) -> None:
        seen = Seen(self.command, self.path, dict(self.headers.items()), self._body())
        self.server.host.seen.append(seen)
        self.server.host.serve(self, seen)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    host: Host


@dataclass
class Host:
    """An HTTP server on 127.0.0.1; ``respond(seen)`` gives (status, headers, body)."""

    respond: Respond = _nothing
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.host = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Its address by name: another origin than ``ip_url`` for the same server."""
        return f"http://localhost:{self.port}"

    @property
    def ip_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        status, headers, body = self.respond(seen)
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if "Content-Length" not in headers:  # a HEAD's is the size of what a GET would send
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if seen.method != "HEAD":
            handler.wfile.write(body)

    def __enter__(self) -> Host:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def credentials(*secrets: str, basic: tuple[str, str] | None = None) -> list[str]:
    """Every form ``secrets`` (and a Basic ``user, password`` pair) may travel in."""
    forms = [s for s in secrets if s]
    if basic is not None:
        pair = f"{basic[0]}:{basic[1]}".encode()
        forms += [basic[1], base64.b64encode(pair).decode(), base64.urlsafe_b64encode(pair).decode()]
    for secret in list(forms):
        forms.append(base64.b64encode(secret.encode()).decode().rstrip("="))
    return forms


def leaks(seen: Iterable[Seen], secrets: Iterable[str]) -> list[str]:
    """``METHOD target: where`` for each request carrying any of ``secrets`` anywhere."""
    found = []
    secrets = list(secrets)
    for request in seen:
        places = {"target": request.target, "body": request.body.decode("latin-1"),
                  **{f"header {k}": v for k, v in request.headers.items()}}
        found += [f"{request.method} {request.target}: {where}" for where, text in places.items()
                  if any(secret in text for secret in secrets)]
    return found


# Hop-by-hop headers (RFC 9110 7.6.1), and the proxy's own: never passed on.
_HOP = frozenset({"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
                  "transfer-encoding", "upgrade", "content-length"})


def forward(seen: Seen) -> Answer:
    """Pass an absolute-URI request on to its origin and bring the whole answer back."""
    target = urlsplit(seen.target)
    if target.scheme != "http" or not target.hostname:
        return 400, {}, b"not an absolute http URI: this proxy forwards plain HTTP only"
    headers = {k: v for k, v in seen.headers.items() if k.lower() not in _HOP}
    if seen.body or seen.method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(seen.body))
    connection = HTTPConnection(target.hostname, target.port or 80, timeout=60)
    try:
        connection.request(seen.method, target.path + (f"?{target.query}" if target.query else ""),
                           body=seen.body or None, headers=headers)
        reply = connection.getresponse()
        body = reply.read()
        answer = {k: v for k, v in reply.getheaders() if k.lower() not in _HOP}
        if seen.method == "HEAD" and reply.getheader("Content-Length"):
            answer["Content-Length"] = reply.getheader("Content-Length")
        return reply.status, answer, body
    finally:
        connection.close()
