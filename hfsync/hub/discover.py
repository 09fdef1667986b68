"""Read-only Hub queries for discovery: listings with server-side filters, repo info,
the head commit, a repo card's text.

Answers are the Hub's JSON as sent (plain dicts and lists), so the metadata cache can
keep them verbatim. Requests go through huggingface_hub's HTTP session and error
classification, the Hub's retry policy (hub.retry), the slow-Hub watch, then
``translate_errors``. Listings follow ``Link: rel="next"`` one page at a time, so a
caller that stops iterating requests no further page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2
from huggingface_hub.errors import EntryNotFoundError
from huggingface_hub.utils import hf_raise_for_status

from hfsync.hub.bounded import head_of
from hfsync.hub.boundedstream import read_error_page
from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.retry import TransientError, transient_errors
from hfsync.hub.slow import SlowWatch

# What of a card is read for its summary: as much as a diff reads of a text file.
CARD_HEAD = 1_000_000

# What a listing asks the Hub to include per item (the ``expand`` values it accepts per
# type; an unknown one is a 400 on the Hub): enough for a search table and its filters.
EXPAND: dict[str, tuple[str, ...]] = {
    "model": (
        "author", "cardData", "createdAt", "downloads", "gated", "lastModified",
        "library_name", "likes", "pipeline_tag", "private", "safetensors", "sha", "siblings", "tags",
    ),
    "dataset": (
        "author", "cardData", "createdAt", "downloads", "gated", "lastModified", "likes",
        "private", "sha", "siblings", "tags",
    ),
    "space": (
        "author", "cardData", "createdAt", "lastModified", "likes", "private", "sdk", "sha",
        "siblings", "tags",
    ),
}

# Sort keys the listing API takes, per type (spaces have no download counts).
SORTS: dict[str, tuple[str, ...]] = {
    "model": ("downloads", "likes", "lastModified", "createdAt", "trendingScore"),
    "dataset": ("downloads", "likes", "lastModified", "createdAt", "trendingScore"),
    "space": ("likes", "lastModified", "createdAt", "trendingScore"),
}


@dataclass(frozen=True)
class Listing:
    """The part of a search the Hub's listing API applies itself."""

    repo_type: str
    search: str | None = None
    author: str | None = None
    filters: tuple[str, ...] = ()  # repo tags, all required (AND)
    pipeline_tag: str | None = None  # models only
    sort: str | None = None  # a SORTS value
    direction: int = -1  # descending, the Hub's default; sent for servers that need it
    expand: tuple[str, ...] | None = None  # None: EXPAND[repo_type]
    full: bool = False
    card_data: bool = False

    def params(self, page_size: int) -> list[tuple[str, Any]]:
        """The query string, in the shape huggingface_hub sends it (lists repeat the key)."""
        params: list[tuple[str, Any]] = []
        if self.search:
            params.append(("search", self.search))
        if self.author:
            params.append(("author", self.author))
        params.extend(("filter", tag) for tag in self.filters)
        if self.pipeline_tag:
            params.append(("pipeline_tag", self.pipeline_tag))
        if self.sort:
            params.append(("sort", self.sort))
            params.append(("direction", str(self.direction)))
        params.append(("limit", page_size))
        if self.full or self.card_data:
            # The Hub refuses `expand` together with `full`/`cardData`.
            if self.full:
                params.append(("full", "true"))
            if self.card_data:
                params.append(("cardData", "true"))
        else:
            params.extend(("expand", prop) for prop in (self.expand or EXPAND[self.repo_type]))
        return params


def _api_url(hub: Hub, repo_type: str, repo_id: str | None = None) -> str:
    url = f"{hub.endpoint}/api/{repo_type}s"
    return f"{url}/{repo_id}" if repo_id else url


def _timed(watch: SlowWatch | None, what: str, hint: str | None) -> contextlib.AbstractContextManager:
    return watch.timing(what, hint) if watch else contextlib.nullcontext()


def _get(hub: Hub, url: str, params: Any, what: str,
         repo: tuple[str, str] | None = None) -> httpx2.Response:
    """One GET, retried on transient failures; raises huggingface_hub's errors otherwise.
    ``repo`` (type, id): the repo it is about, whose token it carries."""
    headers = hub.headers(*repo) if repo is not None else hub.headers()

    def attempt(_: int) -> httpx2.Response:
        response = hub.session().get(url, headers=headers, params=params, follow_redirects=True)
        hf_raise_for_status(response)
        return response

    return hub.retry.call(what, attempt)


def list_repos(
    hub: Hub,
    listing: Listing,
    *,
    page_size: int = 100,
    watch: SlowWatch | None = None,
    offline_hint: str | None = None,
) -> Iterator[dict]:
    """Yield listing items page by page; stop iterating and no further page is requested."""
    what = f"listing {listing.repo_type}s"
    url: str | None = _api_url(hub, listing.repo_type)
    params: Any = listing.params(page_size)
    while url:
        with translate_errors(what), _timed(watch, what, offline_hint):
            response = _get(hub, url, params, what)
            page = response.json()
        yield from page
        # The next page's URL carries the query (and the Hub's cursor) already.
        url, params = response.links.get("next", {}).get("url"), None


def repo_info(
    hub: Hub,
    repo_type: str,
    repo_id: str,
    revision: str | None = None,
    *,
    files_metadata: bool = False,
    watch: SlowWatch | None = None,
    offline_hint: str | None = None,
) -> dict:
    """GET /api/{types}/{id}[/revision/{rev}]; with ``files_metadata``, siblings carry sizes."""
    url = _api_url(hub, repo_type, repo_id)
    if revision:
        url += f"/revision/{quote(revision, safe='')}"
    params = {"blobs": "true"} if files_metadata else None
    what = f"reading {repo_type} {repo_id}"
    with translate_errors("reading", repo_id), _timed(watch, what, offline_hint):
        return _get(hub, url, params, what, (repo_type, repo_id)).json()


def head_commit(
    hub: Hub, repo_type: str, repo_id: str, revision: str, *,
    watch: SlowWatch | None = None,
) -> dict | None:
    """The newest commit at ``revision`` ({id, title, message, date, authors}), or None."""
    url = f"{_api_url(hub, repo_type, repo_id)}/commits/{quote(revision, safe='')}"
    what = f"reading the commits of {repo_type} {repo_id}"
    with translate_errors("reading the commits of", repo_id), _timed(watch, what, None):
        # The first page, newest first, is all we need.
        commits = _get(hub, url, None, what, (repo_type, repo_id)).json()
    return commits[0] if commits else None


def card_text(
    hub: Hub, repo_type: str, repo_id: str, commit: str, *,
    watch: SlowWatch | None = None,
) -> str | None:
    """The start of README.md at ``commit`` (its first ``CARD_HEAD`` bytes: a summary is near the
    top) as text, or None when the repo has no card."""
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]
    url = f"{hub.endpoint}/{prefix}{repo_id}/resolve/{commit}/README.md"
    what = f"reading the card of {repo_type} {repo_id}"
    headers = hub.headers(repo_type, repo_id)

    def attempt(_: int) -> bytes:
        with hub.session().stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code >= 400:
                read_error_page(response)
                hf_raise_for_status(response)
            try:
                return head_of(response.iter_bytes(), CARD_HEAD)  # the rest is left unread
            except transient_errors() as error:
                raise TransientError(f"{type(error).__name__}: {error}") from error

    with translate_errors("reading the card of", repo_id), _timed(watch, what, None):
        try:
            return hub.retry.call(what, attempt).decode("utf-8", errors="replace")
        except EntryNotFoundError:
            return None
