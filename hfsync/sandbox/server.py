"""Routing and the server object: ``SandboxServer(data_dir).start()`` runs the sandbox Hub.

Routes are matched on the raw (still percent-encoded) path, because revisions and
tree paths arrive as ``refs%2Fpr%2F1`` and ``a%2Fb``. Each route has a name; the
counters of GET /_sandbox/stats are keyed "<METHOD> <route name>":

    GET whoami               GET /api/whoami-v2
    POST repo-create         POST /api/repos/create
    DELETE repo-delete       DELETE /api/repos/delete
    POST repo-move           POST /api/repos/move
    PUT repo-settings        PUT /api/{types}/{id}/settings
    GET repo-info            GET /api/{types}/{id}[/revision/{rev}]
    GET repo-list            GET /api/{types}  (list and search)
    GET storage-settings     GET /api/settings/repositories, /api/organizations/{org}/settings/repositories
    GET tree                 GET /api/{types}/{id}/tree/{rev}[/{path}]
    POST paths-info          POST /api/{types}/{id}/paths-info/{rev}
    GET refs                 GET /api/{types}/{id}/refs
    GET commits              GET /api/{types}/{id}/commits/{rev}
    POST|DELETE branch       /api/{types}/{id}/branch/{branch}
    POST|DELETE tag          /api/{types}/{id}/tag/{rev or tag}
    POST preupload           POST /api/{types}/{id}/preupload/{rev}
    POST commit              POST /api/{types}/{id}/commit/{rev}
    GET discussions          GET /api/{types}/{id}/discussions (pull requests, paged by ?p=)
    POST discussion-create   POST /api/{types}/{id}/discussions
    GET discussion           GET /api/{types}/{id}/discussions/{num}
    POST discussion-status   POST /api/{types}/{id}/discussions/{num}/status
    POST discussion-merge    POST /api/{types}/{id}/discussions/{num}/merge
    POST validate-yaml       POST /api/validate-yaml
    POST lfs-batch           POST /{prefix}{id}.git/info/lfs/objects/batch
    PUT lfs-upload           PUT of a whole LFS object (basic transfer): bytes_in = file size
    PUT lfs-upload-part      PUT of one multipart part (files above the multipart threshold)
    POST lfs-complete        multipart completion
    POST lfs-verify          verify after upload
    HEAD|GET resolve         /{prefix}{id}/resolve/{rev}/{path}: regular file bytes; LFS → 302
    HEAD|GET lfs-download    the CDN URL an LFS resolve redirects to: LFS file bytes
    GET xet-read-token|xet-write-token   /api/{types}/{id}/xet-{read,write}-token/{rev}
    GET space-runtime, POST space-hardware|space-sleeptime|space-pause|space-restart,
    GET space-logs           /api/spaces/{id}/logs/{build,run}: server-sent events
    GET|POST|DELETE space-variables|space-secrets   /api/spaces/{id}/...
    GET agent-harnesses      the client's telemetry registry fetch
    GET user-overview|org-overview   /api/users/{name}/overview, /api/organizations/{name}/overview
    GET|POST collections     /api/collections (list, create)
    GET|PATCH|DELETE collection   /api/collections/{slug}
    POST collection-items    /api/collections/{slug}/items
    PATCH|DELETE collection-item  /api/collections/{slug}/items/{item id}
    POST ask-access          /{prefix}{id}/ask-access
    GET access-requests      /api/{types}/{id}/user-access-request/{pending,accepted,rejected}
    POST access-handle|access-grant   /api/{types}/{id}/user-access-request/{handle,grant}
    POST oauth-token         POST /oauth/token: a CI job's OIDC id token for a Hub token (oidc)
    <METHOD> unknown         anything else (answered 404)

On the CAS listener (its own port, 127.0.0.1 only; see api_cas):

    POST xorb-upload         POST /v1/xorbs/default/{hash}
    HEAD xorb-head           HEAD /v1/xorbs/default/{hash}
    POST xorb-grant          POST /v1/xorb-grants/default/{hash}: always 404 (upload instead)
    POST shard-upload        POST /v1/shards and /v2/shards
    GET reconstruction       GET /v1/reconstructions/{file_id} and /v2/...
    GET|POST reconstruction-batch   /v1/reconstructions?file_id=...
    HEAD file-head           HEAD /v1/files/{file_id}
    GET dedup                GET /v1/chunks/{default-merkledb or default}/{hash}
    GET xorb-range           the signed xorb URL a reconstruction hands out: xorb bytes

Admin requests (/_sandbox/...) are neither counted nor subject to faults.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hfsync.sandbox import (
    admin,
    api_access,
    api_cas,
    api_collections,
    api_discussions,
    api_download,
    api_oauth,
    api_refs,
    api_repos,
    api_spaces,
    api_upload,
    api_xet,
    search,
)
from hfsync.sandbox.auth import HubError
from hfsync.sandbox.http import Request, Response, error_response, hung_up, write_response
from hfsync.sandbox.state import Hub

log = logging.getLogger("hfsync.sandbox")

_T = r"(?P<types>models|datasets|spaces)"
_ID = r"(?P<ns>[^/]+)/(?P<name>[^/]+)"
_API = rf"^/api/{_T}/{_ID}"
_FILES = rf"^/(?:(?P<prefix>datasets|spaces)/)?{_ID}"
_OID = r"(?P<oid>[0-9a-f]{64})"
_SPACE = rf"^/api/spaces/{_ID}"
_COLL = r"^/api/collections/(?P<ns>[^/]+)/(?P<slug>[^/]+)"

Handler = Callable[..., Response]
ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = [
    (m, re.compile(p), n, h)
    for m, p, n, h in [
        ("GET", r"^/api/whoami-v2$", "whoami", api_repos.whoami),
        ("POST", r"^/api/repos/create$", "repo-create", api_repos.create_repo),
        ("DELETE", r"^/api/repos/delete$", "repo-delete", api_repos.delete_repo),
        ("POST", r"^/api/repos/move$", "repo-move", api_repos.move_repo),
        ("POST", r"^/api/validate-yaml$", "validate-yaml", api_repos.validate_yaml),
        ("GET", r"^/api/agent-harnesses$", "agent-harnesses", api_repos.agent_harnesses),
        ("POST", r"^/oauth/token$", "oauth-token", api_oauth.exchange),
        ("GET", r"^/api/collections$", "collections", api_collections.list_collections),
        ("POST", r"^/api/collections$", "collections", api_collections.create),
        *[(m, rf"{_COLL}$", "collection", api_collections.collection) for m in ("GET", "PATCH", "DELETE")],
        ("POST", rf"{_COLL}/items$", "collection-items", api_collections.add_item),
        *[(m, rf"{_COLL}/items/(?P<item_id>[^/]+)$", "collection-item", api_collections.item)
          for m in ("PATCH", "DELETE")],
        ("POST", rf"{_FILES}/ask-access$", "ask-access", api_access.ask),
        ("GET", rf"{_API}/user-access-request/(?P<status>pending|accepted|rejected)$", "access-requests",
         api_access.listing),
        ("POST", rf"{_API}/user-access-request/handle$", "access-handle", api_access.handle),
        ("POST", rf"{_API}/user-access-request/grant$", "access-grant", api_access.grant),
        ("GET", rf"^/api/{_T}$", "repo-list", search.list_repos),
        ("GET", rf"^/api/{_T}/(?P<name>[^/]+)$", "repo-info", api_repos.repo_without_namespace),
        ("GET", r"^/api/settings/repositories$", "storage-settings", api_repos.storage_settings),
        ("GET", r"^/api/users/(?P<name>[^/]+)/overview$", "user-overview", api_repos.user_overview),
        ("GET", r"^/api/organizations/(?P<name>[^/]+)/overview$", "org-overview", api_repos.org_overview),
        (
            "GET",
            r"^/api/organizations/(?P<org>[^/]+)/settings/repositories$",
            "storage-settings",
            api_repos.storage_settings,
        ),
        ("PUT", rf"{_API}/settings$", "repo-settings", api_repos.update_settings),
        ("GET", rf"{_API}$", "repo-info", api_repos.repo_info),
        ("GET", rf"{_SPACE}/runtime$", "space-runtime", api_spaces.get_runtime),
        ("POST", rf"{_SPACE}/hardware$", "space-hardware", api_spaces.request_hardware),
        ("POST", rf"{_SPACE}/sleeptime$", "space-sleeptime", api_spaces.set_sleep_time),
        ("POST", rf"{_SPACE}/pause$", "space-pause", api_spaces.pause),
        ("POST", rf"{_SPACE}/restart$", "space-restart", api_spaces.restart),
        ("GET", rf"{_SPACE}/logs/(?P<kind>build|run)$", "space-logs", api_spaces.logs),
        *[(m, rf"{_SPACE}/variables$", "space-variables", api_spaces.variables) for m in ("GET", "POST", "DELETE")],
        *[(m, rf"{_SPACE}/secrets$", "space-secrets", api_spaces.secrets) for m in ("GET", "POST", "DELETE")],
        ("GET", rf"{_API}/revision/(?P<rev>[^/]+)$", "repo-info", api_repos.repo_info),
        ("GET", rf"{_API}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$", "tree", api_refs.tree),
        ("POST", rf"{_API}/paths-info/(?P<rev>[^/]+)$", "paths-info", api_refs.paths_info),
        ("GET", rf"{_API}/refs$", "refs", api_refs.refs),
        ("GET", rf"{_API}/commits/(?P<rev>[^/]+)$", "commits", api_refs.commits),
        ("POST", rf"{_API}/branch/(?P<branch>[^/]+)$", "branch", api_refs.create_branch),
        ("DELETE", rf"{_API}/branch/(?P<branch>[^/]+)$", "branch", api_refs.delete_branch),
        ("POST", rf"{_API}/tag/(?P<rev>[^/]+)$", "tag", api_refs.create_tag),
        ("DELETE", rf"{_API}/tag/(?P<tag>[^/]+)$", "tag", api_refs.delete_tag),
        ("POST", rf"{_API}/preupload/(?P<rev>[^/]+)$", "preupload", api_upload.preupload),
        ("POST", rf"{_API}/commit/(?P<rev>[^/]+)$", "commit", api_upload.commit),
        ("GET", rf"{_API}/discussions$", "discussions", api_discussions.list_discussions),
        ("POST", rf"{_API}/discussions$", "discussion-create", api_discussions.create),
        ("GET", rf"{_API}/discussions/(?P<num>\d+)$", "discussion", api_discussions.details),
        ("POST", rf"{_API}/discussions/(?P<num>\d+)/status$", "discussion-status", api_discussions.change_status),
        ("POST", rf"{_API}/discussions/(?P<num>\d+)/merge$", "discussion-merge", api_discussions.merge),
        ("POST", rf"{_FILES}\.git/info/lfs/objects/batch$", "lfs-batch", api_upload.lfs_batch),
        ("PUT", rf"^/sandbox-lfs/upload/{_OID}$", "lfs-upload", api_upload.lfs_upload),
        (
            "PUT",
            rf"^/sandbox-lfs/part/{_OID}/(?P<number>\d+)$",
            "lfs-upload-part",
            api_upload.lfs_upload_part,
        ),
        ("POST", rf"^/sandbox-lfs/complete/{_OID}$", "lfs-complete", api_upload.lfs_complete),
        ("POST", r"^/sandbox-lfs/verify$", "lfs-verify", api_upload.lfs_verify),
        (
            "GET",
            rf"^/sandbox-lfs/cdn/{_OID}/(?P<filename>[^/]*)$",
            "lfs-download",
            api_download.cdn,
        ),
        ("GET", rf"{_FILES}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$", "resolve", api_download.resolve),
        ("GET", rf"{_API}/xet-read-token/(?P<rev>[^/]+)$", "xet-read-token", api_xet.read_token),
        ("GET", rf"{_API}/xet-write-token/(?P<rev>[^/]+)$", "xet-write-token", api_xet.write_token),
    ]
]
_HASH = r"(?P<hash>[0-9a-fA-F]{64})"
CAS_ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = [
    (m, re.compile(p), n, h)
    for m, p, n, h in [
        ("POST", rf"^/v1/xorbs/(?P<prefix>[^/]+)/{_HASH}$", "xorb-upload", api_cas.upload_xorb),
        ("HEAD", rf"^/v1/xorbs/(?P<prefix>[^/]+)/{_HASH}$", "xorb-head", api_cas.head_xorb),
        ("POST", rf"^/v1/xorb-grants/(?P<prefix>[^/]+)/{_HASH}$", "xorb-grant", api_cas.xorb_grant),
        ("POST", r"^/v1/shards$", "shard-upload", api_cas.upload_shard),
        ("POST", r"^/v2/shards$", "shard-upload", api_cas.upload_shard_v2),
        ("GET", r"^/v1/reconstructions/(?P<file_id>[^/]+)$", "reconstruction", api_cas.reconstruction),
        ("GET", r"^/v2/reconstructions/(?P<file_id>[^/]+)$", "reconstruction", api_cas.reconstruction_v2),
        ("GET", r"^/v1/reconstructions$", "reconstruction-batch", api_cas.batch_reconstruction),
        ("POST", r"^/v1/reconstructions$", "reconstruction-batch", api_cas.batch_reconstruction),
        ("HEAD", r"^/v1/files/(?P<file_id>[^/]+)$", "file-head", api_cas.head_file),
        ("GET", rf"^/v1/chunks/(?P<prefix>[^/]+)/{_HASH}$", "dedup", api_cas.dedup),
        ("GET", rf"^/sandbox-xet/xorb/{_HASH}$", "xorb-range", api_cas.xorb_range),
    ]
]
ADMIN_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (m, re.compile(p), h)
    for m, p, h in [
        ("POST", r"^/_sandbox/faults$", admin.add_faults),
        ("DELETE", r"^/_sandbox/faults$", admin.clear_faults),
        ("GET", r"^/_sandbox/faults$", admin.list_faults),
        ("GET", r"^/_sandbox/stats$", admin.stats),
        ("POST", r"^/_sandbox/stats/reset$", admin.reset_stats),
        ("POST", r"^/_sandbox/settings$", admin.settings),
        ("GET", r"^/_sandbox/oidc$", admin.oidc_state),
        ("POST", r"^/_sandbox/oidc$", admin.oidc_configure),
        ("DELETE", r"^/_sandbox/oidc$", admin.oidc_clear),
        ("POST", r"^/_sandbox/oidc/expire$", admin.oidc_expire),
        ("POST", r"^/_sandbox/spaces/(?P<ns>[^/]+)/(?P<name>[^/]+)/runtime$", admin.set_script),
        ("POST", r"^/_sandbox/accounts/(?P<name>[^/]+)$", admin.set_profile),
        (
            "POST",
            r"^/_sandbox/repos/(?P<repo_type>model|dataset|space)/(?P<ns>[^/]+)/"
            r"(?P<name>[^/]+)/meta$",
            admin.seed_meta,
        ),
    ]
]
# Transfer URLs carry their own signature; the client sends no token to them. CAS
# routes check the CAS token themselves. The token exchange is authorised by its body.
_NO_AUTH = {"lfs-upload", "lfs-upload-part", "lfs-complete", "lfs-download", "oauth-token"}
_HEAD_AS_GET = ("resolve", "lfs-download", "xorb-range")
_CAS_NAMES = {name for _m, _p, name, _h in CAS_ROUTES}


def _match(method: str, path: str, routes: list = ROUTES) -> tuple[str, Handler, dict] | None:  # type: ignore[type-arg]
    for m, pattern, name, handler in routes:
        head_as_get = method == "HEAD" and m == "GET" and name in _HEAD_AS_GET
        if (m == method or head_as_get) and (found := pattern.match(path)):
            return name, handler, found.groupdict()
    return None


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
        self.hub.faults.clear()  # the requests a delay holds end now, dropped
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request -----------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith("/_sandbox/"):
            self._handle_admin(handler, Request(handler, _NullStats()))  # type: ignore[arg-type]
            return
        req = Request(handler, self.hub.stats)
        match = _match(req.method, req.path, handler.server.routes)  # type: ignore[attr-defined]
        name, func, params = match if match else ("unknown", None, {})
        req.route_key = f"{req.method} {name}"
        self.hub.stats.count(req.route_key, requests=1)
        fault = self.hub.faults.take(req.method, req.path)
        if fault is not None and fault.action == "delay":
            self.hub.faults.hold(fault.seconds)
            if hung_up(handler):  # a killed client's commit must not land after it died
                handler.close_connection = True
                return
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
            if name not in _NO_AUTH and name not in _CAS_NAMES:
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
