"""Plain GETs over kept-alive connections, with the standard library, for file bodies.

A pull of many small files spends most of its CPU in the HTTP client: httpx2 costs
about 1.5 ms of Python per request (URL parsing, pool bookkeeping, h11 events), and an
LFS file takes two requests (/resolve answers 302 to the CDN). With two cores shared
by the sandbox, the hashing and the disk, that client work bounds the pull.
``http.client`` does the same GET in a fraction of that. This pool keeps one idle
connection list per origin, follows redirects (dropping credentials when the origin
changes, as huggingface_hub does for the CDN) and hands the body out as it arrives.

Only what a pinned download needs: GET, no cookies, no proxies (the downloader keeps
using huggingface_hub's client when a proxy is configured), no decompression
(``Accept-Encoding: identity`` is sent). Every request is written to the trace.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import cast
from urllib.parse import urljoin, urlsplit

from hfsync.hub import trace
from hfsync.hub.bounded import head_of
from hfsync.hub.retry import TransientError
from hfsync.origins import Origin, origin

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10


class ConnectError(ConnectionError):
    """No connection could be made (refused, the name did not resolve, timed out): named and
    worded as httpx2 names it, so a failure reads the same whichever client met it."""


class Reply:
    """A response whose body is read as it arrives; the connection is reused if drained."""

    def __init__(self, response: http.client.HTTPResponse, url: str) -> None:
        self.response = response
        self.status = response.status
        # case-insensitive lookups; an HTTPMessage reads as a mapping (get, items, [])
        self.headers: Mapping[str, str] = response.headers  # type: ignore[assignment]
        self.url = url
        self.received = 0

    def chunks(self, size: int) -> Iterator[bytes]:
        """The body in pieces of at most ``size`` bytes, each as soon as it is received."""
        read1 = self.response.read1
        while True:
            try:
                chunk = read1(size)
            except (http.client.HTTPException, ValueError) as error:
                raise TransientError(f"broken response body: {type(error).__name__}") from error
            if not chunk:
                if not self.response.length:
                    # The whole body is in (read1 does not mark an empty one read): http.client
                    # sends the next request on this connection only after this.
                    self.response.close()
                return
            self.received += len(chunk)
            yield chunk

    def read(self) -> bytes:
        """The first ``ERROR_PAGE`` bytes of a body read only for its message (an error page, a
        redirect's body); the rest is left unread, and the connection is then not reused."""
        return head_of(self.chunks(1 << 16))


class GetPool:
    """Kept-alive connections per origin, shared by the download threads."""

    def __init__(self, *, connect_timeout: float = 15.0, read_timeout: float = 60.0) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._ssl: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            try:
                import certifi  # what httpx2 trusts, so that both clients accept the same hosts

                self._ssl = ssl.create_default_context(cafile=certifi.where())
            except ImportError:
                self._ssl = ssl.create_default_context()
        return self._ssl

    def _checkout(self, origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection to ``origin`` (reused=True) or a new one."""
        with self._lock:
            idle = self._idle.get(origin)
            if idle:
                return idle.pop(), True
        scheme, host, port = origin
        if scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=self.connect_timeout, context=self._context())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
        return connection, False

    def _checkin(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(origin, []).append(connection)

    def _send(
        self, origin: Origin, target: str, headers: dict[str, str]
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send one GET; a kept-alive connection the server has closed meanwhile is replaced once."""
        while True:
            connection, reused = self._checkout(origin)
            try:
                if connection.sock is None:
                    try:
                        connection.connect()
                    except OSError as error:
                        raise ConnectError(str(error) or type(error).__name__) from error
                    cast(socket.socket, connection.sock).settimeout(self.read_timeout)  # set by connect()
                connection.request("GET", target, headers=headers)
                return connection, connection.getresponse()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                if reused and isinstance(error, (ConnectionError, http.client.BadStatusLine)):
                    continue  # the idle connection was closed by the server: nothing was served
                if isinstance(error, OSError) and not isinstance(error, ConnectionError | TimeoutError):
                    raise ConnectionError(f"{type(error).__name__}: {error}") from error
                if isinstance(error, http.client.HTTPException):
                    raise TransientError(f"bad response: {type(error).__name__}") from error
                raise

    @contextlib.contextmanager
    def get(self, url: str, headers: Mapping[str, str], *, attempt: int = 0) -> Iterator[Reply]:
        """GET ``url`` following redirects; the final reply, its body unread.

        Credentials go only to the origin they were given for. The connection goes back to
        the pool when the body was read to its end; on any failure it is closed.
        """
        sent = dict(headers)
        sent["X-Request-Id"] = trace.RUN_ID
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            here = origin(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            started = time.perf_counter()
            try:
                connection, response = self._send(here, target, sent)
            except Exception as error:
                trace.record("GET", parts.path, None, started, 0, attempt, type(error).__name__)
                raise
            reply = Reply(response, url)
            drained = False
            try:
                location = reply.headers.get("location")
                if reply.status in _REDIRECTS and location:
                    reply.read()
                    drained = response.isclosed()
                    following = urljoin(url, location)
                    if origin(following) != here:
                        sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
                    url = following
                    continue
                yield reply
                drained = response.isclosed() and not response.length
            finally:
                trace.record("GET", parts.path, reply.status, started, reply.received, attempt)
                if drained and not response.will_close:
                    self._checkin(here, connection)
                else:
                    connection.close()
            return
        raise TransientError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
