"""A pin's lineage: the models its card names as ``base_model``, theirs, and so on.

Read from the cards at lock time (one repo-info request per ancestor, none for a repo
without a base model), recorded in the lock for ``hfsync bom``, and judged by
``policy.licenses`` along the whole chain: an adapter is only as usable as the license of
the model under it. A chain that comes back to a model already in it is a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hfsync.hubfacts import is_valid_repo_id
from hfsync.model.lock import Ancestor

MAX_ANCESTORS = 64  # a card's base_model chain longer than this is not followed further

Facts = Callable[[str], "tuple[str | None, tuple[str, ...]] | None"]  # id -> (license, base models) or None: gone


@dataclass(frozen=True)
class Lineage:
    """The ancestors found, the chain that reaches each (the pin first), and a loop if one was met."""

    ancestors: tuple[Ancestor, ...]
    chains: dict[str, tuple[str, ...]]
    loop: tuple[str, ...] | None = None
    missing: tuple[str, ...] = ()  # named as base models, and not on the Hub (or not shown to this token)


def walk(start: str, bases: tuple[str, ...], facts: Facts) -> Lineage:
    """Follow ``start``'s base models breadth first, each model's card read once by ``facts``."""
    ancestors: list[Ancestor] = []
    chains: dict[str, tuple[str, ...]] = {}
    known: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    missing: list[str] = []
    queue: list[tuple[str, str, tuple[str, ...]]] = [(start, base, (start,)) for base in bases]
    while queue and len(ancestors) < MAX_ANCESTORS:
        child, parent, path = queue.pop(0)
        if parent in path:
            return Lineage(tuple(ancestors), chains, (*path, parent), tuple(missing))
        if not is_valid_repo_id(parent):
            continue
        if parent not in known:
            found = facts(parent)
            if found is None:
                missing.append(parent)
            known[parent] = found if found is not None else (None, ())
            chains[parent] = (*path, parent)
            queue += [(parent, base, (*path, parent)) for base in known[parent][1]]
        ancestors.append(Ancestor(parent, child, known[parent][0]))
    return Lineage(tuple(ancestors), chains, None, tuple(missing))
