"""Pick the right comparison for a file by its name, and cap what a summary shows.

``kind_of(path)`` says what a file is; ``compare`` diffs the old and new bytes it is
given (the whole text, or for safetensors and GGUF the header bytes) and returns a
FileDiff. ``full=False`` (``--diff summary``) groups tensors changed alike and keeps
the first SUMMARY_LINES lines and SUMMARY_ENTRIES entries, noting what it left out.
"""

from __future__ import annotations

from hfsync.inspect import gguf, parquet, safetensors, tabular
from hfsync.inspect.bounded import Exceeded, reading
from hfsync.inspect.card import diff_card
from hfsync.inspect.jsonkeys import ABSENT, diff_json, parse
from hfsync.inspect.text import counts, decode, unified
from hfsync.model.inspect import FileDiff, none

SUMMARY_LINES = 40
SUMMARY_ENTRIES = 30
TABULAR = (".csv", ".tsv", ".jsonl", ".ndjson")


def kind_of(path: str) -> str:
    """``safetensors``, ``gguf``, ``parquet``, ``card``, ``json``, ``tabular`` or ``text`` (text when it decodes)."""
    if path.endswith(".safetensors"):
        return "safetensors"
    if path.endswith(".parquet"):
        return "parquet"
    if path.endswith(".gguf"):
        return "gguf"
    if path == "README.md":
        return "card"
    if path.endswith(".json"):
        return "json"
    if path.endswith(TABULAR):
        return "tabular"
    return "text"


def compare(path: str, old: bytes | None, new: bytes, *, full: bool = False, complete: bool = True) -> FileDiff:
    """What changed from ``old`` (None: the file is new) to ``new``.

    ``complete=False``: the bytes are only the start of a tabular file (rows not counted)."""
    kind = kind_of(path)
    if kind in ("safetensors", "gguf"):
        return _header_diff(kind, old, new, full)
    if kind == "parquet":
        return _footer_diff(old, new, full)
    new_text = decode(new)
    old_text = decode(old) if old is not None else ""
    if new_text is None or old_text is None:
        return none("binary file: no diff")
    try:
        diff = _by_kind(kind, path, old, old_text, new_text, full, complete)
        if not (diff.entries or diff.lines or diff.note) and old is not None and old_text != new_text:
            # Equal values written otherwise: the text diff shows what a reviewer would otherwise not see.
            return _cap(FileDiff(diff.kind, lines=unified(old_text, new_text),
                                 note="same values: only the formatting differs"), full)
    except Exceeded as error:
        return none(f"no diff: {error}")
    return diff


def _by_kind(
    kind: str, path: str, old: bytes | None, old_text: str, new_text: str, full: bool, complete: bool
) -> FileDiff:
    if kind == "card":
        entries, lines = diff_card(old_text, new_text)
        return _cap(FileDiff(kind, entries, lines), full)
    if kind == "json":
        try:
            with reading("the new file"):
                after = parse(new_text)
            with reading("the Hub's file"):
                before = parse(old_text) if old is not None else ABSENT
            return _cap(FileDiff(kind, diff_json(before, after)), full)
        except Exceeded:
            raise
        except ValueError:
            pass  # not JSON on one side: the text diff says what changed
    if kind == "tabular":
        with reading("the new file"):
            after_t = tabular.read_table(path, new_text, complete)
        with reading("the Hub's file"):
            before_t = tabular.read_table(path, old_text, complete) if old is not None else None
        return _cap(FileDiff(kind, tabular.diff_tables(before_t, after_t)), full)
    return _cap(FileDiff("text", lines=unified(old_text, new_text)), full)


def _header_diff(kind: str, old: bytes | None, new: bytes, full: bool) -> FileDiff:
    side = "new"
    try:
        if kind == "safetensors":
            after = safetensors.read_header(new)
            side = "Hub's"
            before = safetensors.read_header(old) if old is not None else safetensors.Header()
            entries = safetensors.diff_headers(before, after).entries(full)
            if old is not None and not entries:  # compared because the bytes differ
                return FileDiff(kind, note=safetensors.DATA_ONLY)
            return _cap(FileDiff(kind, entries), full)
        after_g = gguf.read_header(new)
        side = "Hub's"
        before_g = gguf.read_header(old) if old is not None else gguf.EMPTY
        return _cap(FileDiff(kind, gguf.diff_gguf(before_g, after_g, full)), full)
    except (safetensors.SafetensorsError, gguf.GGUFError) as error:
        return none(f"no {kind} diff: the {side} header cannot be read ({error})")


def _footer_diff(old: bytes | None, new: bytes, full: bool) -> FileDiff:
    """``old`` and ``new``: the last bytes of each file, its footer whole."""
    side = "new"
    try:
        after = parquet.read_footer(new, limit=parquet.DIFF_FOOTER)
        side = "Hub's"
        before = parquet.read_footer(old, limit=parquet.DIFF_FOOTER) if old is not None else parquet.Footer()
    except parquet.ParquetError as error:
        return none(f"no parquet diff: the {side} footer cannot be read ({error})")
    diff = _cap(FileDiff("parquet", parquet.diff_footers(before, after)), full)
    if old is not None and not diff.entries and diff.note is None:
        return FileDiff("parquet", note="same schema, rows and row groups; the data differs")
    return diff


def _cap(diff: FileDiff, full: bool) -> FileDiff:
    if full or (len(diff.lines) <= SUMMARY_LINES and len(diff.entries) <= SUMMARY_ENTRIES):
        return diff
    cut = []
    if len(diff.lines) > SUMMARY_LINES:
        added, removed = counts(diff.lines)
        cut.append(f"{len(diff.lines) - SUMMARY_LINES} more diff lines (+{added} -{removed} in all)")
    if len(diff.entries) > SUMMARY_ENTRIES:
        cut.append(f"{len(diff.entries) - SUMMARY_ENTRIES} more changes")
    note = "; ".join(cut) + " not shown; --diff full shows them"
    return FileDiff(diff.kind, diff.entries[:SUMMARY_ENTRIES], diff.lines[:SUMMARY_LINES], note, diff.scope)
