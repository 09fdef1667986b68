"""Safetensors header validation: every way a header can lie, refused with its reason."""

from __future__ import annotations

import json
import struct

import pytest

from hfsync.pull.safetensors import MAX_HEADER, SafetensorsError, check_file, check_header
from tests.pull.conftest import safetensors_bytes


def split(data: bytes) -> tuple[bytes, bytes, int]:
    (length,) = struct.unpack("<Q", data[:8])
    return data[:8], data[8 : 8 + length], len(data)


def forged(header: dict, data_size: int) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\0" * data_size


def test_valid_files_pass_and_count_tensors(tmp_path):
    data = safetensors_bytes({"a": ("F32", [2, 3]), "b": ("BF16", [4]), "c": ("F4", [6]), "d": ("U8", [0])})
    assert check_header(*split(data)) == 4
    path = tmp_path / "ok.safetensors"
    path.write_bytes(data)
    assert check_file(path) == 4


def test_metadata_is_allowed_when_strings():
    header = {"__metadata__": {"format": "pt"}, "w": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}}
    assert check_header(*split(forged(header, 16))) == 1


@pytest.mark.parametrize(
    ("header", "data_size", "reason"),
    [
        ({"w": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, 4, "unknown dtype 'F99'"),
        ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, 8, "is 12 bytes, but its offsets span 8"),
        ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, 4, "bad shape [-1]"),
        ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, 4, "bad data_offsets [4, 0]"),
        ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, 8, "starts at byte 4 and leaves a gap at byte 0"),
        ({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
          "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, 6, "overlaps the previous tensor"),
        ({"w": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}, 10, "tensors cover 4 bytes but the file holds 10"),
        ({"w": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}, 2, "tensors cover 4 bytes but the file holds 2"),
        ({"w": {"dtype": "U8", "shape": [4]}}, 4, "must have dtype, shape and data_offsets"),
        ({"__metadata__": {"n": 1}}, 0, "__metadata__ must map strings to strings"),
    ],
)
def test_lying_headers_are_refused(header, data_size, reason):
    with pytest.raises(SafetensorsError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        check_header(*split(forged(header, data_size)))


def test_length_prefix_is_bounded_and_checked():
    with pytest.raises(SafetensorsError, match="shorter than the 8-byte header length"):
        check_header(b"\x01", b"", 1)
    with pytest.raises(SafetensorsError, match="over the 100000000-byte limit"):
        check_header(struct.pack("<Q", MAX_HEADER + 1), b"", 10**9)
    with pytest.raises(SafetensorsError, match="runs past the end of the 20-byte file"):
        check_header(struct.pack("<Q", 100), b"", 20)
    raw = b"[1, 2]"
    with pytest.raises(SafetensorsError, match="not a JSON object"):
        check_header(struct.pack("<Q", len(raw)), raw, 8 + len(raw))
    raw = b"{nope"
    with pytest.raises(SafetensorsError, match="header is not JSON"):
        check_header(struct.pack("<Q", len(raw)), raw, 8 + len(raw))


def test_check_file_reads_only_the_header(tmp_path, monkeypatch):
    data = safetensors_bytes({"w": ("U8", [5_000_000])})
    path = tmp_path / "big.safetensors"
    path.write_bytes(data)
    reads = []
    real_open = open

    class Spy:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def fileno(self):
            return self.handle.fileno()

        def read(self, n=-1):
            reads.append(n)
            return self.handle.read(n)

    monkeypatch.setattr("builtins.open", lambda p, mode="r": Spy(real_open(p, mode)))
    assert check_file(path) == 1
    assert sum(reads) < 200


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 20_000 + b"]" * 20_000, "nests deeper than any safetensors header does"),
        (b'{"w": {"dtype": "U8", "shape": [[[[[[' + b"[" * 5000 + b"]" * 5006 + b'}}', "nests deeper"),
        (b'{"w": {"dtype": "U8", "shape": [' + b"9" * 5000 + b'], "data_offsets": [0, 1]}}', "5000-digit number"),
        (b'{"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, -' + b"1" * 30 + b']}}', "31-digit number"),
        (b'{"w": {"dtype": "U8", "shape": [1e999], "data_offsets": [0, 1]}}', "non-integer number '1e999'"),
        (b'{"w": {"dtype": "U8", "shape": [NaN], "data_offsets": [0, 1]}}', "non-integer number 'NaN'"),
        (b'{"w": \xff}', "not JSON"),
    ],
)
def test_hostile_json_is_refused_within_bounds(raw, reason):
    with pytest.raises(SafetensorsError, match=reason):
        check_header(struct.pack("<Q", len(raw)), raw, 8 + len(raw) + 1)


def test_hostile_json_is_refused_on_a_worker_thread_too():
    import concurrent.futures

    raw = b"[" * 200_000
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(check_header, struct.pack("<Q", len(raw)), raw, 8 + len(raw))
        with pytest.raises(SafetensorsError, match="nests deeper"):
            future.result()


def test_an_open_file_is_checked_where_it_stands(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes(safetensors_bytes({"w": ("U8", [3])}))
    with open(path, "rb") as handle:
        assert check_file(handle) == 1
