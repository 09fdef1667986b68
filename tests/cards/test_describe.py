"""Data files described once: remembered by (path, size, mtime_ns, inode) until they change."""

from __future__ import annotations

import os

from hfsync.cards.describe import describe
from tests.inspect.test_parquet import parquet_bytes


def _rewrite_keeping_stat(path, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """New content of the same size in the same inode, with the old mtime: what the cache keys on is unchanged."""
    stat = os.stat(path)
    with open(path, "r+b") as handle:
        handle.write(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_second_look_at_an_unchanged_file_reads_nothing(tmp_path):
    (tmp_path / "a.csv").write_text("id,score\n1,0.5\n")
    (tmp_path / "b.parquet").write_bytes(parquet_bytes({"id": [1, 2]}))
    first = describe(tmp_path, ["a.csv", "b.parquet"])
    assert (first["a.csv"].columns, first["b.parquet"].columns, first["b.parquet"].rows) == (
        {"id": "int64", "score": "float64"}, {"id": "int64"}, 2)
    # Same size, inode and mtime, other bytes: the remembered description is the one given.
    _rewrite_keeping_stat(tmp_path / "a.csv", b"id,score\n1,abc\n")
    assert describe(tmp_path, ["a.csv"])["a.csv"].columns == {"id": "int64", "score": "float64"}
    # Touched: read again.
    os.utime(tmp_path / "a.csv")
    assert describe(tmp_path, ["a.csv"])["a.csv"].columns == {"id": "int64", "score": "string"}


def test_what_cannot_be_read_is_described_as_a_problem(tmp_path):
    (tmp_path / "x.parquet").write_text("not parquet at all")
    (tmp_path / "wide.csv").write_text(",".join(f"c{i}" for i in range(20_000)) + "\n")
    found = describe(tmp_path, ["x.parquet", "wide.csv"])
    assert found["x.parquet"].problem.startswith("not a readable Parquet file: the file does not end with PAR1")
    assert found["wide.csv"].problem.startswith("column types not compared: its first line is longer than")
