"""The HTTP client every Hub request goes through: retries and traces, installed once.

huggingface_hub makes all its requests through one shared httpx2 client built by a
factory (``set_client_factory``); hfsync installs its own, so plan, apply, lock, pull,
import and search share one retry mechanism (hub.retry) and one trace (hub.trace)
whether the request comes from hfsync or from inside huggingface_hub.

The client retries a response with a transient status (429, 5xx, ...) or a failed
connection itself, so huggingface_hub's own backoff (hub-protocol.md §2.3) sees either
success or hfsync's HubError and does not retry on top. Requests that are not safe to
repeat (POST, PUT, ...) are retried only when the server surely did not act on them
(429, 503, a connection never made). A body that cannot be replayed (a file being
streamed) is not retried here; huggingface_hub's backoff rewinds those itself.

Credentials stay with their origin: a request carrying a token (the Hub's, a registry's) to any origin but the
endpoint it was given for is not sent (a next-page link, a redirect followed by hand), and
a redirect that would carry a request's body (307/308: an OIDC id token, a commit) to
another origin is not followed. httpx2 already drops the Authorization header when it
follows a redirect to another origin.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Protocol
from urllib.parse import urljoin

import httpx2

from hfsync.errors import HubError
from hfsync.hub import trace
from hfsync.hub.bounded import HUB_JSON
from hfsync.hub.boundedstream import Capped, cap_redirect_bodies
from hfsync.hub.retry import TransientError, waits_shown_by
from hfsync.hub.retry import shared as retry
from hfsync.origins import homes, netloc, origin

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that only ask (a card check, which upload mode a file takes, where LFS bytes go):
# no side effect, so they are retried like reads.
_ASKING = ("/api/validate-yaml", "/info/lfs/objects/batch", "/oauth/token")
_ASKING_PARTS = ("/preupload/",)
_ALWAYS = frozenset({408, 429, 500, 502, 503, 504})
_UNSAFE_OK = frozenset({429, 503})
# Best-effort requests huggingface_hub makes on its own (the agent-harness registry for
# its user agent, fetched once a day): they swallow failures, so waiting on them only
# delays the real work.
_BEST_EFFORT = ("/api/agent-harnesses",)
_install_lock = threading.Lock()
__all__ = ["HubClient", "client_factory", "install", "retry", "uninstall", "waits_shown_by"]


class Renewer(Protocol):
    def renewed(self, refused: str) -> str | None: ...


# Credentials whose tokens expire (hub.oidc): a request refused 401 with one of their tokens
# is sent once more with a new one. A 401 means the Hub did nothing, so it is safe to repeat.
_renewers: weakref.WeakSet[Renewer] = weakref.WeakSet()


def renew_with(renewer: Renewer) -> None:
    """Ask ``renewer`` for a new token when a request it gave the token of is refused with 401."""
    _renewers.add(renewer)


def _renewed(request: httpx2.Request) -> str | None:
    return renewed_token(request.headers.get("authorization"))


def renewed_token(authorization: str | None) -> str | None:
    """A new token in place of the one in ``authorization`` the Hub refused with 401, if its
    credentials renew tokens; else None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    for renewer in list(_renewers):
        fresh = renewer.renewed(token)
        if fresh is not None:
            return fresh
    return None


