"""Safetensors headers: read one from a file's first bytes, diff two, merge shards.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON (each
tensor's dtype, shape and data offsets, and an optional ``__metadata__`` of strings),
then the data. Only the first ``8 + N`` bytes are ever needed: ``header_length`` says N
from the first 8, ``read_header`` parses the rest. ``diff_headers`` compares two headers
tensor by tensor; ``merge`` joins the shards of a checkpoint into one model.
Pure: bytes in, data out.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hfsync.inspect.bounded import Exceeded, check_json, load_json
from hfsync.model.inspect import Entry
from hfsync.units import human_size

# The safetensors library's own limit on the header.
MAX_HEADER = 100_000_000
# A well-formed header nests three deep (tensor, its fields, its shape) and its numbers
# are offsets and dimensions: 20 digits hold any 64-bit value.
MAX_DIGITS = 20
# About eight values a tensor: 125,000 tensors, more than any checkpoint puts in one file,
# and what keeps a parsed header to some 100 MB of memory.
MAX_VALUES = 1_000_000

# Bits per element of every dtype the safetensors format defines.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

# Past this many tensors changed the same way, a summary says "N tensors" instead of naming each.
GROUP = 8
# What a changed file whose header is the same as before says: its bytes differ all the same.
DATA_ONLY = "tensor data changed, header unchanged"


class SafetensorsError(ValueError):
    """The bytes do not hold a well-formed safetensors header."""


@dataclass(frozen=True)
class Tensor:
    dtype: str
    shape: tuple[int, ...]

    @property
    def parameters(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def nbytes(self) -> int:
        return self.parameters * DTYPE_BITS.get(self.dtype, 0) // 8

    def __str__(self) -> str:
        return f"{self.dtype} [{', '.join(map(str, self.shape))}]"


@dataclass(frozen=True)
class Header:
    """A checkpoint's tensors by name, and its ``__metadata__``."""

    tensors: Mapping[str, Tensor] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def parameters(self) -> int:
        return sum(t.parameters for t in self.tensors.values())

    def bytes_by_dtype(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for tensor in self.tensors.values():
            totals[tensor.dtype] = totals.get(tensor.dtype, 0) + tensor.nbytes
        return dict(sorted(totals.items()))


def _number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise SafetensorsError(f"header holds a {len(text)}-digit number; offsets and sizes have at most {MAX_DIGITS}")
    return int(text)


def _no_float(text: str) -> float:
    raise SafetensorsError(f"header holds a non-integer number {text[:40]!r}")


def parse_json(header: bytes) -> object:
    """A header's JSON, parsed within bounds: a number of more than ``MAX_DIGITS`` digits,
    a float, nesting past MAX_DEPTH or more than MAX_VALUES values is a SafetensorsError."""
    try:
        check_json(header, MAX_VALUES)
        return json.loads(header.decode("utf-8"), parse_int=_number, parse_float=_no_float,
                          parse_constant=_no_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"header is not JSON: {error}") from None
    except Exceeded as error:
        if "nests" in str(error):
            raise SafetensorsError("header nests deeper than any safetensors header does") from None
        raise SafetensorsError(f"header {error}") from None


def header_length(prefix: bytes) -> int:
    """N, from the first 8 bytes of a safetensors file."""
    if len(prefix) < 8:
        raise SafetensorsError(f"{len(prefix)} bytes is shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", prefix[:8])
    if length > MAX_HEADER:
        raise SafetensorsError(f"header length {length} is over the {MAX_HEADER}-byte limit")
    return length


def read_header(data: bytes) -> Header:
    """The header of a safetensors file from its first ``8 + N`` bytes (more are ignored)."""
    length = header_length(data)
    if len(data) < 8 + length:
        raise SafetensorsError(f"header is {length} bytes but only {len(data) - 8} were given")
    raw = parse_json(data[8 : 8 + length])
    if not isinstance(raw, dict):
        raise SafetensorsError("header is not a JSON object")
    metadata = raw.pop("__metadata__", None) or {}
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise SafetensorsError("__metadata__ must map strings to strings")
    tensors = {}
    for name, tensor in raw.items():
        if not isinstance(tensor, dict):
            raise SafetensorsError(f"tensor '{name}' is not an object")
        dtype, shape = tensor.get("dtype"), tensor.get("shape")
        if not isinstance(dtype, str) or not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise SafetensorsError(f"tensor '{name}' has a bad dtype or shape")
        tensors[name] = Tensor(dtype, tuple(shape))
    return Header(dict(sorted(tensors.items())), dict(sorted(metadata.items())))


def merge(headers: Iterable[Header]) -> Header:
    """The shards of one checkpoint as one model (a later shard's duplicate name wins)."""
    tensors: dict[str, Tensor] = {}
    metadata: dict[str, str] = {}
    for header in headers:
        tensors.update(header.tensors)
        metadata.update(header.metadata)
    return Header(dict(sorted(tensors.items())), dict(sorted(metadata.items())))


@dataclass(frozen=True)
class TensorDiff:
    """Two headers compared: tensors added, removed or changed (dtype and/or shape),
    ``__metadata__`` keys, and the totals before and after."""

    added: Mapping[str, Tensor]
    removed: Mapping[str, Tensor]
    changed: Mapping[str, tuple[Tensor, Tensor]]
    metadata: tuple[Entry, ...]
    parameters: tuple[int, int]
    bytes_by_dtype: tuple[Mapping[str, int], Mapping[str, int]]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.metadata)

    @property
    def retyped(self) -> dict[str, tuple[Tensor, Tensor]]:
        return {n: (a, b) for n, (a, b) in self.changed.items() if a.dtype != b.dtype}

    @property
    def reshaped(self) -> dict[str, tuple[Tensor, Tensor]]:
        return {n: (a, b) for n, (a, b) in self.changed.items() if a.shape != b.shape}

    def entries(self, full: bool = False) -> tuple[Entry, ...]:
        """The diff as entries: each tensor (``tensor.NAME = "F32 [2, 3]" -> "BF16 [2, 3]"``),
        or, unless ``full``, ``N tensors`` for a group of more than GROUP changed the same
        way; then ``__metadata__`` keys, the parameter count and the bytes by dtype."""
        out: list[Entry] = []
        groups: dict[tuple[str | None, str | None], list[tuple[str, Entry]]] = {}
        for name, tensor in self.removed.items():
            groups.setdefault((tensor.dtype, None), []).append((name, Entry(f"tensor.{name}", str(tensor), None)))
        for name, tensor in self.added.items():
            groups.setdefault((None, tensor.dtype), []).append((name, Entry(f"tensor.{name}", None, str(tensor))))
        for name, (old, new) in self.changed.items():
            how = (old.dtype, new.dtype) if old.shape == new.shape else (f"{old.dtype} reshaped", new.dtype)
            groups.setdefault(how, []).append((name, Entry(f"tensor.{name}", str(old), str(new))))
        for (old_kind, new_kind), members in groups.items():
            if full or len(members) <= GROUP:
                out += [entry for _, entry in sorted(members)]
            else:
                out.append(Entry(f"{len(members)} tensors", old_kind, new_kind))
        out.sort(key=lambda e: (not e.key.startswith("tensor."), e.key))
        out += [Entry(f"__metadata__.{e.key}", e.old, e.new) for e in self.metadata]
        before, after = self.parameters
        if before != after or not self.empty:
            out.append(Entry("parameters", f"{before:,}" if before else None, f"{after:,}" if after else None))
        old_bytes, new_bytes = self.bytes_by_dtype
        for dtype in sorted(set(old_bytes) | set(new_bytes)):
            a, b = old_bytes.get(dtype), new_bytes.get(dtype)
            if a != b:
                out.append(Entry(f"bytes.{dtype}", human_size(a) if a else None, human_size(b) if b else None))
        return tuple(out)


