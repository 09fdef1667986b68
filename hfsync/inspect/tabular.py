"""Tabular data (CSV, TSV, JSON Lines): columns and row counts before and after."""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import dataclass

from hfsync.inspect.bounded import Exceeded, load_json
from hfsync.model.inspect import Entry
from hfsync.units import human_size

# Objects of a JSON Lines file looked at for its columns.
SAMPLE_ROWS = 100
# Columns a diff compares; the dataset viewer shows 1,000.
MAX_COLUMNS = 10_000


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: int | None  # None: not counted (only the start of the file was read)


def read_table(path: str, text: str, complete: bool = True) -> Table:
    """The columns and rows of ``text`` (``complete=False``: only its start, rows unknown).
    ``Exceeded`` past MAX_COLUMNS, for a first line longer than the start given, for a
    JSON Lines row nested past MAX_DEPTH, or for a CSV the csv module refuses."""
    if not complete:
        if text and "\n" not in text:
            raise Exceeded(f"has a first line longer than the {human_size(len(text.encode()))} read of it")
        text = text[: text.rfind("\n") + 1]  # the last line may be cut
    if path.endswith((".jsonl", ".ndjson")):
        columns = _json_columns(text)
        return Table(columns, sum(1 for line in text.splitlines() if line.strip()) if complete else None)
    rows = csv.reader(io.StringIO(text), delimiter="\t" if path.endswith(".tsv") else ",")
    try:
        header = tuple(next(rows, ()))
        _check_width(len(header))
        count = sum(1 for _ in rows)
    except csv.Error as error:
        raise Exceeded(f"cannot be read as CSV at line {rows.line_num} ({error})") from None
    return Table(header, count if complete else None)


def _check_width(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise Exceeded(f"has {columns:,} columns, over the {MAX_COLUMNS:,} a diff compares")


def _json_columns(text: str) -> tuple[str, ...]:
    """The keys of the first SAMPLE_ROWS objects of a JSON Lines text, in order met."""
    columns: dict[str, None] = {}
    sampled = ((number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip())
    for number, line in itertools.islice(sampled, SAMPLE_ROWS):
        try:
            row = load_json(line)
        except Exceeded as error:
            raise Exceeded(f"has a row at line {number} that {error}") from None
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            columns.update(dict.fromkeys(row))
            _check_width(len(columns))
    return tuple(columns)


def diff_tables(old: Table | None, new: Table) -> tuple[Entry, ...]:
    """``column.NAME`` added or removed, the column order when only it changed, and ``rows``
    (``old`` None: the file is new, and all it has is added)."""
    if old is None:
        entries = [Entry(f"column.{c}", None, "present") for c in new.columns]
        entries += [Entry("rows", None, new.rows)] if new.rows is not None else []
        return tuple(sorted(entries, key=lambda e: e.key))
    old_names, new_names = set(old.columns), set(new.columns)
    entries = [Entry(f"column.{c}", "present", None) for c in old.columns if c not in new_names]
    entries += [Entry(f"column.{c}", None, "present") for c in new.columns if c not in old_names]
    if not entries and old.columns != new.columns:
        entries.append(Entry("columns", list(old.columns), list(new.columns)))
    if old.rows != new.rows:
        entries.append(Entry("rows", old.rows if old.rows is not None else "unknown",
                             new.rows if new.rows is not None else "unknown"))
    return tuple(sorted(entries, key=lambda e: e.key))


# The bytes of a CSV or JSON Lines file its column types are inferred from: a header of
# 100k columns is read as far as this, and MAX_COLUMNS of it looked at, not further.
SAMPLE_BYTES = 64 * 1024


def _type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "struct"


def _cell_type(cell: str) -> str:
    """A CSV cell's type, read as pandas reads it."""
    if cell == "":
        return "null"
    for kind, parse in (("int64", int), ("float64", float)):
        try:
            parse(cell)
            return kind
        except ValueError:
            pass
    return "bool" if cell.lower() in ("true", "false") else "string"


def _joined(a: str, b: str) -> str:
    if a == b or b == "null":
        return a
    if a == "null":
        return b
    return "float64" if {a, b} == {"int64", "float64"} else "string"


def infer_types(path: str, text: str) -> dict[str, str]:
    """Column -> the type ``datasets`` would most likely infer (int64, float64, bool, string,
    list, struct; null when every sampled value is empty), from the start of a CSV, TSV or
    JSON Lines file (its last, possibly cut, line left out). ValueError when the first line
    does not fit in the sample, or a row nests past MAX_DEPTH."""
    text = text[:SAMPLE_BYTES]
    if len(text) == SAMPLE_BYTES:
        if "\n" not in text:
            raise ValueError(f"its first line is longer than the {SAMPLE_BYTES // 1024} kB sampled (a header of "
                             "thousands of columns, or not line-based)")
        text = text[: text.rfind("\n") + 1]
    found: dict[str, str] = {}
    if path.endswith((".jsonl", ".ndjson")):
        for line in text.splitlines()[:SAMPLE_ROWS]:
            try:
                row = load_json(line)
            except json.JSONDecodeError:
                continue
            for name, value in list(row.items())[:MAX_COLUMNS] if isinstance(row, dict) else ():
                found[name] = _joined(found.get(name, "null"), _type_of(value))
        return found
    rows = csv.reader(io.StringIO(text), delimiter="\t" if path.endswith(".tsv") else ",")
    header = next(rows, [])[:MAX_COLUMNS]
    found = dict.fromkeys(header, "null")
    for number, row in enumerate(rows):
        if number >= SAMPLE_ROWS:
            break
        for name, value in zip(header, row, strict=False):
            found[name] = _joined(found[name], _cell_type(value))
    return found
