"""`hfsync cache ls|prune`: items as a terminal table or JSON, and what prune freed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from hfsync.model.discover import Item
from hfsync.render import Output, document, plural
from hfsync.render.table import table_text
from hfsync.render.untrusted import terminal
from hfsync.units import describe_age, human_size


def render_items(items: Sequence[Item], now: float) -> Table:
    """Items as a rich table: last used, size, status, what."""
    table = Table(box=None, pad_edge=False)
    for name, justify in (("last used", "right"), ("size", "right"), ("status", "left"), ("item", "left")):
        table.add_column(name, justify=justify, no_wrap=name == "item")  # type: ignore[arg-type]
    for item in items:
        # Text, not str: a repo id or file name in the cache is no rich markup.
        table.add_row(f"{describe_age(now - item.last_used)} ago", human_size(item.size), item.status,
                      Text(terminal(item.label)))
    return table


def _item(item: Item) -> dict[str, Any]:
    state = "pinned" if item.pinned_by else "protected" if item.protected_by else "evictable"
    return {"kind": item.kind, "type": item.repo_type, "id": item.repo_id, "path": str(item.path),
            "commit": item.commit, "size": item.size, "last_used": item.last_used, "state": state,
            "pinned_by": item.pinned_by, "protected_by": item.protected_by}


def _notes(inv: Any) -> Output:
    out = Output()
    for manifest in inv.unlocked:
        out.err(f"Note: {manifest} has pulls but no lock file: nothing it pulls is pinned.")
    return out


def ls(inv: Any, fmt: str, now: float, width: int | None) -> Output:
    """The inventory (hfsync.discover.cache.Inventory) as ``fmt``; ``width``: the terminal's, None off one."""
    out = _notes(inv)
    if fmt == "json":
        return out.raw(document("cache ls", {"items": [_item(i) for i in inv.items], "bytes": inv.size}))
    if inv.items:
        out.raw(table_text(render_items(inv.items, now), width))
    return out.err(f"{len(inv.items)} items, {human_size(inv.size)}.")


def prune(inv: Any, choice: Any, dry_run: bool, fmt: str, now: float, width: int | None) -> Output:
    """What prune evicted (or would, with ``dry_run``) and the bytes freed."""
    out = _notes(inv)
    if fmt == "json":
        return out.raw(document("cache prune", {
            "dry_run": dry_run, "evicted": [_item(i) for i in choice.evict], "bytes_freed": choice.freed,
            "bytes_over_limit": choice.left_over}))
    if choice.evict:
        out.raw(table_text(render_items(choice.evict, now), width))
    out.out(f"{'Would free' if dry_run else 'Freed'} {human_size(choice.freed)} ({choice.freed} bytes) "
            f"by removing {plural(len(choice.evict), 'item')}.")
    if choice.left_over:
        out.err(f"Still {human_size(choice.left_over)} over --max-size: the rest is pinned by a lock "
                "or is the base model of a kept adapter.")
    return out
