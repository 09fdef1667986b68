"""Tabular data (CSV, TSV, JSON Lines): columns and row counts before and after."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from hfsync.model.inspect import Entry

# Objects of a JSON Lines file looked at for its columns.
SAMPLE_ROWS = 100


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: int | None  # None: not counted (only the start of the file was read)


def read_table(path: str, text: str, complete: bool = True) -> Table:
    """The columns and rows of ``text`` (``complete=False``: only its start, rows unknown)."""
    if not complete:
        text = text[: text.rfind("\n") + 1]  # the last line may be cut
    if path.endswith((".jsonl", ".ndjson")):
        columns: dict[str, None] = {}
        lines = [line for line in text.splitlines() if line.strip()]
        for line in lines[:SAMPLE_ROWS]:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                columns.update(dict.fromkeys(row))
        return Table(tuple(columns), len(lines) if complete else None)
    delimiter = "\t" if path.endswith(".tsv") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = tuple(rows[0]) if rows else ()
    return Table(header, max(0, len(rows) - 1) if complete else None)


def diff_tables(old: Table, new: Table) -> tuple[Entry, ...]:
    """``column.NAME`` added or removed, the column order when only it changed, and ``rows``."""
    entries = [Entry(f"column.{c}", "present", None) for c in old.columns if c not in new.columns]
    entries += [Entry(f"column.{c}", None, "present") for c in new.columns if c not in old.columns]
    if not entries and old.columns != new.columns:
        entries.append(Entry("columns", list(old.columns), list(new.columns)))
    if old.rows != new.rows:
        entries.append(Entry("rows", old.rows if old.rows is not None else "unknown",
                             new.rows if new.rows is not None else "unknown"))
    return tuple(sorted(entries, key=lambda e: e.key))
