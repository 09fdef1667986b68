"""JSON documents compared by key path: ``num_labels: 2 -> 3``, ``id2label.2: null -> "neutral"``.

Objects are walked key by key (``a.b``); lists of objects index by position (``a[0].b``);
other lists (``architectures``, ``eos_token_id``) are values of their own. A JSON
``null`` reads as absent, as the plan's entries say absent with null.
"""

from __future__ import annotations

from typing import Any

from hfsync.inspect.bounded import Exceeded, load_json
from hfsync.model.inspect import Entry

# Characters of all key paths of one document together: a long key above many leaves is
# repeated in each of their paths, and would be without this.
MAX_PATHS = 16_000_000


def parse(text: str) -> Any:
    """The document: a ValueError when it is not JSON, ``Exceeded`` when it nests past MAX_DEPTH."""
    return load_json(text)


# The document of a file that does not exist yet: no key paths at all (JSON's null is a value).
ABSENT: Any = object()


def flatten(value: Any, left: list[int] | None = None) -> dict[str, Any]:
    """Leaf values by key path (none for ``ABSENT``); ``Exceeded`` when the paths are longer
    than ``left[0]`` characters in all (MAX_PATHS by default; what is left is kept there)."""
    out: dict[str, Any] = {}
    if value is not ABSENT:
        _walk(value, "", out, [MAX_PATHS] if left is None else left)
    return out


def _walk(value: Any, prefix: str, out: dict[str, Any], left: list[int]) -> None:
    if isinstance(value, dict) and (value or not prefix):  # an empty document has no key paths
        items: Any = ((f"{prefix}.{key}" if prefix else str(key), item) for key, item in value.items())
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        items = ((f"{prefix}[{index}]", item) for index, item in enumerate(value))
    else:
        left[0] -= len(prefix)
        if left[0] < 0:
            raise Exceeded(f"the key paths of the two sides are longer than {MAX_PATHS:,} characters in all")
        out[prefix or "(document)"] = value
        return
    for path, item in items:
        _walk(item, path, out, left)


def diff_json(old: Any, new: Any) -> tuple[Entry, ...]:
    """Key paths whose value differs between two parsed documents, in key order."""
    left = [MAX_PATHS]
    a, b = flatten(old, left), flatten(new, left)
    return tuple(Entry(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
