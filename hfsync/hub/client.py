"""The connection to one Hub endpoint, and the translation of its errors."""
from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar, cast

from huggingface_hub import constants

from hfsync import __version__
from hfsync.environment import hub_token
from hfsync.errors import AccessError, HubError
from hfsync.hub import retry as retries
from hfsync.hub.metacache import MetadataCache
from hfsync.hub.retry import Retry
from hfsync.log import redact, register_secret
from hfsync.origins import bind

P = TypeVar("P")

if TYPE_CHECKING:
    import httpx2
    from huggingface_hub import HfApi

PUBLIC_ENDPOINT = "https://huggingface.co"


class Credentials:
    """The token each request carries: one personal token (or none) for every repo.

    A provider of repo-scoped tokens (the Hub's Trusted Publishers exchange, one
    short-lived token per target repo) overrides ``token_for``; requests that concern no
    single repo (whoami, search, the card check) carry ``token``."""

    expires = False  # whether a token given expires during a run (a long push is then sent in parts)

    def __init__(self, token: str | None) -> None:
        self.token = token

    def token_for(self, repo_type: str, repo_id: str) -> str | None:
        """The token for requests about ``repo_type`` ``repo_id``."""
        return self.token

    def publishes(self) -> bool:
        """Whether these credentials can write at all (a token is given, or exchanged per repo)."""
        return bool(self.token)

    def publishing(self, repos: Iterable[tuple[str, str]]) -> None:
        """The (type, id) of the repos this run publishes to (per-repo credentials need them)."""


class Hub:
    """One Hub endpoint: the credentials of each target repo, the retry policy of its
    requests, the metadata cache of its answers, and its parts (``part``): the metadata
    reads (hub.reads), file transfers (hub.download), publishing (hub.publish, hub.commit) and Xet
    (hub.xetpull) are modules that take the Hub. Every request is traced (hub.trace): the
    trace, like huggingface_hub's HTTP client under it, is one per process.

    huggingface_hub's client (``api``, ``session()``) is loaded on first use: a command
    that only reads metadata (hub.reads) starts without it."""

    def __init__(self, endpoint: str | None = None, token: str | None = None,
                 credentials: Credentials | None = None, *, retry: Retry | None = None,
                 cache: MetadataCache | None = None) -> None:
        self.endpoint = (endpoint or constants.ENDPOINT or PUBLIC_ENDPOINT).rstrip("/")
        # hfsync's own requests retry by this policy (a command shows its waits); those made
        # inside huggingface_hub's client retry by the shared one (hub.session).
        self.retry = retry or retries.shared
        self._cache = cache
        self._parts: dict[object, object] = {}
        if credentials is None:
            # huggingface_hub's own lookup: HF_TOKEN, then the `hf auth login` store.
            token = token or hub_token()
            if token is None:
                from huggingface_hub import get_token

                token = get_token()
            credentials = Credentials(token)
        self.credentials = credentials
        self.token = credentials.token  # the personal token: requests about no one repo
        register_secret(self.token)
        bind(self.token, self.endpoint)  # the HTTP client sends it nowhere else (hub.session)
        self._apis: dict[str | None, HfApi] = {}
        self._lock = threading.Lock()

    @property
    def cache(self) -> MetadataCache:
        """The cache of this Hub's read-only metadata answers (opened on first use)."""
        if self._cache is None:
            self._cache = MetadataCache()
        return self._cache

    def part(self, kind: Callable[[Hub], P]) -> P:
        """This Hub's one ``kind(hub)`` (a reader, say, and its kept-alive connections),
        made on first use and shared by the threads of the run."""
        with self._lock:
            if kind not in self._parts:
                self._parts[kind] = kind(self)
            return cast(P, self._parts[kind])  # made by kind

    def token_for(self, repo_type: str, repo_id: str) -> str | None:
        """The token a request about one repo carries (registered as a secret: never printed)."""
        token = self.credentials.token_for(repo_type, repo_id)
        register_secret(token)
        bind(token, self.endpoint)
        return token

    def headers(self, repo_type: str | None = None, repo_id: str | None = None,
                extra: dict[str, str] | None = None) -> dict[str, str]:
        """huggingface_hub's headers (user agent, authorization) for a request about one repo,
        or about none when ``repo_id`` is None."""
        from huggingface_hub.utils import build_hf_headers

        token = self.token_for(repo_type or "model", repo_id) if repo_id is not None else self.token
        return build_hf_headers(token=token or False, library_name="hfsync", library_version=__version__,
                                headers=extra)

    def page(self, repo_type: str, repo_id: str) -> str:
        """The repo's page on this Hub, where a user requests access to a gated repo."""
        return f"{self.endpoint}/{'' if repo_type == 'model' else repo_type + 's/'}{repo_id}"

    def session(self) -> httpx2.Client:
        """huggingface_hub's shared HTTP client, retrying and tracing every request (hub.session)."""
        from huggingface_hub import get_session

        from hfsync.hub.session import install

        install()
        return get_session()

    @property
    def api(self) -> HfApi:
        """huggingface_hub's HfApi for this endpoint and the personal token, on the retrying, tracing client."""
        return self._api_with(self.token)

    def api_for(self, repo_type: str, repo_id: str) -> HfApi:
        """huggingface_hub's HfApi carrying the token for requests about one repo."""
        return self._api_with(self.token_for(repo_type, repo_id))

    def _api_with(self, token: str | None) -> HfApi:
        with self._lock:
            if token not in self._apis:
                from huggingface_hub import HfApi

                from hfsync.hub.session import install

                install()
                self._apis[token] = HfApi(endpoint=self.endpoint, token=token or False, library_name="hfsync",
                                          library_version=__version__)
            return self._apis[token]


