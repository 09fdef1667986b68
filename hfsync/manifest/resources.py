"""What the schema cannot say about collections: a collection with no namespace or declared
twice, an item declared twice or named without a namespace."""

from __future__ import annotations

from hfsync.errors import Problem
from hfsync.manifest.model import Manifest
from hfsync.manifest.yamlpos import Document, Key


def resource_problems(document: Document, manifest: Manifest) -> list[Problem]:
    """Located problems of the manifest's ``collections:``."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, coll in enumerate(manifest.collections):
        base: Key = ("collections", index)
        if not coll.namespace:
            problems.append(document.problem(base, f"collection '{coll.title}' has no namespace; "
                                                   "write 'namespace:' or set defaults.namespace"))
        if seen.setdefault(coll.key.casefold(), index) != index:
            problems.append(document.problem((*base, "title"), f"collection '{coll.title}' is declared twice "
                                                               f"in {coll.namespace}"))
        items: set[str] = set()
        for at, item in enumerate(coll.items):
            where = (*base, "items", at)
            if item.type != "paper" and item.id.count("/") != 1:
                problems.append(document.problem(where, f"{item.type} '{item.id}' has no namespace; write "
                                                        f"'namespace/{item.id}' or set defaults.namespace"))
            if item.key.casefold() in items:
                problems.append(document.problem(where, f"{item.type} '{item.id}' is listed twice; a collection "
                                                        "holds an item once"))
            items.add(item.key.casefold())
    return problems
