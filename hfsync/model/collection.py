"""A collection as the Hub holds it, as plain data (read by hub.collections, diffed by
publish.collections)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteItem:
    """One item of a collection: ``object_id`` is the Hub's id of the entry (not of the repo)."""

    object_id: str
    type: str
    id: str
    note: str | None = None

    @property
    def key(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class RemoteCollection:
    """A collection's settings and its items in order."""

    slug: str
    title: str
    namespace: str
    description: str | None
    private: bool
    theme: str | None
    items: tuple[RemoteItem, ...] = ()

    @property
    def digest(self) -> str:
        """What a plan was made against: a saved plan is stale once this moved."""
        facts = [self.title, self.description, self.private, self.theme,
                 [(i.object_id, i.key, i.note) for i in self.items]]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()
