"""Safetensors headers: read from a file's first bytes, diffed tensor by tensor, shards merged."""

from __future__ import annotations

import json
import struct

import pytest

from hfsync.inspect.safetensors import (
    SafetensorsError,
    Tensor,
    diff_headers,
    header_length,
    merge,
    read_header,
    shard_names,
)
from hfsync.model.inspect import Entry
from tests.pull.conftest import safetensors_bytes


def framed(raw: bytes) -> bytes:
    return struct.pack("<Q", len(raw)) + raw


def header(tensors, metadata=None):
    return read_header(with_metadata(safetensors_bytes(tensors), metadata))


def with_metadata(data: bytes, metadata) -> bytes:
    if metadata is None:
        return data
    length = header_length(data)
    raw = json.loads(data[8 : 8 + length])
    raw["__metadata__"] = metadata
    encoded = json.dumps(raw).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data[8 + length :]


def test_reads_tensors_and_metadata_from_the_first_bytes_only():
    data = with_metadata(safetensors_bytes({"b": ("F32", [2, 3]), "a": ("BF16", [4])}), {"format": "pt"})
    got = read_header(data[: 8 + header_length(data)])  # no tensor data needed
    assert got.tensors == {"a": Tensor("BF16", (4,)), "b": Tensor("F32", (2, 3))}
    assert got.metadata == {"format": "pt"}
    assert got.parameters == 10
    assert got.bytes_by_dtype() == {"BF16": 8, "F32": 24}


@pytest.mark.parametrize(("data", "message"), [
    (b"\x01\x00", "shorter than the 8-byte header length"),
    (struct.pack("<Q", 10**9), "over the 100000000-byte limit"),
    (struct.pack("<Q", 20) + b"{}", "header is 20 bytes but only 2 were given"),
    (framed(b"[]"), "not a JSON object"),
    (framed(b"{x}"), "header is not JSON"),
    (framed(b"\xff"), "header is not JSON"),
    (framed(b'{"t": "oops"}'), "tensor 't' is not an object"),
    (framed(b'{"t": {"dtype": 1, "shape": [2]}}'), "tensor 't' has a bad dtype or shape"),
    (framed(b'{"t": {"dtype": "F32", "shape": [-1]}}'), "tensor 't' has a bad dtype or shape"),
    (framed(b'{"t": {"dtype": "F32", "shape": [true]}}'), "tensor 't' has a bad dtype or shape"),
    (framed(b'{"__metadata__": {"a": 1}}'), "__metadata__ must map strings to strings"),
])
def test_hostile_headers_are_refused_with_the_reason(data, message):
    with pytest.raises(SafetensorsError, match=message.replace("[", r"\[")):
        read_header(data)


def test_diff_names_each_tensor_added_removed_retyped_reshaped():
    old = header({"keep": ("F32", [2]), "gone": ("F32", [3]), "cast": ("F32", [4]), "grow": ("F16", [2])},
                 {"format": "pt", "step": "1"})
    new = header({"keep": ("F32", [2]), "new": ("I64", [1]), "cast": ("BF16", [4]), "grow": ("F16", [3])},
                 {"format": "pt", "step": "2"})
    diff = diff_headers(old, new)
    assert set(diff.added) == {"new"} and set(diff.removed) == {"gone"}
    assert set(diff.retyped) == {"cast"} and set(diff.reshaped) == {"grow"}
    assert diff.entries() == (
        Entry("tensor.cast", "F32 [4]", "BF16 [4]"),
        Entry("tensor.gone", "F32 [3]", None),
        Entry("tensor.grow", "F16 [2]", "F16 [3]"),
        Entry("tensor.new", None, "I64 [1]"),
        Entry("__metadata__.step", "1", "2"),
        Entry("parameters", "11", "10"),
        Entry("bytes.BF16", None, "8 B"),
        Entry("bytes.F16", "4 B", "6 B"),
        Entry("bytes.F32", "36 B", "8 B"),
        Entry("bytes.I64", None, "8 B"),
    )


def test_equal_headers_have_no_entries():
    same = header({"w": ("F32", [2, 2])})
    assert diff_headers(same, same).empty
    assert diff_headers(same, same).entries() == ()


def test_many_tensors_changed_alike_are_grouped_unless_full():
    old = header({f"layer.{i}": ("F32", [2]) for i in range(20)})
    new = header({f"layer.{i}": ("BF16", [2]) for i in range(20)})
    diff = diff_headers(old, new)
    assert diff.entries()[0] == Entry("20 tensors", "F32", "BF16")
    assert len([e for e in diff.entries(full=True) if e.key.startswith("tensor.")]) == 20


def test_shards_merge_into_one_model_so_a_moved_tensor_is_no_change():
    before = merge([header({"a": ("F32", [2])}), header({"b": ("F32", [2])})])
    after = merge([header({"a": ("F32", [2]), "b": ("F32", [2])}), header({})])
    assert diff_headers(before, after).empty


def test_shard_names_come_from_the_index_weight_map():
    index = json.dumps({"metadata": {}, "weight_map": {"a": "m-2.safetensors", "b": "m-1.safetensors",
                                                       "c": "m-1.safetensors"}}).encode()
    assert shard_names(index) == ["m-1.safetensors", "m-2.safetensors"]
    hostile = json.dumps({"weight_map": {"a": "../../etc/passwd.safetensors", "b": "x/y.safetensors", "c": 7,
                                         "d": "..\\w.safetensors", "e": "notes.txt", "f": "ok.safetensors"}})
    assert shard_names(hostile.encode()) == ["ok.safetensors"]
    with pytest.raises(SafetensorsError, match="no weight_map"):
        shard_names(b"{}")
    with pytest.raises(SafetensorsError, match="index is not JSON"):
        shard_names(b"\xff")
