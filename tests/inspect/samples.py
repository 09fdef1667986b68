"""Sample files for content diffs: GGUF and safetensors bytes built by the format's rules."""

from __future__ import annotations

import struct
from typing import Any

from tests.pull.conftest import safetensors_bytes

__all__ = ["gguf_bytes", "safetensors_bytes"]

_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 8, "Q4_K": 12, "Q6_K": 14, "BF16": 30}


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _value(value: Any) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I", 7) + struct.pack("<?", value)
    if isinstance(value, int):
        return struct.pack("<I", 4) + struct.pack("<I", value)
    if isinstance(value, float):
        return struct.pack("<I", 6) + struct.pack("<f", value)
    if isinstance(value, str):
        return struct.pack("<I", 8) + _string(value)
    if isinstance(value, list):  # of strings
        return struct.pack("<I", 9) + struct.pack("<IQ", 8, len(value)) + b"".join(_string(v) for v in value)
    raise TypeError(value)


def gguf_bytes(metadata: dict[str, Any], tensors: dict[str, tuple[str, list[int]]], data: int = 64) -> bytes:
    """A GGUF v3 file: the header, then ``data`` bytes standing for the tensor data."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, value in metadata.items():
        out += _string(key) + _value(value)
    for offset, (name, (kind, shape)) in enumerate(tensors.items()):
        out += _string(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
        out += struct.pack("<IQ", _TYPES[kind], offset * 32)
    return out + b"\0" * data