class _Final(Exception):
    """Carries an error out of the retry loop untouched (not to be retried)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class HubClient(httpx2.Client):
    """An httpx2 client that retries transient failures and traces every request. A response
    read whole (not streamed: huggingface_hub's JSON answers, the OIDC exchange) is read up to
    ``HUB_JSON`` bytes; file contents are streamed, and bounded by their callers."""

    def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        response = self._send(request, **kwargs)
        if response.status_code != 401 or not _renewers or not isinstance(request.stream, httpx2.ByteStream):
            return response
        fresh = _renewed(request)
        if fresh is None:
            return response
        response.close()
        request.headers["authorization"] = f"Bearer {fresh}"
        return self._send(request, **kwargs)

    def _send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        if not isinstance(request.stream, httpx2.ByteStream) or request.url.path.endswith(_BEST_EFFORT):
            return self._traced_send(request, 0, **kwargs)
        path = request.url.path
        idempotent = request.method in _IDEMPOTENT or (
            request.method == "POST" and (path.endswith(_ASKING) or any(p in path for p in _ASKING_PARTS)))
        statuses = _ALWAYS if idempotent else _UNSAFE_OK

        def attempt(number: int) -> httpx2.Response:
            try:
                response = self._traced_send(request, number, **kwargs)
            except httpx2.TransportError as error:
                if idempotent or isinstance(error, httpx2.ConnectError):
                    raise
                raise _Final(error) from error
            if response.status_code in statuses:
                status, headers = response.status_code, dict(response.headers)
                response.close()
                raise TransientError(f"HTTP {status}", status, headers)
            return response

        name = f"{trace.operation_of(request)} ({request.method} {request.url.path})"
        try:
            return retry.call(name, attempt)
        except _Final as final:
            raise final.error from None

    def _traced_send(self, request: httpx2.Request, attempt: int, **kwargs: Any) -> httpx2.Response:
        trace.set_attempt(request, attempt)
        try:
            response = super().send(request, **{**kwargs, "stream": True})
        except Exception as error:
            trace.on_failure(request, error)
            raise
        if not kwargs.get("stream"):
            # Read here, inside the attempt, as httpx2 would: a body cut short is retried.
            response.stream = Capped(response.stream, HUB_JSON, str(request.url),  # type: ignore[arg-type]
                                      f"{request.method} {request.url.path}")
            try:
                response.read()
            finally:
                response.close()
        return response


def keep_tokens_home(request: httpx2.Request) -> None:
    """Refuse to send a token (the Hub's, a registry's) to an origin it was not given for."""
    given = homes(request.headers.get("authorization", "").partition(" ")[2])
    there = origin(str(request.url))
    if given and there not in given:
        home = ", ".join(sorted(netloc(h) for h in given))
        raise HubError(f"{request.method} {request.url.path} on {netloc(there)} was not sent: it would carry a "
                       f"token that goes only to {home}",
                       hint=f"Ask the operator of {home} why it names another host.")


def keep_bodies_home(response: httpx2.Response) -> None:
    """Refuse a redirect that would send a request's body (307/308 keep it) to another origin."""
    request = response.request
    if response.status_code not in (307, 308) or "location" not in response.headers or request.method in _IDEMPOTENT:
        return
    here = origin(str(request.url))
    there = origin(urljoin(str(request.url), response.headers["location"]))
    if there != here:
        raise HubError(f"{netloc(here)} redirected {request.method} {request.url.path} to another host, "
                       f"{netloc(there)}; not followed: the request's body goes only to {netloc(here)}",
                       hint=f"Ask the operator of {netloc(here)} why it sends clients to another host.")


def client_factory() -> httpx2.Client:
    """huggingface_hub's default client, plus hfsync's retries and trace hooks."""
    from hfsync.hub.internals import request_event_hook

    return HubClient(
        # trace.on_request first: it sets X-Request-Id, which huggingface_hub's hook
        # copies into X-Amzn-Trace-Id.
        event_hooks={"request": [keep_tokens_home, trace.on_request, request_event_hook()],
                     "response": [trace.on_response, keep_bodies_home, cap_redirect_bodies]},
        follow_redirects=True,
        timeout=None,
    )


def install() -> None:
    """Make huggingface_hub (and hfsync) use the retrying, tracing client. Idempotent."""
    from huggingface_hub import get_session, set_client_factory

    with _install_lock:
        if not isinstance(get_session(), HubClient):
            set_client_factory(client_factory)


def uninstall() -> None:
    """Give huggingface_hub its default client back (for embedding and tests)."""
    from huggingface_hub import set_client_factory

    from hfsync.hub.internals import default_client_factory

    with _install_lock:
        set_client_factory(default_client_factory())
