"""Checking a .safetensors file's header without loading it.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON
describing each tensor (dtype, shape, byte offsets into the data), then the data.
A file that lies about any of these is refused before it lands: only the header and
the file size are read, so checking a 10 GB file costs one small read. The header comes
from a stranger: its JSON is parsed within bounds (``parse_json``), so a hostile header is
refused like any other malformed one.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

from hfsync.inspect.safetensors import DTYPE_BITS, MAX_HEADER, SafetensorsError, parse_json

__all__ = ["DTYPE_BITS", "MAX_HEADER", "SafetensorsError", "check_file", "check_header"]


def check_header(prefix: bytes, header: bytes, file_size: int) -> int:
    """Validate a header against the file size; return the number of tensors.

    ``prefix`` is the first 8 bytes, ``header`` the N bytes after them.
    """
    if len(prefix) < 8:
        raise SafetensorsError(f"file is {file_size} bytes, shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", prefix[:8])
    if length > MAX_HEADER:
        raise SafetensorsError(f"header length {length} is over the {MAX_HEADER}-byte limit")
    if 8 + length > file_size:
        raise SafetensorsError(f"header length {length} runs past the end of the {file_size}-byte file")
    if len(header) != length:
        raise SafetensorsError(f"header is {len(header)} bytes, expected {length}")
    data = parse_json(header)
    if not isinstance(data, dict):
        raise SafetensorsError("header is not a JSON object")
    metadata = data.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise SafetensorsError("__metadata__ must map strings to strings")
    spans = []
    for name, tensor in data.items():
        spans.append((*_tensor_span(name, tensor), name))
    data_size = file_size - 8 - length
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            what = "overlaps the previous tensor" if begin < position else f"leaves a gap at byte {position}"
            raise SafetensorsError(f"tensor '{name}' starts at byte {begin} and {what}")
        position = end
    if position != data_size:
        raise SafetensorsError(f"tensors cover {position} bytes but the file holds {data_size} bytes of data")
    return len(spans)


def _tensor_span(name: str, tensor: object) -> tuple[int, int]:
    # Other keys are allowed, as the safetensors library allows them.
    if not isinstance(tensor, dict) or not {"dtype", "shape", "data_offsets"} <= set(tensor):
        raise SafetensorsError(f"tensor '{name}' must have dtype, shape and data_offsets")
    dtype, shape, offsets = tensor["dtype"], tensor["shape"], tensor["data_offsets"]
    if dtype not in DTYPE_BITS:
        raise SafetensorsError(f"tensor '{name}' has unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                               for d in shape):
        raise SafetensorsError(f"tensor '{name}' has a bad shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise SafetensorsError(f"tensor '{name}' has bad data_offsets {offsets!r}")
    count = 1
    for dim in shape:
        count *= dim
    bits = count * DTYPE_BITS[dtype]
    if bits % 8 or bits // 8 != offsets[1] - offsets[0]:
        raise SafetensorsError(
            f"tensor '{name}' is {dtype} {shape}, which is {bits / 8:g} bytes, "
            f"but its offsets span {offsets[1] - offsets[0]} bytes"
        )
    return offsets[0], offsets[1]


def check_file(path: Path | BinaryIO) -> int:
    """Validate the header of a safetensors file (a path, or a file open for reading at its
    start); return its tensor count."""
    if isinstance(path, Path):
        with open(path, "rb") as handle:
            return check_file(handle)
    size = os.fstat(path.fileno()).st_size
    prefix = path.read(8)
    length = struct.unpack("<Q", prefix)[0] if len(prefix) == 8 else 0
    header = path.read(length) if length <= min(MAX_HEADER, size) else b""
    return check_header(prefix, header, size)
