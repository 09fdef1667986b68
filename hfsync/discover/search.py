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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.discover.session import Lookup
from hfsync.errors import HfsyncError
from hfsync.hub.discover import SORTS, Listing, list_repos
from hfsync.hubfacts import license_of

if TYPE_CHECKING:
    from rich.table import Table

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


@dataclass(frozen=True)
class Found:
    """One search result, in the user's words."""

    id: str
    type: str
    task: str | None
    library: str | None
    license: str | None
    downloads: int | None
    likes: int
    updated: str | None
    created: str | None
    safetensors: bool | None  # None: the listing does not say (datasets, spaces)
    private: bool
    gated: str | bool
    tags: tuple[str, ...]

    @classmethod
    def from_hub(cls, repo_type: str, item: dict) -> Found:
        """Build from a listing item or a repo info object."""
        tags = tuple(str(t) for t in item.get("tags") or ())
        card = item.get("cardData") or {}
        if repo_type == "model":
            task = item.get("pipeline_tag") or card.get("pipeline_tag")
            library = item.get("library_name") or card.get("library_name")
        elif repo_type == "dataset":
            task = _first(card.get("task_categories")) or _tag_value(tags, "task_categories")
            library = _tag_value(tags, "library")
        else:
            task = None
            library = item.get("sdk") or card.get("sdk")
        siblings = item.get("siblings")
        if item.get("safetensors"):
            safetensors: bool | None = True
        elif siblings is not None and repo_type == "model":
            safetensors = any(s.get("rfilename", "").endswith(".safetensors") for s in siblings)
        else:
            safetensors = None
        return cls(
            id=item["id"],
            type=repo_type,
            task=task,
            library=library,
            license=license_of(item.get("cardData"), tags),
            downloads=item.get("downloads") if repo_type != "space" else None,
            likes=int(item.get("likes") or 0),
            updated=item.get("lastModified"),
            created=item.get("createdAt"),
            safetensors=safetensors,
            private=bool(item.get("private")),
            gated=item.get("gated") or False,
            tags=tags,
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Found:
        return cls(**{**data, "tags": tuple(data.get("tags") or ())})


def _first(value: object) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None


def _tag_value(tags: Iterable[str], prefix: str) -> str | None:
    return next((t.split(":", 1)[1] for t in tags if t.startswith(prefix + ":")), None)


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
        checks.append(lambda f: f.likes >= query.min_likes)  # type: ignore[operator]
    if query.min_downloads is not None:
        checks.append(lambda f: (f.downloads or 0) >= query.min_downloads)  # type: ignore[operator]
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
        pages = list_repos(lookup.hub, listing, page_size=size, retry=lookup.retry, watch=lookup.watch,
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


def results_table(results: list[Found]) -> Table:
    """The results as a rich table: id, task, library, license, downloads, likes, updated, safetensors."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for name, justify in (("id", "left"), ("task", "left"), ("library", "left"), ("license", "left"),
                          ("downloads", "right"), ("likes", "right"), ("updated", "left"),
                          ("safetensors", "left")):
        table.add_column(name, justify=justify, no_wrap=name == "id")  # type: ignore[arg-type]
    for found in results:
        table.add_row(
            found.id,
            found.task or "-",
            found.library or "-",
            found.license or "-",
            f"{found.downloads:,}" if found.downloads is not None else "-",
            f"{found.likes:,}",
            (found.updated or "")[:10] or "-",
            {True: "yes", False: "no", None: "-"}[found.safetensors],
        )
    return table


def add_results(manifest: Path, results: list[Found]) -> str:
    """Add ``results`` as pulls to ``manifest``; say what was done and what to run next."""
    from hfsync.manifest.edit import NewPull, add_pulls

    outcome = add_pulls(manifest, [NewPull(f.id, f.type) for f in results])
    lines = []
    if outcome.added:
        count = len(outcome.added)
        verb = "Created" if outcome.created else "Updated"
        lines.append(f"{verb} {manifest}: added {count} pull{'s' if count != 1 else ''}:")
        lines.extend(f"  {p.id} -> {p.dest}" for p in outcome.added)
    if outcome.skipped:
        lines.append(f"Already pulled by {manifest}: {', '.join(outcome.skipped)}")
    if outcome.added:
        lines.append("Run `hfsync lock` to pin them to commits.")
    return "\n".join(lines)
