"""JSON documents compared by key path: ``num_labels: 2 -> 3``, ``id2label.2: null -> "neutral"``.

Objects are walked key by key (``a.b``); lists of objects index by position (``a[0].b``);
other lists (``architectures``, ``eos_token_id``) are values of their own. A JSON
``null`` reads as absent, as the plan's entries say absent with null.
"""

from __future__ import annotations

import json
from typing import Any

from hfsync.model.inspect import Entry


def parse(text: str) -> Any:
    """The document, or a ValueError when it is not JSON."""
    return json.loads(text)


# The document of a file that does not exist yet: no key paths at all (JSON's null is a value).
ABSENT: Any = object()


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf values by key path (none for ``ABSENT``)."""
    if value is ABSENT:
        return {}
    if isinstance(value, dict) and (value or not prefix):  # an empty document has no key paths
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix or "(document)": value}


def diff_json(old: Any, new: Any) -> tuple[Entry, ...]:
    """Key paths whose value differs between two parsed documents, in key order."""
    a, b = flatten(old), flatten(new)
    return tuple(Entry(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
