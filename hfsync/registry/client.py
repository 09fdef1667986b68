"""An OCI distribution registry: what pushing and pulling model files as artifacts needs.

Only the distribution spec's plain parts: check a blob (HEAD), upload one in chunks
(POST, PATCH with Content-Range, PUT with the digest) resuming from the registry's
own account of what it received, put and get a manifest by tag. Blob bodies are read
by the pull's Downloader (Range resume, verification) from ``blob_url`` with
``authorization``.

Credentials follow the container tools' conventions: ``REGISTRY_AUTH_FILE``, else
``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json`` (``auths`` entries;
credential helpers are not run). A 401 names the scheme: Basic is answered with the
user and password, Bearer with a token fetched from the realm it names. Passwords and
tokens are registered as secrets, so no message or log line shows them.

Credentials go to the registry's own origin (scheme, host, port) and to the token realm
that origin names, nowhere else: an upload ``Location`` or a redirect on another host is
sent nothing, and a challenge from another host is not answered.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx2

from hfsync import environment
from hfsync.errors import HfsyncError
from hfsync.hub import trace
from hfsync.hub.bounded import MiB, head_of, read_capped
from hfsync.hub.boundedstream import cap_redirect_bodies
from hfsync.hub.retry import RETRY_STATUSES, Retry, TransientError
from hfsync.log import redact, register_secret
from hfsync.origins import bind, netloc, origin


def is_loopback(endpoint: str) -> bool:
    """Whether ``endpoint`` points at this machine."""
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# What is read into memory from a registry: a manifest up to the distribution registry's own
# limit on one (blobs stream to disk through the pull's Downloader), a token answer.
MANIFEST_LIMIT = 4 * MiB
TOKEN_LIMIT = 1 * MiB
UPLOAD_CHUNK = 16 * 1024 * 1024
TIMEOUT = httpx2.Timeout(connect=15.0, read=60.0, write=60.0, pool=None)
# The distribution spec's repository name grammar.
_NAME = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*")


class RegistryError(HfsyncError):
    """The registry refused or failed a request."""


@dataclass(frozen=True)
class Reference:
    """``oci://HOST[:PORT]/PREFIX``: where artifacts of pulls live. Plain HTTP for loopback
    hosts and ``oci+http://``; HTTPS otherwise."""

    host: str
    prefix: str
    insecure: bool

    @classmethod
    def parse(cls, url: str) -> Reference:
        scheme, _, rest = url.partition("://")
        host, _, prefix = rest.partition("/")
        if scheme not in ("oci", "oci+http") or not host:
            raise RegistryError(f"{url!r} is not an OCI reference; expected oci://HOST[:PORT]/PREFIX")
        prefix = prefix.strip("/")
        if prefix and not _NAME.fullmatch(prefix):
            raise RegistryError(f"{url}: {prefix!r} is not a valid repository path (lowercase letters, digits, "
                                "'.', '_', '-' and '/')")
        return cls(host, prefix, scheme == "oci+http" or is_loopback(f"http://{host}"))

    @property
    def base(self) -> str:
        return f"{'http' if self.insecure else 'https'}://{self.host}"

    def repository(self, repo_type: str, repo_id: str) -> str:
        """The registry repository holding one Hub repo's pins: ``PREFIX/[TYPEs/]namespace/name``, lowercase."""
        parts = [self.prefix] if self.prefix else []
        if repo_type != "model":
            parts.append(f"{repo_type}s")
        parts.append(re.sub(r"[^a-z0-9/]+", "-", repo_id.lower()).strip("-"))
        return "/".join(parts)

    def __str__(self) -> str:
        return f"oci://{self.host}/{self.prefix}".rstrip("/")


def _auth_files() -> Iterator[Path]:
    for path in environment.registry_auth_files():
        if path.is_file():
            yield path


