"""The server object: ``SandboxServer(data_dir).start()`` runs the sandbox Hub.

It holds the three listeners (the Hub, its LFS CDN, the Xet CAS) and the handling of one
request: count it, apply an injected fault, identify the caller, call the route's handler
and answer. Which handler a path reaches, and under which name the counters of
GET /_sandbox/stats keep it, is the table in ``routes``, apart because it grows with
every endpoint while this does not.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.http import Request, Response, error_response, write_response
from hfsync.sandbox.routes import ADMIN_ROUTES, CAS_ROUTES, ROUTES, Handler, match, takes_hub_token
from hfsync.sandbox.state import Hub

log = logging.getLogger("hfsync.sandbox")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hfsync-sandbox"
    timeout = 300  # an idle keep-alive connection is dropped after this

    def do_GET(self) -> None:
        self.server.sandbox.handle(self)  # type: ignore[attr-defined]

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every small response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.sandbox.connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.sandbox.connections.discard(self.connection)  # type: ignore[attr-defined]
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)


class SandboxServer:
    """The sandbox Hub in this process: ``start()`` serves in background threads.

    A second listener on another port plays the Hub's LFS CDN (a different origin, so
    the client treats LFS redirects exactly as it treats the Hub's). A third, on
    127.0.0.1 only, is the Xet CAS server (``cas_url``).
    """

    def __init__(
        self,
        data_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        users: dict[str, str] | None = None,
        orgs: dict[str, list[str]] | None = None,
        admin: bool = True,
        multipart_threshold: int = 64 * 1024 * 1024,
        multipart_chunk: int = 16 * 1024 * 1024,
        trusted_publishers: dict | None = None,
        max_commit_operations: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._host = host if host not in ("", "0.0.0.0", "::") else None
        self.hub = Hub(self.data_dir, users, orgs, multipart_threshold, multipart_chunk)
        self.hub.max_commit_operations = max_commit_operations
        if trusted_publishers is not None:
            self.hub.oidc.configure(trusted_publishers)  # ValueError: the caller's to word
        self.admin = admin
        self.connections: set[socket.socket] = set()
        self._servers = [_Server((host, port), _Handler), _Server((host, 0), _Handler)]
        self._servers.append(_Server(("127.0.0.1", 0), _Handler))
        for server in self._servers:
            server.sandbox = self  # type: ignore[attr-defined]
            server.routes = ROUTES  # type: ignore[attr-defined]
        self._servers[2].routes = CAS_ROUTES  # type: ignore[attr-defined]
        self.hub.cdn_port = self._servers[1].server_address[1]
        self.hub.cas_port = self._servers[2].server_address[1]
        self._threads: list[threading.Thread] = []

    @property
    def host(self) -> str:
        # The name asked for (e.g. "localhost"), so URLs match what clients will use.
        return self._host or str(self._servers[0].server_address[0])

    @property
    def port(self) -> int:
        return int(self._servers[0].server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def cas_url(self) -> str:
        return f"http://127.0.0.1:{self.hub.cas_port}"

    @property
    def token(self) -> str:
        """The default user ``sandbox``'s token."""
        return self.hub.accounts.token("sandbox")

    def token_for(self, user: str) -> str:
        return self.hub.accounts.token(user)

    def start(self) -> SandboxServer:
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, args=(0.05,), daemon=True, name=f"sandbox-{server.server_address[1]}"
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop listening, drop open connections, and wait for the serving threads."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    # -- one request -----------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith("/_sandbox/"):
            self._handle_admin(handler, Request(handler, _NullStats()))  # type: ignore[arg-type]
            return
        req = Request(handler, self.hub.stats)
        found = match(req.method, req.path, handler.server.routes)  # type: ignore[attr-defined]
        name, func, params = found if found else ("unknown", None, {})
        req.route_key = f"{req.method} {name}"
        self.hub.stats.count(req.route_key, requests=1)
        fault = self.hub.faults.take(req.method, req.path)
        if fault is not None and fault.action == "delay":
            time.sleep(fault.seconds)
        if fault is not None and fault.action == "expire_tokens":
            self.hub.oidc.expire_all()
        if fault is not None and fault.action == "ignore_range":
            del req.headers["Range"]  # answered as a server that ignores Range does: the whole file
        if fault is not None and fault.action == "status":
            resp = self._fault_response(fault)
        elif func is None:
            resp = error_response(HubError(404, "Sorry, we can't find the page you are looking for."))
        else:
            resp = self._call(req, name, func, params)
        resp.headers.setdefault("X-Request-Id", f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}")
        try:
            req.drain()
        except (ConnectionError, OSError):
            handler.close_connection = True
            return
        write_response(handler, req, resp, self.hub.stats, fault)

    def _call(self, req: Request, name: str, func: Handler, params: dict) -> Response:
        try:
            if takes_hub_token(name):
                self.hub.identify(req)
            return func(self.hub, req, **params)
        except HubError as error:
            return error_response(error)
        except (ConnectionError, TimeoutError):
            raise
        except Exception:
            log.exception("sandbox error on %s %s", req.method, req.path)
            return error_response(HubError(500, "Internal sandbox error"))

    def _fault_response(self, fault) -> Response:  # type: ignore[no-untyped-def]
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            seconds = int(fault.retry_after)
            headers["Retry-After"] = str(seconds)
            if fault.status == 429:
                headers["RateLimit"] = f'"api";r=0;t={seconds}'
                headers["RateLimit-Policy"] = '"fixed window";"api";q=500;w=300'
        message = fault.message or _FAULT_MESSAGES.get(fault.status, "Injected sandbox fault")
        return error_response(HubError(fault.status, message, fault.code, headers=headers))

    def _handle_admin(self, handler: BaseHTTPRequestHandler, req: Request) -> None:
        resp = error_response(HubError(404, "Not found"))
        if self.admin:
            for method, pattern, func in ADMIN_ROUTES:
                if method == req.method and (found := pattern.match(req.path)):
                    try:
                        resp = func(self.hub, req, **found.groupdict())
                    except HubError as error:
                        resp = error_response(error)
                    break
        req.drain()
        req.route_key = "admin"
        write_response(handler, req, resp, _NullStats(), None)  # type: ignore[arg-type]


_FAULT_MESSAGES = {
    429: "You have exceeded our hourly quotas for action: api. We invite you to retry later.",
    500: "Internal Error - We're working hard to fix this as soon as possible!",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _NullStats:
    def count(self, *args: object, **kwargs: object) -> None:
        pass
