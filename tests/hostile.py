"""A hostile server for tests and benches: answers every GET with a body that does not end.

It binds only to 127.0.0.1, is stopped through its own handle (``close``), and records
how many bytes it managed to send before the client hung up, so a test can hold the
client to the limit it claims: what a bounded reader took is at most its limit plus what
the two kernels buffer on the way (``SLACK``).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _buffers() -> int:
    """What the two kernels may hold between server and client: the most a receive buffer
    autotunes to plus the most a send buffer does (tcp_rmem/tcp_wmem), plus a read's worth."""
    total = 1024 * 1024
    for name in ("tcp_rmem", "tcp_wmem"):
        try:
            total += int(Path(f"/proc/sys/net/ipv4/{name}").read_text().split()[2])
        except (OSError, ValueError, IndexError):
            total += 4 * 1024 * 1024
    return total


# Bytes sent but not read by the client: a bound holds when what was sent is at most the
# limit plus this (tens of MiB where receive buffers autotune far, against a 256 MiB cap).
SLACK = _buffers()


class EndlessServer:
    """``routes``: path prefix -> (status, headers, head, filler); the body is ``head`` then
    ``filler`` again and again, up to ``cap`` bytes (so a client that never stops still ends);
    with no filler, ``head`` alone, with its length (an honest answer, a redirect's target)."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes, bytes]], cap: int = 256 * 1024 * 1024,
                 ) -> None:
        self.routes = routes
        self.cap = cap
        self.sent: dict[str, int] = {}
        self.finished: dict[str, int] = {}
        self.requests: list[str] = []
        self._lock = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection does: no length to trust

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(handler.path)
        route = next((p for p in self.routes if handler.path.startswith(p)), None)
        if route is None:
            handler.send_error(404)
            return
        status, headers, head, filler = self.routes[route]
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if not filler:
            handler.send_header("Content-Length", str(len(head)))
        handler.end_headers()
        self._pour(handler.wfile.write, route, head, filler)

    def _pour(self, write: Callable[[bytes], object], route: str, head: bytes, filler: bytes) -> None:
        sent = 0
        try:
            for piece in itertools.chain((head,), itertools.repeat(filler) if filler else ()):
                if sent >= self.cap:
                    break
                write(piece)
                sent += len(piece)
                with self._lock:  # counted as it goes: a client that stops reading leaves this blocked
                    self.sent[route] = self.sent.get(route, 0) + len(piece)
                    self._lock.notify_all()
        except OSError:  # the client hung up: what it refused to read is not counted
            pass
        with self._lock:
            self.finished[route] = self.finished.get(route, 0) + 1
            self._lock.notify_all()

    def sent_to(self, route: str, answers: int = 1, timeout: float = 30.0, still: float = 1.0) -> int:
        """Bytes sent on ``route`` once ``answers`` answers on it ended (the client hung up) or
        stalled (nothing more sent for ``still`` seconds: the client stopped reading and the
        socket buffers are full, though the connection is still open in this process)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.finished.get(route, 0) < answers and time.monotonic() < deadline:
                before = self.sent.get(route, 0)
                self._lock.wait(still)
                if self.sent.get(route, 0) == before and self.finished.get(route, 0) < answers and before:
                    break
            return self.sent.get(route, 0)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)