def diff_headers(old: Header, new: Header) -> TensorDiff:
    """What changed from ``old`` to ``new``, tensor by tensor (values are not compared:
    a header says nothing about them)."""
    names_old, names_new = set(old.tensors), set(new.tensors)
    changed = {n: (old.tensors[n], new.tensors[n]) for n in sorted(names_old & names_new)
               if old.tensors[n] != new.tensors[n]}
    keys = sorted(set(old.metadata) | set(new.metadata))
    metadata = tuple(Entry(k, old.metadata.get(k), new.metadata.get(k)) for k in keys
                     if old.metadata.get(k) != new.metadata.get(k))
    return TensorDiff(
        added={n: new.tensors[n] for n in sorted(names_new - names_old)},
        removed={n: old.tensors[n] for n in sorted(names_old - names_new)},
        changed=changed,
        metadata=metadata,
        parameters=(old.parameters, new.parameters),
        bytes_by_dtype=(old.bytes_by_dtype(), new.bytes_by_dtype()),
    )


def shard_names(index: bytes) -> list[str]:
    """The shard files a ``*.safetensors.index.json`` names in its ``weight_map`` (names
    beside the index only: ``../x`` or ``a/b`` are left out)."""
    try:
        data = load_json(index)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"index is not JSON: {error}") from None
    except Exceeded as error:
        raise SafetensorsError(f"index {error}") from None
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if not isinstance(weight_map, dict):
        raise SafetensorsError("index has no weight_map object")
    # Shards sit beside their index: a name reaching elsewhere is not one.
    return sorted({v for v in weight_map.values()
                   if isinstance(v, str) and v.endswith(".safetensors") and "/" not in v and "\\" not in v})
