"""Parquet files from their footer alone: schema, rows, row groups, compression.

A Parquet file ends with its footer (Thrift-encoded ``FileMetaData``), the footer's
length as 4 little-endian bytes, and ``PAR1``. Only those last ``footer + 8`` bytes are
ever needed: ``footer_length`` says how many from the last 8, ``read_footer`` parses
them. Parsing is pyarrow's (the ``parquet`` extra, imported only when a Parquet file is
read), bounded here: the footer's length against the file and MAX_FOOTER, and Thrift's
containers and strings against limits no honest footer reaches, so a footer claiming
billions of columns or row groups is refused before anything is allocated for them.
Pure: bytes in, data out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hfsync.errors import HfsyncError
from hfsync.model.inspect import Entry
from hfsync.units import few, human_size

MAGIC = b"PAR1"
# Far beyond the footer of any real file (a few MB for tens of thousands of row groups).
MAX_FOOTER = 64 * 1024 * 1024
# What a diff reads: pyarrow holds up to about 50 bytes of memory for each byte of a footer
# made of the smallest column chunks (26 bytes each), so one this size takes some 100 MB.
DIFF_FOOTER = 2 * 1024 * 1024
# Thrift limits: list entries (columns x row groups) and string bytes one footer may hold.
MAX_CONTAINER = 1_000_000
MAX_STRING = MAX_FOOTER
# The dataset viewer reads at most this many bytes of a row group (TooBigContentError past it;
# its recommended size is 100-300 MB in memory), and shows at most this many columns.
VIEWER_ROW_GROUP = 300_000_000
VIEWER_COLUMNS = 1000
# Row groups this small, this many, are far below the recommended size: each is a read.
SMALL_GROUP, MANY_GROUPS = 1_000_000, 100
EXTRA = "pip install 'hfsync-gitops[parquet]'"


class ParquetError(ValueError):
    """The bytes do not end with a well-formed Parquet footer."""


@dataclass(frozen=True)
class Column:
    type: str
    nullable: bool = True

    def __str__(self) -> str:
        return self.type if self.nullable else f"{self.type} not null"


@dataclass(frozen=True)
class Footer:
    """What a Parquet footer says: top-level columns (Arrow types), rows, row groups,
    the largest row group's in-memory size, the codecs used, and the data's in-memory size."""

    columns: dict[str, Column] = field(default_factory=dict)
    rows: int = 0
    row_groups: int = 0
    largest_group: int = 0
    compression: tuple[str, ...] = ()
    data_bytes: int = 0  # every row group's in-memory size


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise HfsyncError(f"reading Parquet footers needs pyarrow, which is not installed: {EXTRA}") from None
    return pyarrow


def footer_length(tail: bytes, size: int | None = None, limit: int = MAX_FOOTER) -> int:
    """The footer's length, from the last 8 bytes of a file of ``size`` bytes (at most ``limit``)."""
    if len(tail) < 8:
        raise ParquetError(f"{len(tail)} bytes is shorter than the 8 bytes that end a Parquet file")
    if tail[-4:] != MAGIC:
        raise ParquetError(f"the file does not end with PAR1 (it ends with {tail[-4:]!r}): not a Parquet file")
    (length,) = struct.unpack("<I", tail[-8:-4])
    if length > limit:
        raise ParquetError(f"footer length {length:,} is over the {human_size(limit)} limit")
    if size is not None and length + 12 > size:
        raise ParquetError(f"footer length {length} does not fit in a file of {size} bytes")
    if length == 0:
        raise ParquetError("footer length is 0")
    return length


def read_footer(tail: bytes, size: int | None = None, limit: int = MAX_FOOTER) -> Footer:
    """The footer of a Parquet file of ``size`` bytes from its last bytes (at least footer + 8;
    a footer longer than ``limit`` is refused)."""
    length = footer_length(tail, size, limit)
    if len(tail) < length + 8:
        raise ParquetError(f"footer is {length} bytes but only {len(tail) - 8} were given")
    pa = _pyarrow()
    footer = MAGIC + tail[-(length + 8):]
    try:
        meta = pa.parquet.ParquetFile(pa.BufferReader(footer), thrift_container_size_limit=MAX_CONTAINER,
                                      thrift_string_size_limit=MAX_STRING).metadata
        schema = meta.schema.to_arrow_schema()
        groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
        codecs = sorted({g.column(c).compression for g in groups for c in range(g.num_columns)})
    except (pa.ArrowException, OSError, ValueError) as error:
        raise ParquetError(f"pyarrow: {' '.join(str(error).split())[:200]}") from None
    return Footer(
        columns={f.name: Column(str(f.type), f.nullable) for f in schema},
        rows=meta.num_rows,
        row_groups=meta.num_row_groups,
        largest_group=max((g.total_byte_size for g in groups), default=0),
        compression=tuple(codecs),
        data_bytes=sum(g.total_byte_size for g in groups),
    )


def diff_footers(old: Footer, new: Footer) -> tuple[Entry, ...]:
    """``column.NAME`` added, removed or retyped (nullability included), then ``rows``,
    ``row_groups`` and ``compression`` when they changed."""
    entries = [Entry(f"column.{n}", str(c), None) for n, c in old.columns.items() if n not in new.columns]
    entries += [Entry(f"column.{n}", None, str(c)) for n, c in new.columns.items() if n not in old.columns]
    entries += [Entry(f"column.{n}", str(old.columns[n]), str(c)) for n, c in new.columns.items()
                if n in old.columns and old.columns[n] != c]
    entries.sort(key=lambda e: e.key)
    for key, before, after in (("rows", old.rows, new.rows), ("row_groups", old.row_groups, new.row_groups)):
        if before != after:
            entries.append(Entry(key, f"{before:,}" if old.columns else None, f"{after:,}"))
    if old.compression != new.compression:
        entries.append(Entry("compression", ", ".join(old.compression) or None, ", ".join(new.compression)))
    return tuple(entries)


def warnings(footer: Footer) -> list[str]:
    """What keeps the viewer from showing this file as it is."""
    found = []
    if footer.largest_group > VIEWER_ROW_GROUP:
        found.append(f"a row group of {human_size(footer.largest_group)} in memory is over the "
                     f"{human_size(VIEWER_ROW_GROUP)} the dataset viewer reads (it recommends 100-300 MB): "
                     "write smaller row groups")
    if footer.row_groups >= MANY_GROUPS and footer.data_bytes < SMALL_GROUP * footer.row_groups:
        found.append(f"{footer.row_groups:,} row groups of {human_size(footer.data_bytes // footer.row_groups)} "
                     "on average in memory, far below the 100-300 MB the dataset viewer recommends: write larger "
                     "row groups")
    if len(footer.columns) > VIEWER_COLUMNS:
        found.append(f"{len(footer.columns):,} columns: the dataset viewer shows at most {VIEWER_COLUMNS:,}")
    return found


def disagreements(schemas: Iterable[tuple[str, Footer]]) -> list[str]:
    """Where the files of one split disagree on a column: its type, or whether they have it."""
    listed = list(schemas)
    names: dict[str, None] = {}
    for _, footer in listed:
        names.update(dict.fromkeys(footer.columns))
    out = []
    for name in names:
        by_type: dict[str, list[str]] = {}
        for path, footer in listed:
            column = footer.columns.get(name)
            by_type.setdefault(column.type if column else "missing", []).append(path)
        if len(by_type) > 1:
            parts = [f"{kind} in {few(paths)}" for kind, paths in sorted(by_type.items(), key=lambda kv: -len(kv[1]))]
            out.append(f"column '{name}' is " + "; ".join(parts))
    return out