def credentials(host: str) -> tuple[str, str] | None:
    """(user, password) for ``host`` from the first auth file that has an entry for it."""
    for path in _auth_files():
        try:
            auths = json.loads(path.read_text(encoding="utf-8")).get("auths") or {}
        except (OSError, ValueError, AttributeError) as error:
            raise RegistryError(f"{path}: not a registry auth file ({type(error).__name__})") from None
        for key, entry in auths.items():
            if urlsplit(key if "://" in key else f"//{key}").netloc != host or not isinstance(entry, dict):
                continue
            if entry.get("auth"):
                try:
                    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
                except (ValueError, UnicodeDecodeError):
                    raise RegistryError(f"{path}: the auth entry for {host} is not base64 of user:password") from None
            else:
                user, password = entry.get("username", ""), entry.get("password", "")
            register_secret(password)
            register_secret(entry.get("auth"))
            return user, password
    return None


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, params = header.strip().partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', params))


class Registry:
    """One registry host, one identity; thread-safe."""

    def __init__(self, reference: Reference, retry: Retry) -> None:
        self.reference = reference
        self.retry = retry
        # Registry calls are traced like the Hub's (path only: an upload's query carries its state).
        self.client = httpx2.Client(timeout=TIMEOUT, follow_redirects=True, event_hooks={
            "request": [trace.on_request], "response": [trace.on_response, cap_redirect_bodies]})
        self._creds = credentials(reference.host)
        self.origin = origin(reference.base)
        self._auth: dict[str, str] = {}  # scope -> Authorization header
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def url(self, path: str) -> str:
        return urljoin(self.reference.base, path)

    def blob_url(self, repository: str, digest: str) -> str:
        return self.url(f"/v2/{repository}/blobs/{digest}")

    def authorization(self, repository: str, actions: str = "pull") -> str | None:
        """The Authorization header last earned for ``repository`` (None: none needed, or not asked yet)."""
        return self._auth.get(f"repository:{repository}:{actions}") or self._auth.get("*")

    def _authenticate(self, reply: httpx2.Response, scope: str, operation: str) -> None:
        asking = origin(str(reply.url))
        if asking != self.origin:
            raise self._elsewhere(operation, asking, "asks for authentication")
        scheme, params = _challenge(reply.headers.get("www-authenticate", ""))
        if scheme == "basic":
            if self._creds is None:
                raise self._no_credentials(operation)
            raw = base64.b64encode(":".join(self._creds).encode()).decode()
            register_secret(raw)
            bind(raw, self.reference.base)  # blob downloads go through the Hub's client, which holds it to that
            self._auth["*"] = f"Basic {raw}"
            return
        if scheme != "bearer" or "realm" not in params:
            raise RegistryError(f"{operation}: the registry asks for {scheme!r} authentication, which hfsync "
                                "does not speak")
        query = {"service": params.get("service", ""), "scope": params.get("scope") or scope}
        auth = httpx2.BasicAuth(*self._creds) if self._creds else None
        try:
            with trace.operation("registry-token"), self.client.stream(
                    "GET", params["realm"], params={k: v for k, v in query.items() if v}, auth=auth) as reply:
                status = reply.status_code
                answer = read_capped(reply.iter_bytes(), TOKEN_LIMIT, params["realm"],
                                     f"{operation}: the registry's token service") if status == 200 else b""
        except httpx2.HTTPError as error:
            raise RegistryError(f"{operation}: cannot reach the registry's token service: {redact(str(error))}") \
                from None
        if status != 200:
            raise self._no_credentials(operation) if status in (401, 403) else RegistryError(
                f"{operation}: the registry's token service answered HTTP {status}")
        try:
            body = json.loads(answer)
        except ValueError:
            body = None
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not token:
            raise RegistryError(f"{operation}: the registry's token service gave no token")
        register_secret(token)
        bind(token, self.reference.base)
        self._auth[scope] = f"Bearer {token}"

    def _send(self, request: httpx2.Request, attempt: int, operation: str, limit: int | None) -> httpx2.Response:
        """The reply with its body read: up to ``limit`` bytes (TooLarge past it) when it succeeded
        and ``limit`` is given, else the first bytes of it only (an error's message, or a body
        nothing reads)."""
        trace.set_attempt(request, attempt)
        try:
            with trace.operation("registry"):
                reply = self.client.send(request, stream=True)
        except Exception as error:
            trace.on_failure(request, error)
            raise
        try:
            chunks = reply.iter_bytes()
            body = read_capped(chunks, limit, str(request.url), operation) \
                if limit is not None and reply.status_code < 300 else head_of(chunks)
        finally:
            reply.close()
        # Decoded already: the copy must not say it is still compressed.
        headers = [(k, v) for k, v in reply.headers.multi_items() if k.lower() != "content-encoding"]
        # The request that was answered (after redirects): whose host asks for credentials.
        return httpx2.Response(reply.status_code, headers=headers, content=body, request=reply.request)

    def _elsewhere(self, operation: str, where: tuple[str, str, int], what: str) -> RegistryError:
        return RegistryError(
            f"{operation}: {netloc(where)}, where {self.reference.host} sent the request, {what}; the "
            f"credentials for {self.reference.host} go only to {self.reference.host} and the token service it "
            "names, so it was not answered",
            hint=f"Ask the operator of {self.reference.host} why it sends clients to another host.",
        )

    def _no_credentials(self, operation: str) -> RegistryError:
        have = "the credentials found were refused" if self._creds else "no credentials for it were found"
        return RegistryError(
            f"{operation}: {self.reference.host} requires authentication and {have}",
            hint=f"Log in (`oras login {self.reference.host}` or `docker login`), or set REGISTRY_AUTH_FILE to an "
            "auth file with an `auths` entry for it (credential helpers are not run).",
        )

    def request(self, operation: str, method: str, url: str, *, scope: str, ok: tuple[int, ...],
                headers: dict[str, str] | None = None, content: bytes | Callable[[], bytes] | None = None,
                limit: int | None = None) -> httpx2.Response:
        """One request, authenticated (answering a 401 once), retried on transient failures;
        RegistryError unless the status is one of ``ok``. ``limit``: the most bytes of a
        successful reply's body read (TooLarge past it); None when the body is not used."""

        def attempt(number: int) -> httpx2.Response:
            for challenged in (False, True):
                sent = dict(headers or {})
                auth = self._auth.get(scope) or self._auth.get("*")
                if auth and origin(url) == self.origin:
                    sent["Authorization"] = auth
                body = content() if callable(content) else content
                reply = self._send(self.client.build_request(method, url, headers=sent, content=body), number,
                                   operation, limit)
                if reply.status_code == 401 and not challenged:
                    with self._lock:
                        self._authenticate(reply, scope, operation)
                    continue
                if reply.status_code in RETRY_STATUSES:
                    raise TransientError(f"HTTP {reply.status_code}", reply.status_code, reply.headers)
                if reply.status_code == 401:
                    asking = origin(str(reply.url))
                    raise self._no_credentials(operation) if asking == self.origin else self._elsewhere(
                        operation, asking, "asks for authentication")
                if reply.status_code not in ok:
                    raise RegistryError(f"{operation}: the registry answered {_describe(reply)}")
                return reply
            raise AssertionError("unreachable")

        try:
            return self.retry.call(operation, attempt)
        except httpx2.HTTPError as error:
            raise RegistryError(f"{operation}: cannot reach the registry: {redact(str(error))}") from None

    # --- blobs and manifests --------------------------------------------------------------

    def has_blob(self, repository: str, digest: str) -> bool:
        reply = self.request(f"check {repository}@{digest[:19]}", "HEAD", self.blob_url(repository, digest),
                             scope=f"repository:{repository}:pull,push", ok=(200, 404))
        return reply.status_code == 200

    def upload_blob(self, repository: str, digest: str, size: int, read_at: Callable[[int, int], bytes], *,
                    resume_from: str | None = None, remember: Callable[[str | None], None] = lambda url: None,
                    chunk: int = UPLOAD_CHUNK, advance: Callable[[int], None] = lambda n: None) -> None:
        """Upload ``size`` bytes (``read_at(offset, length)``) as ``digest`` in chunks.

        ``resume_from`` is an upload URL an earlier run left (``remember`` is told each
        new one, and None when done): the registry says how much of it it holds, and the
        upload continues there. A broken chunk is resumed the same way.
        """
        scope = f"repository:{repository}:pull,push"
        what = f"upload {repository}@{digest[:19]}"
        location, offset = None, 0
        if resume_from:
            location, offset = self._upload_status(resume_from, scope, what)
        if location is None:
            reply = self.request(what, "POST", self.url(f"/v2/{repository}/blobs/uploads/"), scope=scope,
                                 ok=(202,), headers={"Content-Length": "0"})
            location, offset = self.url(reply.headers["location"]), 0
        remember(location)
        advance(offset)
        while offset < size:
            length = min(chunk, size - offset)
            try:
                reply = self.request(what, "PATCH", location, scope=scope, ok=(202,), headers={
                    "Content-Type": "application/octet-stream", "Content-Range": f"{offset}-{offset + length - 1}",
                    "Content-Length": str(length)}, content=functools.partial(read_at, offset, length))
            except RegistryError:
                # Where did the registry get to? Continue from there, once.
                status, held = self._upload_status(location, scope, what)
                if status is None or held == offset:
                    raise
                location, offset = status, held
                remember(location)
                continue
            location = self.url(reply.headers["location"])
            remember(location)
            offset += length
            advance(length)
        separator = "&" if "?" in location else "?"
        self.request(what, "PUT", f"{location}{separator}digest={digest}", scope=scope, ok=(201,),
                     headers={"Content-Length": "0"})
        remember(None)

    def _upload_status(self, location: str, scope: str, what: str) -> tuple[str | None, int]:
        """(the upload's current URL, bytes the registry holds), or (None, 0) when it is gone."""
        try:
            reply = self.request(what, "GET", location, scope=scope, ok=(204,))
        except RegistryError:
            return None, 0
        held = reply.headers.get("range", "0-0")
        end = int(held.rsplit("-", 1)[-1]) if re.fullmatch(r"(bytes=)?\d+-\d+", held) else -1
        # "0-0" is what the spec sends for an empty upload, and for one byte: count it as empty.
        offset = end + 1 if end > 0 else 0
        return self.url(reply.headers.get("location", location)), offset

    def put_manifest(self, repository: str, tag: str, body: bytes, media_type: str = MANIFEST) -> str:
        """Store ``body`` under ``tag``; return its digest as the registry computed it."""
        reply = self.request(f"push {repository}:{tag}", "PUT", self.url(f"/v2/{repository}/manifests/{tag}"),
                             scope=f"repository:{repository}:pull,push", ok=(201,),
                             headers={"Content-Type": media_type}, content=body)
        return reply.headers.get("docker-content-digest", "")

    def get_manifest(self, repository: str, tag: str) -> dict | None:
        """The image manifest tagged ``tag`` (None when the repository or the tag does not exist)."""
        reply = self.request(f"read {repository}:{tag}", "GET", self.url(f"/v2/{repository}/manifests/{tag}"),
                             scope=f"repository:{repository}:pull", ok=(200, 404), headers={"Accept": MANIFEST},
                             limit=MANIFEST_LIMIT)
        if reply.status_code == 404:
            return None
        try:
            manifest = json.loads(reply.content)
        except ValueError:
            raise RegistryError(f"read {repository}:{tag}: the registry's manifest is not JSON") from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("layers"), list):
            raise RegistryError(f"read {repository}:{tag}: not an image manifest with layers")
        return manifest


def _describe(reply: httpx2.Response) -> str:
    try:
        first = reply.json()["errors"][0]
        said = f": {first.get('code')}: {first.get('message')}"
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        said = ""
    return redact(f"HTTP {reply.status_code}{said}")
