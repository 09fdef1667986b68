"""`hfsync search` results as a terminal table."""

from __future__ import annotations

import json

from rich.table import Table

from hfsync.model.discover import Found


def results_table(results: list[Found]) -> Table:
    """The results as a rich table: id, task, library, license, downloads, likes, updated, safetensors."""
    table = Table(box=None, pad_edge=False)
    for name, justify in (("id", "left"), ("task", "left"), ("library", "left"), ("license", "left"),
                          ("downloads", "right"), ("likes", "right"), ("updated", "left"),
                          ("safetensors", "left")):
        table.add_column(name, justify=justify, no_wrap=name == "id")  # type: ignore[arg-type]
    for found in results:
        table.add_row(
            found.id,
            found.task or "-",
            found.library or "-",
            found.license or "-",
            f"{found.downloads:,}" if found.downloads is not None else "-",
            f"{found.likes:,}",
            (found.updated or "")[:10] or "-",
            {True: "yes", False: "no", None: "-"}[found.safetensors],
        )
    return table


def results_json(results: list[Found]) -> str:
    """The results as one JSON document: a list of objects, one per repo."""
    return json.dumps([found.to_dict() for found in results], indent=2)
