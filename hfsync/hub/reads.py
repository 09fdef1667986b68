"""Metadata reads (JSON GETs) for plan, without loading huggingface_hub's client.

CI runs `hfsync plan` on every push, and a plan with nothing to change only reads: repo
info and the file tree of each target. Importing huggingface_hub's HfApi (and the HTTP
client under it) costs several times what those reads do, so they go over hub.getpool's
kept-alive standard-library connections, retried like every request (hub.retry) and
written to the trace. An answer is read up to ``bounded.HUB_JSON`` (an error page, its first
bytes only). What the Hub refuses is raised as huggingface_hub raises it
(``hf_raise_for_status``, loaded only then), so translate_errors words it as for any
other request. With a proxy configured, huggingface_hub's client (which knows proxies)
makes the same requests.

The answers are read as huggingface_hub reads them: a repo's ``cardData`` as its card
data classes give it back (``ModelCardData(**data).to_dict()``), through those classes
whenever they would change something.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import getproxies

from hfsync import __version__
from hfsync.errors import HubError
from hfsync.hub import trace
from hfsync.hub.bounded import HUB_JSON, read_capped
from hfsync.hub.client import Hub, library_version
from hfsync.hub.getpool import GetPool
from hfsync.hub.retry import RETRY_STATUSES, TransientError

Repo = tuple[str, str]  # (repo type, repo id)
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
# Card data keys huggingface_hub's card data classes rewrite (eval results, tags made unique).
_REWRITTEN = frozenset({"model-index", "eval_results", "train_eval_index", "train-eval-index"})


class Reply:
    """One answer: its JSON, and the URL of the next page when the listing goes on."""

    def __init__(self, data: Any, next_url: str | None) -> None:
        self.data = data
        self.next_url = next_url


def _refuse(status: int, headers: Sequence[tuple[str, str]], body: bytes, url: str) -> None:
    """Raise what huggingface_hub raises for this answer (an error status)."""
    import httpx2
    from huggingface_hub.utils import hf_raise_for_status

    hf_raise_for_status(httpx2.Response(status, headers=list(headers), content=body,
                                        request=httpx2.Request("GET", url)))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _user_agent() -> str:
    python = ".".join(str(n) for n in sys.version_info[:3])
    return f"hfsync/{__version__}; hf_hub/{library_version()}; python/{python}"


def card_data(raw: Any, repo_type: str) -> dict[str, Any]:
    """A repo's ``cardData`` as huggingface_hub's repo info gives it (``card_data.to_dict()``)."""
    if not isinstance(raw, dict) or not raw:
        return {}
    tags = raw.get("tags")
    unique = tags is None or (isinstance(tags, list) and all(tag not in tags[:i] for i, tag in enumerate(tags)))
    if unique and not _REWRITTEN & raw.keys():
        return {key: value for key, value in raw.items() if value is not None}
    from huggingface_hub import DatasetCardData, ModelCardData, SpaceCardData

    kind = {"dataset": DatasetCardData, "space": SpaceCardData}.get(repo_type, ModelCardData)
    return kind(**raw, ignore_metadata_errors=True).to_dict()


class Reader:
    """JSON GETs against one Hub endpoint with one identity."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.headers = {"user-agent": _user_agent(), "accept-encoding": "identity"}
        self.pool = GetPool() if not getproxies() else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def headers_for(self, repo: Repo | None) -> dict[str, str]:
        """The headers of a request about ``repo`` (type, id), or about none: its token's."""
        token = self.hub.token_for(*repo) if repo is not None else self.hub.token
        return {**self.headers, "authorization": f"Bearer {token}"} if token else self.headers

    def get(self, path: str, params: Sequence[tuple[str, str]] = (), *, repo: Repo | None = None) -> Reply:
        """GET ``path`` (under /api) or a full URL; its JSON. ``repo`` (type, id): the repo the
        request is about, whose token it carries."""
        url = path if "://" in path else f"{self.hub.endpoint}{path}"
        if params:
            url += "?" + urlencode(list(params))
        headers = self.headers_for(repo)
        if self.pool is None:
            return self._through_client(url, headers)
        pool = self.pool
        path = urlsplit(url).path
        name = f"{trace.operation_for('GET', path)} (GET {path})"

        def attempt(number: int, renew: bool = True) -> Reply:
            with pool.get(url, headers, attempt=number) as reply:
                body = read_capped(reply.chunks(1 << 16), HUB_JSON, url, name) if reply.status < 300 else reply.read()
                fresh = _renewed(headers.get("authorization")) if reply.status == 401 and renew else None
                if fresh is not None:  # a token that expired mid-run (OIDC's last an hour): once more, renewed
                    headers["authorization"] = f"Bearer {fresh}"
                if reply.status in RETRY_STATUSES:
                    raise TransientError(f"HTTP {reply.status}", reply.status, reply.headers)
                if reply.status >= 400 and fresh is None:
                    _refuse(reply.status, list(reply.headers.items()), body, reply.url)
                link = reply.headers.get("link")
            if fresh is not None:
                return attempt(number, renew=False)
            found = _NEXT.search(link) if link else None
            return Reply(json.loads(body), found.group(1) if found else None)

        return self.hub.retry.call(name, attempt)

    def _through_client(self, url: str, headers: dict[str, str]) -> Reply:
        from huggingface_hub.utils import hf_raise_for_status

        response = self.hub.session().get(url, headers=headers)
        hf_raise_for_status(response)
        following = response.links.get("next", {}).get("url")
        return Reply(response.json(), following)

    def pages(self, path: str, params: Sequence[tuple[str, str]] = (), *, repo: Repo | None = None) -> list[Any]:
        """Every item of a paginated listing (Link: <...>; rel="next")."""
        return [item for page in self.each_page(path, params, repo=repo) for item in page]

    def each_page(
        self, path: str, params: Sequence[tuple[str, str]] = (), *, repo: Repo | None = None
    ) -> Iterator[list[Any]]:
        """The pages of a paginated listing, each as it arrives: a caller that keeps what it
        needs of each holds one page of the Hub's JSON at a time, not the whole listing."""
        reply = self.get(path, params, repo=repo)
        yield reply.data
        while reply.next_url:
            if _origin(reply.next_url) != _origin(self.hub.endpoint):
                # The next page would carry the token: only to the Hub itself.
                raise HubError(f"the Hub's listing of {urlsplit(self.hub.endpoint + path).path} named its next "
                               f"page on another host ({_origin(reply.next_url)}); it was not followed")
            reply = self.get(reply.next_url, repo=repo)
            yield reply.data

    def repo_info(self, repo_id: str, repo_type: str, revision: str | None, expand: Sequence[str]) -> dict[str, Any]:
        """The repo's properties named by ``expand``, at ``revision`` (the default branch when None)."""
        path = f"/api/{repo_type}s/{repo_id}"
        if revision is not None:
            path += f"/revision/{quote(revision, safe='')}"
        return self.get(path, [("expand", name) for name in expand], repo=(repo_type, repo_id)).data


def _renewed(authorization: str | None) -> str | None:
    # hub.session loads the HTTP client a no-op plan does without: only when a token is refused.
    from hfsync.hub.session import renewed_token

    return renewed_token(authorization)
