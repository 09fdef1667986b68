"""Collections: GET|POST /api/collections, GET|PATCH|DELETE /api/collections/{slug},
POST /api/collections/{slug}/items, PATCH|DELETE /api/collections/{slug}/items/{item id}.

As on the Hub: a slug is ``namespace/title-slug-<24 hex id>``; renaming changes the title part
but keeps the id, and the collection answers to any slug ending in its id. A title is unique in
its namespace (a second create answers 409 with the existing slug). Items keep positions
0..n-1 in order; an item naming a repo the caller cannot see answers 404, one already there 409.
Papers are not stored by the sandbox: any arXiv-style id (``2311.12983``) is taken as a paper.
Each collection is one JSON file under ``collections/``, written whole under one lock.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from pathlib import Path
from urllib.parse import unquote

from hfsync.sandbox.api_refs import paginate
from hfsync.sandbox.auth import HubError
from hfsync.sandbox.gitstore import atomic_write
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.repos import iso, now_ms
from hfsync.sandbox.state import Hub

THEMES = ("orange", "blue", "green", "purple", "pink", "indigo")
ITEM_TYPES = ("model", "dataset", "space", "paper")
PAPER = re.compile(r"^\d{4}\.\d{4,5}$")
MAX_DESCRIPTION, MAX_NOTE, MAX_TITLE = 150, 500, 60
LISTED_ITEMS = 4  # a listing shows this many items of each collection, as the Hub does
_lock = threading.RLock()


def _dir(hub: Hub) -> Path:
    return hub.data_dir / "collections"


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "collection"


def _all(hub: Hub) -> list[dict]:
    folder = _dir(hub)
    found = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return sorted(found, key=lambda c: (c["owner"], c["position"]))


def _save(hub: Hub, coll: dict) -> None:
    coll["lastUpdated"] = iso(now_ms())
    _dir(hub).mkdir(parents=True, exist_ok=True)
    atomic_write(_dir(hub) / f"{coll['_id']}.json", json.dumps(coll, indent=1).encode())


def _visible(hub: Hub, req: Request, coll: dict) -> bool:
    return not coll["private"] or hub.accounts.can_write(req.user, coll["owner"])


def _find(hub: Hub, req: Request, ns: str, slug: str) -> dict:
    ident = unquote(slug).rsplit("-", 1)[-1]
    path = _dir(hub) / f"{ident}.json"
    if re.fullmatch(r"[0-9a-f]{24}", ident) and path.is_file():
        coll = json.loads(path.read_text())
        if coll["owner"].lower() == unquote(ns).lower() and _visible(hub, req, coll):
            return coll  # type: ignore[no-any-return]
    raise HubError(404, "Collection not found")


def _writable(hub: Hub, req: Request, ns: str, slug: str) -> dict:
    coll = _find(hub, req, ns, slug)
    hub.require_write(req, coll["owner"])
    return coll


def _public(coll: dict, items: int | None = None) -> dict:
    shown = coll["items"] if items is None else coll["items"][:items]
    return {
        "slug": f"{coll['owner']}/{_slugify(coll['title'])}-{coll['_id']}",
        "title": coll["title"],
        "description": coll.get("description"),
        "owner": {"name": coll["owner"], "type": "org" if coll.get("org") else "user"},
        "items": [{**item, "position": n} for n, item in enumerate(shown)],
        "lastUpdated": coll["lastUpdated"],
        "position": coll["position"],
        "private": coll["private"],
        "theme": coll["theme"],
        "upvotes": 0,
        "isUpvotedByUser": False,
        "gating": False,
    }


def _text(body: dict, name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise HubError(400, f"{name} must be a string of at most {limit} characters")
    return value


def list_collections(hub: Hub, req: Request) -> Response:
    """GET /api/collections?owner=&item=&sort=&limit=: items cut to the first four."""
    owners = {o.lower() for o in req.query.get("owner", [])}
    wanted = req.query.get("item", [])
    found = []
    for coll in _all(hub):
        if not _visible(hub, req, coll) or (owners and coll["owner"].lower() not in owners):
            continue
        keys = {f"{i['type']}s/{i['id']}" for i in coll["items"]}
        if all(w in keys for w in wanted):
            # A listing entry has no position: the client numbers them itself.
            found.append({k: v for k, v in _public(coll, LISTED_ITEMS).items() if k != "position"})
    if req.arg("sort") == "lastModified":
        found.sort(key=lambda c: c["lastUpdated"], reverse=True)
    page, headers = paginate(req, found, 100)
    return json_response(page, headers=headers)


def create(hub: Hub, req: Request) -> Response:
    body = req.json()
    title, namespace = body.get("title"), body.get("namespace") or req.user
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise HubError(400, f"title is required, at most {MAX_TITLE} characters")
    if not isinstance(namespace, str) or not hub.accounts.namespace_exists(namespace):
        raise HubError(404, f"Namespace {namespace} not found")
    namespace = hub.accounts.canonical(namespace)
    hub.require_write(req, namespace)
    description = _text(body, "description", MAX_DESCRIPTION)
    with _lock:
        mine = [c for c in _all(hub) if c["owner"] == namespace]
        same = next((c for c in mine if c["title"] == title), None)
        if same is not None:
            return json_response({"error": "Collection already exists", "slug": _public(same)["slug"]}, 409)
        ident = secrets.token_hex(12)
        coll: dict = {"_id": ident, "title": title, "description": description, "owner": namespace,
                "org": namespace in hub.accounts.orgs, "private": bool(body.get("private", False)),
                "theme": THEMES[int(ident, 16) % len(THEMES)], "position": len(mine), "items": []}
        _save(hub, coll)
    return json_response(_public(coll))


def collection(hub: Hub, req: Request, ns: str, slug: str) -> Response:
    """GET the collection; PATCH its metadata (answered as {"data": ...}); DELETE it."""
    if req.method == "GET":
        return json_response(_public(_find(hub, req, ns, slug)))
    with _lock:
        coll = _writable(hub, req, ns, slug)
        if req.method == "DELETE":
            (_dir(hub) / f"{coll['_id']}.json").unlink()
            return json_response({"success": True})
        body = req.json()
        if "title" in body:
            title = body["title"]
            if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
                raise HubError(400, f"title must be a string of 1 to {MAX_TITLE} characters")
            coll["title"] = title
        if "description" in body:
            coll["description"] = _text(body, "description", MAX_DESCRIPTION)
        if "private" in body:
            coll["private"] = bool(body["private"])
        if "theme" in body:
            if body["theme"] not in THEMES:
                raise HubError(400, f"theme must be one of {', '.join(THEMES)}")
            coll["theme"] = body["theme"]
        if "position" in body:
            coll["position"] = int(body["position"])
        _save(hub, coll)
    return json_response({"data": _public(coll)})


def _item(hub: Hub, req: Request, raw: object) -> dict:
    if not isinstance(raw, dict) or raw.get("type") not in ITEM_TYPES or not isinstance(raw.get("id"), str):
        raise HubError(400, f"item must be {{id, type}} with type one of {', '.join(ITEM_TYPES)}")
    kind, ident = raw["type"], raw["id"]
    if kind == "paper":
        if not PAPER.match(ident):
            raise HubError(404, f"Paper {ident} not found")
        return {"id": ident, "type": kind}
    if ident.count("/") != 1:
        raise HubError(404, f"{kind.capitalize()} {ident} not found")
    ns, name = ident.split("/")
    try:
        repo = hub.repo(req, kind, ns, name)
    except HubError:
        raise HubError(404, f"{kind.capitalize()} {ident} not found") from None
    return {"id": repo.id, "type": kind, "author": repo.namespace, "private": bool(repo.meta.get("private"))}


def add_item(hub: Hub, req: Request, ns: str, slug: str) -> Response:
    body = req.json()
    with _lock:
        coll = _writable(hub, req, ns, slug)
        item = _item(hub, req, body.get("item"))
        if any(i["type"] == item["type"] and i["id"].lower() == item["id"].lower() for i in coll["items"]):
            raise HubError(409, f"{item['id']} is already in the collection")
        note = _text(body, "note", MAX_NOTE)
        if note:
            item["note"] = {"text": note, "html": note}
        coll["items"].append({"_id": secrets.token_hex(12), **item})
        _save(hub, coll)
    return json_response(_public(coll))


def item(hub: Hub, req: Request, ns: str, slug: str, item_id: str) -> Response:
    """PATCH {note?, position?} an item (note "" removes it); DELETE it."""
    with _lock:
        coll = _writable(hub, req, ns, slug)
        index = next((n for n, i in enumerate(coll["items"]) if i["_id"] == item_id), None)
        if index is None:
            raise HubError(404, "Item not found in the collection")
        entry = coll["items"].pop(index)
        if req.method == "PATCH":
            body = req.json()
            if "note" in body:
                note = _text(body, "note", MAX_NOTE)
                entry.pop("note", None)
                if note:
                    entry["note"] = {"text": note, "html": note}
            position = body.get("position", index)
            if not isinstance(position, int) or position < 0:
                raise HubError(400, "position must be a non-negative integer")
            coll["items"].insert(min(position, len(coll["items"])), entry)
        _save(hub, coll)
    return json_response({"success": True})
