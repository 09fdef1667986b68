"""The Hub's collection API, through huggingface_hub's client: one read per collection (a
slug is read directly; a title is found among the namespace's collections, then read), one
request per item added, moved, re-noted or removed."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hfsync.errors import HubError
from hfsync.hub.client import Hub, http_status, translate_errors
from hfsync.model.collection import RemoteCollection, RemoteItem


def _remote(found: Any) -> RemoteCollection:
    owner = found.owner.get("name") if isinstance(found.owner, dict) else found.owner
    items = tuple(RemoteItem(i.item_object_id, i.item_type, i.item_id, i.note) for i in found.items)
    return RemoteCollection(found.slug, found.title, str(owner or found.slug.split("/")[0]), found.description,
                            bool(found.private), found.theme, items)


def read(hub: Hub, slug: str) -> RemoteCollection | None:
    """The collection ``slug`` names; None when the Hub has none (or hides it from this token)."""
    try:
        with translate_errors("read collection", slug):
            return _remote(hub.api.get_collection(slug))
    except HubError as error:
        if http_status(error.__cause__) == 404:
            return None
        raise


def find(hub: Hub, namespace: str, title: str, slug: str | None) -> RemoteCollection | None:
    """The collection declared by ``slug``, else the one titled ``title`` in ``namespace``."""
    if slug is not None:
        return read(hub, slug)
    with translate_errors("list the collections of", namespace):
        listed = [c.slug for c in hub.api.list_collections(owner=namespace) if c.title == title]
    return read(hub, listed[0]) if listed else None


def existing(hub: Hub, items: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (type, repo id) pairs name a repo this token can see; papers are left to
    the Hub (add refuses a paper it does not know)."""
    wanted = [(t, i) for t, i in items if t != "paper"]

    def exists(item: tuple[str, str]) -> bool:
        with translate_errors("read", item[1]):
            return bool(hub.api.repo_exists(item[1], repo_type=item[0]))

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(exists, wanted))
    return {item for item, ok in zip(wanted, found, strict=True) if ok} | {(t, i) for t, i in items if t == "paper"}


def create(hub: Hub, namespace: str, title: str, description: str | None, private: bool) -> RemoteCollection:
    with translate_errors("create collection", f"{namespace}/{title}"):
        return _remote(hub.api.create_collection(title, namespace=namespace, description=description,
                                                 private=private))


def update(hub: Hub, slug: str, **settings: Any) -> None:
    with translate_errors("update collection", slug):
        hub.api.update_collection_metadata(slug, **settings)


def add_item(hub: Hub, slug: str, kind: str, ident: str, note: str | None) -> str:
    """Add an item at the end; the Hub's id of the new entry."""
    with translate_errors(f"add {kind} {ident} to collection", slug):
        after = hub.api.add_collection_item(slug, ident, kind, note=note)  # type: ignore[arg-type]
    return next(i.item_object_id for i in reversed(after.items)
                if i.item_type == kind and i.item_id.lower() == ident.lower())


def update_item(hub: Hub, slug: str, object_id: str, note: str | None, position: int | None) -> None:
    with translate_errors("update an item of collection", slug):
        # The client leaves out a None note: an empty note clears it.
        hub.api.update_collection_item(slug, object_id, note=note, position=position)


def delete_item(hub: Hub, slug: str, object_id: str) -> None:
    with translate_errors("remove an item of collection", slug):
        hub.api.delete_collection_item(slug, object_id, missing_ok=True)
