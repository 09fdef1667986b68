"""`hfsync search`: results as a terminal table or JSON, and what `--add` did to the manifest."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from hfsync.model.discover import Found
from hfsync.render import Output, document, plural
from hfsync.render.table import table_text
from hfsync.render.untrusted import terminal


def results_table(results: list[Found]) -> Table:
    """The results as a rich table: id, task, library, license, downloads, likes, updated, safetensors."""
    table = Table(box=None, pad_edge=False)
    for name, justify in (("id", "left"), ("task", "left"), ("library", "left"), ("license", "left"),
                          ("downloads", "right"), ("likes", "right"), ("updated", "left"),
                          ("safetensors", "left")):
        table.add_column(name, justify=justify, no_wrap=name == "id")  # type: ignore[arg-type]
    for found in results:
        # Text, not str: rich would read "[link=...]" in a Hub's value as its own markup.
        table.add_row(*(Text(terminal(cell)) for cell in (
            found.id,
            found.task or "-",
            found.library or "-",
            found.license or "-",
            f"{found.downloads:,}" if found.downloads is not None else "-",
            f"{found.likes:,}",
            (found.updated or "")[:10] or "-",
            {True: "yes", False: "no", None: "-"}[found.safetensors],
        )))
    return table


def results_json(results: list[Found]) -> str:
    """The results as one JSON document: one object per repo, most relevant first."""
    return document("search", {"results": [found.to_dict() for found in results]})


def view(results: list[Found], fmt: str, kind: str, width: int | None) -> Output:
    """The results as ``fmt``; ``kind``: what was searched (models, datasets, spaces)."""
    if fmt == "json":
        return Output().raw(results_json(results))
    if results:
        return Output().raw(table_text(results_table(results), width))
    return Output().err(f"No {kind} match.")


def added(outcome: Any) -> Output:
    """What `--add` did (hfsync.manifest.edit.AddResult) and what to run next, on stderr."""
    out = Output()
    if outcome.added:
        verb = "Created" if outcome.created else "Updated"
        out.err(f"{verb} {outcome.path}: added {plural(len(outcome.added), 'pull')}:")
        for pull in outcome.added:
            out.err(f"  {pull.id} -> {pull.dest}")
    if outcome.skipped:
        out.err(f"Already pulled by {outcome.path}: {', '.join(outcome.skipped)}")
    if outcome.added:
        out.err("Run `hfsync lock` to pin them to commits.")
    return out
