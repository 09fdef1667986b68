"""Search the Hub for repos to depend on.

Filters the Hub's listing API can apply are sent to it; the rest (several licenses,
minimum likes or downloads, safetensors weights) are applied here over the paginated
results, and pagination stops as soon as ``limit`` results pass. Answers go through
the metadata cache, so a repeated search within the TTL, or any search offline, makes
no request.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.discover.session import Lookup
from hfsync.errors import HfsyncError
from hfsync.hub.discover import SORTS, Listing, list_repos
from hfsync.model.discover import Found

if TYPE_CHECKING:
    from hfsync.manifest.edit import AddResult

# CLI sort names -> the listing API's.
SORT_KEYS = {"downloads": "downloads", "likes": "likes", "updated": "lastModified", "created": "createdAt"}


@dataclass(frozen=True)
class SearchQuery:
    """What the user asked for."""

    repo_type: str = "model"
    text: str | None = None
    author: str | None = None
    task: str | None = None
    library: str | None = None
    licenses: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    min_likes: int | None = None
    min_downloads: int | None = None
    safetensors: bool = False
    sort: str | None = None  # a SORT_KEYS key
    limit: int = 20

    def key(self) -> str:
        """The query as a metadata-cache key: equal queries, equal keys."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


Check = Callable[[Found], bool]


def split(query: SearchQuery) -> tuple[Listing, list[Check]]:
    """The server-side listing for ``query`` and the checks left to apply client-side."""
    kind = query.repo_type
    sort = SORT_KEYS[query.sort] if query.sort else None
    if sort and sort not in SORTS[kind]:
        raise HfsyncError(f"{kind}s cannot be sorted by {query.sort}.", hint="Sort by likes, updated or created.")
    if query.task and kind == "space":
        raise HfsyncError("--task applies to models and datasets, not spaces.")
    if query.min_downloads is not None and kind == "space":
        raise HfsyncError("--min-downloads applies to models and datasets: spaces have no download counts.")
    filters = list(query.tags)
    pipeline_tag = None
    if query.task:
        if kind == "model":
            pipeline_tag = query.task
        else:
            filters.append(f"task_categories:{query.task}")
    if query.library:
        # The Hub tags models with their library, datasets with library:<name>, Spaces with the sdk.
        filters.append(f"library:{query.library}" if kind == "dataset" else query.library)
    checks: list[Check] = []
    if len(query.licenses) == 1:
        filters.append(f"license:{query.licenses[0]}")
    elif query.licenses:
        # Listing filters are all required (AND); "any of these licenses" is ours to check.
        allowed = set(query.licenses)
        checks.append(lambda f: f.license in allowed)
    if query.min_likes is not None:
        min_likes = query.min_likes
        checks.append(lambda f: f.likes >= min_likes)
    if query.min_downloads is not None:
        min_downloads = query.min_downloads
        checks.append(lambda f: (f.downloads or 0) >= min_downloads)
    if query.safetensors:
        checks.append(lambda f: f.safetensors is True)
    listing = Listing(
        repo_type=kind,
        search=query.text,
        author=query.author,
        filters=tuple(filters),
        pipeline_tag=pipeline_tag,
        sort=sort,
        expand=None,
    )
    return listing, checks


def _past_the_floor(query: SearchQuery, found: Found) -> bool:
    """Results come sorted, descending: once one is below a minimum, all the rest are."""
    if query.sort == "likes" and query.min_likes is not None:
        return found.likes < query.min_likes
    if query.sort == "downloads" and query.min_downloads is not None:
        return (found.downloads or 0) < query.min_downloads
    return False


def run_search(lookup: Lookup, query: SearchQuery, *, page_size: int = 100) -> list[Found]:
    """The first ``query.limit`` repos matching ``query``, through the metadata cache."""
    listing, checks = split(query)
    # Without client-side checks one page of `limit` items is the whole answer.
    size = min(page_size, query.limit) if not checks else page_size

    def fetch(offline_hint: str | None) -> list[dict]:
        results: list[dict] = []
        pages = list_repos(lookup.hub, listing, page_size=size, watch=lookup.watch,
                           offline_hint=offline_hint)
        for item in pages:
            found = Found.from_hub(query.repo_type, item)
            if _past_the_floor(query, found):
                break
            if all(check(found) for check in checks):
                results.append(found.to_dict())
                if len(results) >= query.limit:
                    break
        return results

    describe = f"this search of {query.repo_type}s"
    answer = lookup.reads.read(("search", query.repo_type, query.key()), describe, fetch, immutable=False)
    return [Found.from_dict(item) for item in answer]


def add_results(manifest: Path, results: list[Found]) -> AddResult:
    """Add ``results`` as pulls to ``manifest`` (created if missing)."""
    from hfsync.manifest.edit import NewPull, add_pulls

    return add_pulls(manifest, [NewPull(f.id, f.type) for f in results])
