"""What the schema cannot say about collections and gated access: a collection with no
namespace, an item declared twice or named without a namespace, an ``access:`` block on a
repo whose gate is not manual, a users file that is missing."""

from __future__ import annotations

from hfsync.errors import Problem
from hfsync.manifest.model import Manifest
from hfsync.manifest.yamlpos import Document, Key


def resource_problems(document: Document, manifest: Manifest) -> list[Problem]:
    """Located problems of the manifest's ``collections:`` and its repos' ``access:``."""
    problems: list[Problem] = []
    for index, repo in enumerate(manifest.repos):
        if repo.access is None:
            continue
        base: Key = ("repos", index, "access")
        if repo.gated != "manual":
            gate = repo.gated or "not gated"
            problems.append(document.problem(base, f"'access' lists who may read a repo whose requests are judged "
                                                   f"by hand: it needs gated: manual (here: {gate})"))
        if repo.access.file is not None and not repo.access.file.is_file():
            problems.append(document.problem((*base, "file"), f"access file '{repo.access.file}' does not exist"))
    seen: dict[str, int] = {}
    for index, coll in enumerate(manifest.collections):
        base = ("collections", index)
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
