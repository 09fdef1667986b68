"""`hfsync cache ls|prune` items as a terminal table."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.table import Table

from hfsync.model.discover import Item
from hfsync.units import describe_age, human_size


def render_items(items: Sequence[Item], now: float) -> Table:
    """Items as a rich table: last used, size, status, what."""
    table = Table(box=None, pad_edge=False)
    for name, justify in (("last used", "right"), ("size", "right"), ("status", "left"), ("item", "left")):
        table.add_column(name, justify=justify, no_wrap=name == "item")  # type: ignore[arg-type]
    for item in items:
        table.add_row(f"{describe_age(now - item.last_used)} ago", human_size(item.size), item.status, item.label)
    return table


def items_json(items: Sequence[Item]) -> str:
    """Items as one JSON document: a list of objects, least recently used first."""
    return json.dumps([item.to_dict() for item in items], indent=2)
