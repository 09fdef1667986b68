"""What a dataset's data files hold, each read once: columns with their types, rows (from a
Parquet footer), bytes, the largest row group. A Parquet file is read from its footer, a
CSV or JSON Lines file from its first 64 kB. Descriptions are remembered by (path, size,
mtime_ns, inode), as file digests are: a second plan of an unchanged dataset of 100,000
files reads none of them, and the cache file is written once per call, not once per file.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.cards.datafiles import format_of
from hfsync.environment import cache_dir
from hfsync.inspect import parquet, tabular
from hfsync.paths import atomic_write

# Bumped when what a description holds changes: older ones are not used.
VERSION = 2
_TEXT = (".csv", ".tsv", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Described:
    """One data file: ``columns`` name -> type (Arrow's for Parquet, inferred for text),
    ``rows`` (None: not known without reading the whole file), ``nbytes`` (a Parquet file's
    in-memory size, a text file's size), ``largest_group`` and ``row_groups`` (Parquet), or
    why it could not be read (``problem``)."""

    columns: dict[str, str] = field(default_factory=dict)
    rows: int | None = None
    nbytes: int = 0
    largest_group: int = 0
    row_groups: int = 0
    problem: str | None = None

    def footer(self) -> parquet.Footer:
        return parquet.Footer({n: parquet.Column(t) for n, t in self.columns.items()}, self.rows or 0,
                              self.row_groups, self.largest_group, data_bytes=self.nbytes)


def read_tail(path: Path) -> bytes:
    """The last bytes of a local Parquet file, its footer whole (as far as the file goes)."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - 64 * 1024))
        tail = handle.read()
        try:
            need = parquet.footer_length(tail, size) + 8
        except parquet.ParquetError:
            return tail
        if need > len(tail):
            handle.seek(size - need)
            tail = handle.read()
        return tail


def describable(path: str) -> bool:
    """Whether ``describe`` reads ``path``: Parquet, CSV, TSV, JSON Lines (not compressed)."""
    return format_of(path) == "parquet" or path.endswith(_TEXT)


def _read(path: Path) -> Described:
    """HfsyncError (pyarrow missing) is raised, not described: it says nothing of the file."""
    if format_of(path.name) == "parquet":
        try:
            footer = parquet.read_footer(read_tail(path))
        except parquet.ParquetError as error:
            return Described(problem=f"not a readable Parquet file: {error}")
        return Described({n: c.type for n, c in footer.columns.items()}, footer.rows, footer.data_bytes,
                         footer.largest_group, footer.row_groups)
    with open(path, "rb") as handle:
        text = handle.read(tabular.SAMPLE_BYTES).decode("utf-8", errors="replace")
    try:
        columns = tabular.infer_types(path.name, text)
    except ValueError as error:
        return Described(nbytes=path.stat().st_size, problem=f"column types not compared: {error}")
    return Described(columns, None, path.stat().st_size)


class _Remembered:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, list] = {}
        self._file: Path | None = None

    def _load(self) -> Path:
        target = cache_dir() / "data-files.json"
        if target != self._file:  # the cache directory moved (HFSYNC_CACHE_DIR)
            try:
                data = json.loads(target.read_text())
                self._known = data["files"] if data.get("version") == VERSION else {}
            except (OSError, ValueError, KeyError, TypeError):
                self._known = {}
            self._file = target
        return target

    def describe(self, root: Path, paths: Iterable[str]) -> dict[str, Described]:
        found: dict[str, Described] = {}
        stamps: dict[str, list[int]] = {}
        with self._lock:
            self._load()
            for path in paths:
                full = root / path
                stat = os.stat(full)
                stamps[path] = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
                known = self._known.get(str(full.absolute()))
                if known is not None and known[:3] == stamps[path]:
                    found[path] = Described(**known[3])
        missing = {path: _read(root / path) for path in stamps if path not in found}
        if missing:
            with self._lock:
                target = self._load()
                for path, described in missing.items():
                    self._known[str((root / path).absolute())] = [*stamps[path], described.__dict__]
                try:
                    atomic_write(target, json.dumps({"version": VERSION, "files": self._known}), durable=False)
                except OSError:
                    pass  # a cache that cannot be written only costs a reread
        return {**found, **missing}


_remembered = _Remembered()


def describe(root: Path, paths: Iterable[str]) -> dict[str, Described]:
    """Each of ``paths`` (relative to ``root``, each ``describable``) described."""
    return _remembered.describe(root, paths)