def library_version() -> str:
    """The version of huggingface_hub, which writes what hfsync sends through it."""
    from huggingface_hub import __version__ as version

    return version


def refusal(error: BaseException | None) -> str | None:
    """"gated", "repo", "revision" or "entry" when ``error`` is huggingface_hub's error for a
    gated repo, a missing repo, revision or file; else None."""
    errors = sys.modules.get("huggingface_hub.errors")  # not loaded: none of its errors was raised
    if errors is None or error is None:
        return None
    for name, kind in (("GatedRepoError", "gated"), ("RepositoryNotFoundError", "repo"),
                       ("RevisionNotFoundError", "revision"), ("EntryNotFoundError", "entry")):
        if isinstance(error, getattr(errors, name)):
            return kind
    return None


def http_error(error: BaseException | None) -> bool:
    """Whether ``error`` is huggingface_hub's error for an HTTP error status."""
    from huggingface_hub.errors import HfHubHTTPError

    return isinstance(error, HfHubHTTPError)


def http_status(error: BaseException | None) -> int | None:
    """The HTTP status of a client error (None for another error)."""
    return getattr(getattr(error, "response", None), "status_code", None)


@contextlib.contextmanager
def translate_errors(operation: str, repo_id: str | None = None) -> Iterator[None]:
    """Turn huggingface_hub's exceptions into HubError naming the operation."""
    from hfsync.hub.trace import operation as traced

    what = f"{operation} {repo_id}" if repo_id else operation
    try:
        with traced(what):
            yield
    except Exception as error:
        translated = _translated(what, error)
        if translated is None:
            raise
        raise translated from error


