"""Listing and search: GET /api/models, /api/datasets, /api/spaces."""

from __future__ import annotations

from hfsync.sandbox.api_refs import paginate
from hfsync.sandbox.auth import HubError
from hfsync.sandbox.cards import tags_for
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.info import card_data, listing_item
from hfsync.sandbox.state import TYPES, Hub

SORTS = {
    "downloads": lambda r: r.meta.get("downloads", 0),
    "likes": lambda r: r.meta.get("likes", 0),
    "lastModified": lambda r: r.meta["lastModified"],
    "createdAt": lambda r: r.meta["createdAt"],
    "trendingScore": lambda r: r.meta.get("trendingScore", 0),
}
_SNAKE = {
    "last_modified": "lastModified",
    "created_at": "createdAt",
    "trending_score": "trendingScore",
}


def list_repos(hub: Hub, req: Request, types: str) -> Response:
    repo_type = TYPES[types]
    searches = [s.lower() for s in req.query.get("search", []) if s]
    author = req.arg("author")
    filters = req.query.get("filter", [])
    gated = req.arg("gated")
    pipeline_tag = req.arg("pipeline_tag")
    found = []
    for repo in hub.repos.all(repo_type):
        if not hub.can_read(req, repo):
            continue
        if author and repo.namespace.lower() != author.lower():
            continue
        if any(s not in repo.id.lower() for s in searches):
            continue
        if gated is not None and bool(repo.meta.get("gated")) != (gated.lower() == "true"):
            continue
        head = repo.branch_head("main")
        if head is None:
            continue
        if filters or pipeline_tag:
            card = card_data(repo, head)
            tags = set(tags_for(card, repo_type))
            if pipeline_tag and (card or {}).get("pipeline_tag") != pipeline_tag:
                continue
            if not all(f in tags or f == repo.id for f in filters):
                continue
        found.append((repo, head))
    sort = req.arg("sort")
    if sort:
        sort = _SNAKE.get(sort, sort)
        if sort not in SORTS:
            raise HubError(400, f"Invalid sort parameter {sort!r}")
        # Descending by default, as on the Hub; direction=1 asks for ascending.
        ascending = req.arg("direction") == "1"
        found.sort(key=lambda pair: (SORTS[sort](pair[0]), pair[0].id), reverse=not ascending)
    page, headers = paginate(req, found, 1000)
    full = req.flag("full")
    expand = req.query.get("expand") or req.query.get("expand[]") or []
    with_card = req.flag("cardData")
    items = [listing_item(repo, head, full, with_card, expand) for repo, head in page]
    return json_response(items, headers=headers)
