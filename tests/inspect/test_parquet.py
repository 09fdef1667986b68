"""Parquet footers: read from a file's last bytes, diffed, and refused when hostile."""

from __future__ import annotations

import io
import struct
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hfsync.errors import HfsyncError
from hfsync.inspect.compare import compare
from hfsync.inspect.parquet import (
    MAX_FOOTER,
    Column,
    Footer,
    ParquetError,
    diff_footers,
    disagreements,
    footer_length,
    read_footer,
    warnings,
)
from hfsync.inspect.tabular import infer_types
from hfsync.model.inspect import Entry


def parquet_bytes(columns: dict, row_group_size: int | None = None, compression: str = "snappy") -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer, row_group_size=row_group_size, compression=compression)
    return buffer.getvalue()


def tail(data: bytes) -> bytes:
    return data[-(footer_length(data) + 8):]


def test_the_footer_alone_gives_schema_rows_row_groups_and_compression():
    data = parquet_bytes({"id": pa.array([1, 2, 3], pa.int64()), "text": ["a", "b", None]}, row_group_size=2,
                         compression="zstd")
    footer = read_footer(tail(data), len(data))
    assert footer.columns == {"id": Column("int64"), "text": Column("string")}
    assert (footer.rows, footer.row_groups, footer.compression) == (3, 2, ("ZSTD",))


def test_footers_diff_by_column_rows_row_groups_and_compression():
    old = read_footer(tail(parquet_bytes({"id": [1, 2], "label": [0, 1], "gone": ["x", "y"]})))
    new = read_footer(tail(parquet_bytes({"id": [1, 2, 3], "label": ["0", "1", "1"], "new": [1.0, 2.0, 3.0]},
                                         row_group_size=1, compression="gzip")))
    assert diff_footers(old, new) == (
        Entry("column.gone", "string", None),
        Entry("column.label", "int64", "string"),
        Entry("column.new", None, "double"),
        Entry("rows", "2", "3"),
        Entry("row_groups", "1", "3"),
        Entry("compression", "SNAPPY", "GZIP"),
    )
    same = parquet_bytes({"id": [5, 6]})
    assert compare("x.parquet", tail(parquet_bytes({"id": [1, 2]})), tail(same)).note == (
        "same schema, rows and row groups; the data differs")


def test_nullability_is_part_of_a_column():
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False)])
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [1]}, schema=schema), buffer)
    strict = read_footer(tail(buffer.getvalue()))
    loose = read_footer(tail(parquet_bytes({"id": [1]})))
    assert diff_footers(loose, strict) == (Entry("column.id", "int64", "int64 not null"),)


def test_shards_that_disagree_name_the_column_and_the_files():
    a = read_footer(tail(parquet_bytes({"id": [1], "label": [0]})))
    b = read_footer(tail(parquet_bytes({"id": [1], "label": ["zero"]})))
    c = read_footer(tail(parquet_bytes({"id": [1]})))
    assert disagreements([("s0", a), ("s1", a), ("s2", b), ("s3", c)]) == [
        "column 'label' is int64 in s0, s1; string in s2; missing in s3"]
    assert disagreements([("s0", a), ("s1", a)]) == []


def test_the_viewers_limits_are_warnings():
    wide = Footer({f"c{i}": Column("int64") for i in range(1001)}, 1, 1, 10)
    heavy = Footer({"x": Column("binary")}, 10, 1, 400_000_000)
    assert warnings(wide) == ["1,001 columns: the dataset viewer shows at most 1,000"]
    assert warnings(heavy) == ["a row group of 400.0 MB in memory is over the 300.0 MB the dataset viewer reads "
                               "(it recommends 100-300 MB): write smaller row groups"]
    crumbs = Footer({"x": Column("int64")}, 5000, 5000, 8, data_bytes=40_000)
    assert warnings(crumbs) == ["5,000 row groups of 8 B on average in memory, far below the 100-300 MB the "
                                "dataset viewer recommends: write larger row groups"]
    assert warnings(Footer({"x": Column("int64")}, 50, 50, 8, data_bytes=400)) == []  # a small file: fine


def _thrift_list_field(header: int, count: int) -> bytes:
    """A compact-protocol field header, then a list of structs claiming ``count`` entries."""
    varint = b""
    while True:
        byte, count = count & 0x7F, count >> 7
        varint += bytes([byte | (0x80 if count else 0)])
        if not count:
            break
    return bytes([header, 0xFC]) + varint


@pytest.mark.parametrize(("body", "what"), [
    (b"\x15\x02" + _thrift_list_field(0x19, 2_000_000_000) + b"\x00" * 64, "billions of columns"),
    (b"\x15\x02" + _thrift_list_field(0x39, 3_000_000_000) + b"\x00" * 64, "billions of row groups"),
    (b"\xff" * 100, "garbage"),
])
def test_a_hostile_footer_is_refused(body, what):
    # How fast, and in how much memory, is bench/bench_diff_bounds.py's to measure.
    data = b"PAR1" + body + struct.pack("<I", len(body)) + b"PAR1"
    with pytest.raises(ParquetError, match=r"^pyarrow: "):
        read_footer(data, len(data))


@pytest.mark.parametrize(("data", "message"), [
    (b"text,label\nok,1\n", r"does not end with PAR1 .*: not a Parquet file"),
    (b"PAR1" + b"x" * 20 + struct.pack("<I", 5000) + b"PAR1", "footer length 5000 does not fit in a file of 32 bytes"),
    (b"PAR1" + struct.pack("<I", MAX_FOOTER + 1) + b"PAR1", "footer length 67,108,865 is over the 67.1 MB limit"),
    (b"PAR1", "4 bytes is shorter than the 8 bytes that end a Parquet file"),
])
def test_a_lying_footer_length_or_a_file_that_is_not_parquet_is_refused(data, message):
    with pytest.raises(ParquetError, match=message):
        read_footer(data, len(data))
    assert compare("x.parquet", None, data).note.startswith("no parquet diff: the new footer cannot be read")


def test_csv_and_jsonl_column_types_are_inferred_from_their_start():
    assert infer_types("a.csv", "id,score,name,flag,empty\n1,0.5,x,true,\n2,1,y,false,\n") == {
        "id": "int64", "score": "float64", "name": "string", "flag": "bool", "empty": "null"}
    assert infer_types("a.jsonl", '{"id": 1, "tags": ["a"]}\n{"id": "2", "meta": {"k": 1}}\n') == {
        "id": "string", "tags": "list", "meta": "struct"}


def test_a_csv_of_100k_columns_is_refused_within_its_sample():
    header = ",".join(f"column_{i}" for i in range(100_000))
    with pytest.raises(ValueError, match="first line is longer than the 64 kB sampled"):
        infer_types("wide.csv", header + "\n" + ",".join("1" * 100_000) + "\n")


def test_without_pyarrow_the_message_names_the_extra(monkeypatch):
    data = tail(parquet_bytes({"id": [1]}))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(HfsyncError) as raised:
        read_footer(data)
    assert raised.value.message == ("reading Parquet footers needs pyarrow, which is not installed: "
                                    "pip install 'hfsync-gitops[parquet]'")
