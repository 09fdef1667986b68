"""HTTP plumbing: requests, responses, and the one place bodies cross the wire.

Every body byte read or written goes through ``Request.iter_body`` / ``write_response``
so that counters are exact and faults (reset, truncate, corrupt) apply uniformly.
File bodies stream from disk and request bodies stream in, in 1 MiB chunks: nothing
large is held in memory.
"""

from __future__ import annotations

import json
import select
import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import parse_qs

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.faults import Fault, Stats

if TYPE_CHECKING:
    from hfsync.sandbox.oidc import Grant

CHUNK = 1024 * 1024


class Request:
    """One incoming request; the body is read lazily and counted."""

    def __init__(self, handler: BaseHTTPRequestHandler, stats: Stats) -> None:
        self.handler = handler
        self.method = handler.command
        raw, _, qs = handler.path.partition("?")
        self.path = raw  # raw: still percent-encoded, routing depends on it
        self.query_string = qs
        self.query = parse_qs(qs, keep_blank_values=True)
        self.headers = handler.headers
        self.route_key = f"{self.method} unknown"
        self.user: str | None = None
        self.grant: Grant | None = None  # what a token exchanged at /oauth/token may do
        self._stats = stats
        self._remaining = int(handler.headers.get("Content-Length") or 0)
        self._chunked = "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower()

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").lower() in ("1", "true", "yes")

    def iter_body(self, chunk: int = CHUNK) -> Iterator[bytes]:
        if self._chunked:
            yield from self._iter_chunked()
            return
        while self._remaining > 0:
            data = self.handler.rfile.read(min(chunk, self._remaining))
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            self._remaining -= len(data)
            self._stats.count(self.route_key, bytes_in=len(data))
            yield data

    def _iter_chunked(self) -> Iterator[bytes]:
        # huggingface_hub always sends Content-Length, but other clients stream uploads.
        rfile = self.handler.rfile
        while self._chunked:
            size = int(rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(1024).strip():  # trailers, then the blank line
                    pass
                self._chunked = False
                return
            while size > 0:
                data = rfile.read(min(CHUNK, size))
                if not data:
                    raise ConnectionError("client closed the connection mid-body")
                size -= len(data)
                self._stats.count(self.route_key, bytes_in=len(data))
                yield data
            rfile.readline(16)  # the CRLF after each chunk

    def body(self) -> bytes:
        return b"".join(self.iter_body())

    def json(self) -> dict:
        try:
            data = json.loads(self.body() or b"{}")
        except ValueError:
            raise HubError(400, "Invalid JSON body") from None
        if not isinstance(data, dict):
            raise HubError(400, "Expected a JSON object")
        return data

    def drain(self) -> None:
        for _ in self.iter_body():
            pass

    def base_url(self, port: int | None = None) -> str:
        """The origin the client used (its Host header), so URLs we hand out match it."""
        host = self.headers.get("Host") or "127.0.0.1"
        if port is not None:
            host = host.rsplit(":", 1)[0] + f":{port}"
        return f"http://{host}"


@dataclass
class Response:
    """A response: headers plus a bytes body, a (file, offset, length) body, or a
    ``stream`` of ``length`` bytes made as they are sent."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    file: BinaryIO | None = None
    offset: int = 0
    length: int = 0
    stream: Iterable[bytes] | None = None

    @property
    def body_length(self) -> int:
        return self.length if self.file is not None or self.stream is not None else len(self.body)


def json_response(data: object, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(data).encode()
    return Response(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body)


def text_response(text: str, status: int = 200) -> Response:
    return Response(status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())


def error_response(error: HubError) -> Response:
    body = error.body if error.body is not None else {"error": error.message}
    headers = {"X-Error-Message": error.message, **error.headers}
    if error.code:
        headers["X-Error-Code"] = error.code
    return json_response(body, error.status, headers)


def _header_safe(value: str) -> str:
    """A header value http.server can send: latin-1 only, no line breaks.

    Messages may quote user paths (any Unicode); the JSON body keeps them exact.
    """
    value = value.replace("\r", " ").replace("\n", " ")
    return value.encode("latin-1", "backslashreplace").decode("latin-1")


def _drop(handler: BaseHTTPRequestHandler, rst: bool) -> None:
    """Drop the connection: a FIN after what was sent, or with ``rst`` an abortive TCP RST.

    The FIN is the default because huggingface_hub 2.4.0 resumes a download broken by
    an early close (RemoteProtocolError) but not one broken by ECONNRESET (ReadError).
    """
    try:
        if rst:
            linger = struct.pack("ii", 1, 0)
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        else:
            handler.connection.shutdown(socket.SHUT_RDWR)
        handler.connection.close()
    except OSError:
        pass
    handler.close_connection = True


def hung_up(handler: BaseHTTPRequestHandler) -> bool:
    """Whether the client closed its end of the connection (or the server shut it).

    POLLRDHUP sees the close even with the request body still unread (Linux); elsewhere
    only a connection reset or shut on this side is seen.
    """
    poller = select.poll()
    poller.register(handler.connection, getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(0))


def write_response(
    handler: BaseHTTPRequestHandler,
    req: Request,
    resp: Response,
    stats: Stats,
    fault: Fault | None,
) -> None:
    """Send ``resp``; apply a reset/truncate/corrupt/replace fault; count body bytes sent."""
    if fault is not None and fault.action == "replace":
        if resp.file is not None:
            resp.file.close()
        resp = Response(resp.status, resp.headers, fault.body)
    if fault is not None and fault.action == "reset" and fault.after_bytes <= 0:
        if resp.file is not None:
            resp.file.close()
        _drop(handler, fault.rst)
        return
    handler.send_response(resp.status)
    length = resp.body_length
    for name, value in resp.headers.items():
        handler.send_header(name, _header_safe(value))
    handler.send_header("Content-Length", str(length))
    if fault is not None and fault.action in ("reset", "truncate"):
        handler.send_header("Connection", "close")
    handler.end_headers()
    if req.method == "HEAD" or length == 0:
        if resp.file is not None:
            resp.file.close()
        return
    limit = length
    if fault is not None and fault.action in ("reset", "truncate"):
        limit = min(length, fault.after_bytes)
    corrupt_at = None
    if fault is not None and fault.action == "corrupt":
        # Clamped into the body so that a corrupt fault is always observable.
        corrupt_at = min(fault.after_bytes, length - 1)
    sent = _send_body(handler, req, resp, stats, limit, corrupt_at)
    if sent < length:
        _drop(handler, fault is not None and fault.rst)


def _send_body(
    handler: BaseHTTPRequestHandler,
    req: Request,
    resp: Response,
    stats: Stats,
    limit: int,
    corrupt_at: int | None,
) -> int:
    def write(data: bytes) -> None:
        # Counted before the bytes leave: a client that has read the whole body may ask
        # for the stats at once, and must see them.
        stats.count(req.route_key, bytes_out=len(data))
        try:
            handler.wfile.write(data)
        except OSError:
            stats.count(req.route_key, bytes_out=-len(data))
            raise

    if resp.stream is not None:
        return _send_stream(resp.stream, write, limit, corrupt_at)
    if resp.file is None:
        data = resp.body[:limit]
        if corrupt_at is not None:
            data = _corrupt(data, corrupt_at, 0)
        write(data)
        return len(data)
    # Plain 1 MiB reads and writes: on loopback they beat socket.sendfile (measured with
    # bench/bench_sandbox_serve.py), and they let faults cut or corrupt the stream.
    sent = 0
    try:
        resp.file.seek(resp.offset)
        while sent < limit:
            data = resp.file.read(min(CHUNK, limit - sent))
            if not data:
                break
            if corrupt_at is not None:
                data = _corrupt(data, corrupt_at, sent)
            write(data)
            sent += len(data)
    finally:
        resp.file.close()
    return sent


def _send_stream(stream: Iterable[bytes], write, limit: int, corrupt_at: int | None) -> int:  # type: ignore[no-untyped-def]
    sent = 0
    for piece in stream:
        data = piece[: limit - sent]
        if corrupt_at is not None:
            data = _corrupt(data, corrupt_at, sent)
        write(data)
        sent += len(data)
        if sent >= limit:
            break
    return sent


def _corrupt(data: bytes, at: int, start: int) -> bytes:
    """Flip up to 16 bytes from body offset ``at`` (``data`` begins at body offset ``start``)."""
    lo, hi = max(at - start, 0), min(at - start + 16, len(data))
    if lo >= hi:
        return data
    return data[:lo] + bytes(b ^ 0xFF for b in data[lo:hi]) + data[hi:]
