"""hfsync's safetensors header check agrees with the safetensors library itself.

Generated headers, valid and broken in each way a header can be, are judged by both
`check_header` and the library's own parser: a file one accepts and the other refuses
would be a pull refused for no reason, or a broken file installed.
"""

from __future__ import annotations

import json
import random
import struct

import pytest

from hfsync.pull.safetensors import DTYPE_BITS, SafetensorsError, check_header

safetensors = pytest.importorskip("safetensors", reason="the safetensors library is in the test extra")

BROKEN_WAYS = ("gap", "overlap", "size", "dtype", "shape", "offsets", "missing", "extra", "metadata",
               "trailing", "short", "not-object", "bool-dim", "float-dim", "negative", "lowercase", "swap")


def _tensors(rng: random.Random) -> tuple[dict, int]:
    header: dict = {}
    position = 0
    for index in range(rng.randint(0, 5)):
        dtype = rng.choice(sorted(DTYPE_BITS))
        shape = [rng.randint(0, 4) for _ in range(rng.randint(0, 3))]
        count = 1
        for dim in shape:
            count *= dim
        bits = DTYPE_BITS[dtype] * count
        if bits % 8:  # sub-byte dtypes need whole bytes: pad the count to a multiple of 8 elements
            shape, bits = [8], DTYPE_BITS[dtype] * 8
        size = bits // 8
        header[f"t{index}"] = {"dtype": dtype, "shape": shape, "data_offsets": [position, position + size]}
        position += size
    if rng.random() < 0.3:
        header["__metadata__"] = {"format": "pt", "note": str(rng.random())}
    return header, position


def _break(rng: random.Random, header: dict, size: int, way: str) -> tuple[object, int]:
    names = [n for n in header if n != "__metadata__"]
    if not names and way not in ("metadata", "trailing", "short", "not-object"):
        header["x"] = {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}
        names, size = ["x"], 2
    tensor = header[names[-1]] if names else None
    if way == "gap":
        tensor["data_offsets"] = [o + 1 for o in tensor["data_offsets"]]
        size += 1
    elif way == "overlap" and len(names) > 1 and header[names[-2]]["data_offsets"][1] > 0:
        tensor["data_offsets"] = [o - 1 for o in tensor["data_offsets"]]
        size -= 1
    elif way == "size":
        tensor["data_offsets"][1] += 1
        size += 1
    elif way == "dtype":
        tensor["dtype"] = rng.choice(["F99", "FLOAT", "F8", "Q4_0", ""])
    elif way == "shape":
        tensor["shape"] = [*tensor["shape"], 3]
    elif way == "offsets":
        tensor["data_offsets"] = tensor["data_offsets"][:1]
    elif way == "missing":
        del tensor[rng.choice(["dtype", "shape", "data_offsets"])]
    elif way == "extra":
        tensor["quantization"] = {"scale": 1}
    elif way == "metadata":
        header["__metadata__"] = rng.choice([{"n": 1}, ["a"], "text", {"a": None}])
    elif way == "trailing":
        size += rng.randint(1, 3)
    elif way == "short":
        return header, -1
    elif way == "not-object":
        return rng.choice([[], "x", 3]), size
    elif way == "bool-dim":
        tensor["shape"] = [True]
    elif way == "float-dim":
        tensor["shape"] = [1.0]
    elif way == "negative":
        tensor["data_offsets"] = [-1, tensor["data_offsets"][1]]
    elif way == "lowercase":
        tensor["dtype"] = tensor["dtype"].lower()
    elif way == "swap":
        tensor["data_offsets"] = tensor["data_offsets"][::-1]
    return header, size


def _file(header: object, data_size: int) -> bytes:
    raw = json.dumps(header).encode()
    if data_size < 0:  # the header claims more bytes than the file has
        return struct.pack("<Q", len(raw) + 10) + raw
    return struct.pack("<Q", len(raw)) + raw + b"\0" * data_size


def _hfsync_accepts(data: bytes) -> bool:
    (length,) = struct.unpack("<Q", data[:8])
    try:
        check_header(data[:8], data[8 : 8 + length], len(data))
    except SafetensorsError:
        return False
    return True


def _library_accepts(data: bytes) -> bool:
    try:
        safetensors.deserialize(data)
    except Exception:  # the library raises its own SafetensorError, and others for some inputs
        return False
    return True


CASES = [("valid", seed) for seed in range(150)] + [(way, seed) for way in BROKEN_WAYS for seed in range(12)]


@pytest.mark.parametrize(("way", "seed"), CASES, ids=[f"{w}-{s}" for w, s in CASES])
def test_hfsync_and_the_library_agree(way, seed):
    rng = random.Random(f"{way}-{seed}")
    header, size = _tensors(rng)
    if way != "valid":
        header, size = _break(rng, header, size, way)
    data = _file(header, size)
    assert _hfsync_accepts(data) == _library_accepts(data), json.dumps(header)


def test_the_generator_makes_both_kinds():
    verdicts = set()
    for way, seed in CASES:
        rng = random.Random(f"{way}-{seed}")
        header, size = _tensors(rng)
        if way != "valid":
            header, size = _break(rng, header, size, way)
        verdicts.add((way == "valid", _library_accepts(_file(header, size))))
    assert (True, True) in verdicts and (False, False) in verdicts
    assert (True, False) not in verdicts  # every generated valid header is valid
