"""A content diff as plain data: what a plan carries for a changed file and renderers show.

An ``Entry`` is one attribute going old -> new, Terraform style (``None`` = absent: an
added key has no old value, a removed one no new value). A ``FileDiff`` holds the
entries (JSON key paths, front matter keys, tensors, GGUF keys, columns), the lines of
a unified text diff, and a note: why there is no diff (binary, too large, withheld for
a possible secret) or what was left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("text", "json", "card", "safetensors", "gguf", "parquet", "tabular", "none")


@dataclass(frozen=True)
class Entry:
    """One attribute: ``key = old -> new``; ``None`` on one side means absent there."""

    key: str
    old: Any = None
    new: Any = None

    @property
    def action(self) -> str:
        """``create`` (added), ``delete`` (removed), ``update``, or ``same`` (shown for context)."""
        if self.old == self.new:
            return "same"
        if self.old is None:
            return "create"
        return "delete" if self.new is None else "update"


@dataclass(frozen=True)
class FileDiff:
    """What changed inside one file (or, with ``scope``, inside the model it is a shard of)."""

    kind: str
    entries: tuple[Entry, ...] = ()
    lines: tuple[str, ...] = ()
    note: str | None = None
    scope: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileDiff:
        return cls(
            kind=data["kind"],
            entries=tuple(Entry(e["key"], e.get("old"), e.get("new")) for e in data.get("entries", ())),
            lines=tuple(data.get("lines", ())),
            note=data.get("note"),
            scope=data.get("scope"),
        )


def none(note: str) -> FileDiff:
    """No diff, and why."""
    return FileDiff("none", note=note)