def _translated(what: str, error: Exception) -> HubError | None:
    # huggingface_hub's errors and httpx2's can only have been raised once their modules
    # are loaded: a command that never loaded them does not load them to check.
    kind = refusal(error)
    if kind == "gated":
        return AccessError(f"{what}: the repo is gated and this token has no access.",
                        hint="Request access on the Hub, or use a token that has it.")
    if kind == "repo":
        return HubError(f"{what}: repository not found, or not visible with this token.",
                        hint="Check the id and type, and that HF_TOKEN can read it.")
    if kind == "revision":
        return HubError(f"{what}: revision not found.")
    if kind == "entry":
        return HubError(f"{what}: file not found on the Hub.")
    errors = sys.modules.get("huggingface_hub.errors")
    if errors is not None and isinstance(error, errors.LocalTokenNotFoundError):
        return HubError(f"{what}: no Hub token.", hint="Set HF_TOKEN, pass --token, or run `hf auth login`.")
    if errors is not None and isinstance(error, errors.HfHubHTTPError):
        status = error.response.status_code if error.response is not None else None
        if status == 401:
            return HubError(
                f"{what}: the Hub refused the token (401 Unauthorized): it is invalid, expired or revoked.",
                hint="Check HF_TOKEN (or --token, or `hf auth login`) and the --endpoint it belongs to.",
            )
        if status == 403:
            said = f": {redact(error.server_message).rstrip('.')}" if error.server_message else ""
            return HubError(
                f"{what}: the Hub refused this token (403 Forbidden){said}.",
                hint="Use a token with write access to the namespace (a fine-grained token needs it granted).",
            )
        first_line = hub_text(error).splitlines()[0] if str(error) else type(error).__name__
        # The Hub's own words (X-Error-Message) say what to do, e.g. "split them into several commits".
        said = redact(error.server_message or "").strip()
        said = f": {said}" if status == 422 and said and said not in first_line else ""
        return HubError(f"{what}: the Hub answered: {_without_url(first_line)}{said}")
    if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
        return HubError(
            f"{what}: the Hub's answer could not be read ({type(error).__name__}: not the JSON it should be).",
            hint="Retry later; if it persists, check that --endpoint points at a Hub.",
        )
    httpx = sys.modules.get("httpx2")
    if httpx is not None and isinstance(error, httpx.TransportError):
        return HubError(f"{what}: the connection to the Hub broke ({type(error).__name__}: "
                        f"{redact(str(error)) or 'no detail'}).")
    if isinstance(error, OSError | RuntimeError):  # hf_xet raises RuntimeError for answers it cannot read
        xet = xet_failure(str(error))
        if xet:
            return HubError(f"{what}: {xet}")
        if not isinstance(error, OSError):
            return None
        return HubError(f"{what}: cannot reach the Hub at this endpoint: {redact(str(error))}")
    return None


_XET_ERROR = re.compile(r"[A-Z][a-z]+(?: [a-z]+)* error: ")  # hf_xet's "Network error: ..."
_XET_STATUS = re.compile(r"\((\d{3}) ([^)]*)\)")
_XET_URL = re.compile(r"https?://[^\s/]+(/[^\s,)]*)")
_XET_ROUTES = (("/xorbs/", "a xorb upload"), ("/shards", "a shard upload"), ("/reconstructions", "a reconstruction"),
               ("/chunks/", "a dedup query"), ("/xorb", "a xorb download"))
_XET_WORDS = (("shard", "a shard upload"), ("xorb", "a xorb upload"), ("reconstruction", "a reconstruction"))


def xet_failure(text: str) -> str | None:
    """One sentence for an error raised by hf_xet (the Xet storage client), or None when
    ``text`` is not one. hf_xet retries transient failures itself before it raises."""
    if not _XET_ERROR.match(text):
        return None
    url = _XET_URL.search(text)
    if url:
        route = next((name for part, name in _XET_ROUTES if part in url.group(1)), "a request")
    else:
        route = next((name for word, name in _XET_WORDS if word in text.lower()), "a request")
    status = _XET_STATUS.search(text)
    if status:
        return f"the Hub's Xet storage answered {status.group(1)} {status.group(2)} to {route}."
    if "Invalid response" in text:
        return f"the Hub's Xet storage gave an unreadable answer to {route}."
    return f"the connection to the Hub's Xet storage failed during {route}."


def hub_text(error: BaseException) -> str:
    """The text of a client error, secrets redacted, without the request id huggingface_hub
    adds (``(Request ID: ...)``): noise in a one-paragraph error, and different every run."""
    return _REQUEST_ID.sub("", redact(str(error)))


_REQUEST_ID = re.compile(r" ?\((?:Request ID|Amzn Trace ID|Amz CF ID): [^)]*\)")


def _without_url(line: str) -> str:
    # httpx's "Client error '404 Not Found' for url 'http://...?expand=...'": the URL with its
    # query is noise in a one-paragraph error (the operation already names the repo).
    return line.split(" for url ", 1)[0]
