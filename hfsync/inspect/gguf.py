"""GGUF headers: the key-value metadata and the tensor table, from a file's first bytes.

Layout (GGUF v2/v3, little-endian): ``GGUF``, uint32 version, uint64 tensor count, uint64
key-value count; each key-value: a string key, a uint32 type, the value; each tensor: a
string name, uint32 dimensions, uint64 per dimension, uint32 ggml type, uint64 offset.
Strings are a uint64 length and UTF-8 bytes. A header cut short raises ``Truncated``
with the bytes read so far, so a caller can fetch more and try again.
Long arrays (a tokenizer's vocabulary) and long strings are summarised by length and a
digest of their bytes. Reading is bounded: counts, nesting, and the values parsed one by one.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfsync.inspect.safetensors import Header, Tensor, diff_headers
from hfsync.model.inspect import Entry

MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_NAMES = {0: "u8", 1: "i8", 2: "u16", 3: "i16", 4: "u32", 5: "i32", 6: "f32", 7: "bool", 8: "string",
          9: "array", 10: "u64", 11: "i64", 12: "f64"}
GGML_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K",
    11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS",
    19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32",
    27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0",
}
# Arrays up to this many items are shown whole; longer ones by length and digest.
SHORT_ARRAY = 16
# Strings longer than this are shown by length and digest (a chat template is a few kB).
LONG_STRING = 64 * 1024
# Sanity bounds: a hostile header must not make the parser allocate or loop without end.
# A header has tens of keys and up to some thousands of tensors; MAX_VALUES counts what
# is parsed one by one (keys, tensors, strings, arrays: a vocabulary and its merges are a
# few hundred thousand); arrays of numbers are read at once.
MAX_COUNT = 10_000_000
MAX_ENTRIES = 100_000
MAX_VALUES = 1_000_000
MAX_DIMS = 8
MAX_NESTING = 4


class GGUFError(ValueError):
    """Not a GGUF header this reader understands."""


class Truncated(GGUFError):
    """The bytes end inside the header."""


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    metadata: Mapping[str, Any]
    tensors: Header
    length: int = 0  # bytes the header takes at the start of the file


EMPTY = GGUFHeader(3, {}, Header())


def _summary(what: str, raw: bytes) -> str:
    return f"[{what}, sha256 {hashlib.sha256(raw).hexdigest()[:12]}]"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0
        self.left = MAX_VALUES

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise Truncated(f"the header goes past the {len(self.data)} bytes read")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise GGUFError(f"it holds more than {MAX_VALUES:,} keys, tensors and strings, past what a diff reads")

    def count(self, what: str) -> int:
        n = self.unpack("<Q")
        if n > MAX_COUNT:
            raise GGUFError(f"{what} count {n:,} is past the {MAX_COUNT:,} this reader accepts")
        return n

    def string(self) -> str:
        raw = self.take(self.count("string length"))
        if len(raw) > LONG_STRING:
            return _summary(f"string of {len(raw):,} bytes", raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GGUFError("a string in the header is not UTF-8") from None

    def value(self, kind: int, depth: int = 0) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == 8:
            return self.string()
        if kind == 9:
            return self.array(depth + 1)
        raise GGUFError(f"unknown value type {kind}")

    def array(self, depth: int) -> Any:
        if depth > MAX_NESTING:
            raise GGUFError(f"arrays nest deeper than {MAX_NESTING} levels")
        inner, n = self.unpack("<I"), self.count("array")
        self.spend()
        start = self.at
        if inner in _SCALARS:  # numbers: read at once
            raw = self.take(n * struct.calcsize(_SCALARS[inner]))
            items = list(struct.unpack(f"<{n}{_SCALARS[inner][1:]}", raw)) if n <= SHORT_ARRAY else []
        elif inner == 8 and n > SHORT_ARRAY:  # a vocabulary: only its bytes are digested
            self.spend(n)
            self.skip_strings(n)
        else:
            self.spend(n)
            items = [self.value(inner, depth) for _ in range(n)]
        if n <= SHORT_ARRAY:
            return items
        return _summary(f"{n} x {_NAMES.get(inner, inner)}", self.data[start : self.at])

    def skip_strings(self, n: int) -> None:
        data, at, end = self.data, self.at, len(self.data)
        for _ in range(n):
            if at + 8 > end:
                raise Truncated(f"the header goes past the {end} bytes read")
            at += 8 + int.from_bytes(data[at : at + 8], "little")
        if at > end:
            raise Truncated(f"the header goes past the {end} bytes read")
        self.at = at


def read_header(data: bytes) -> GGUFHeader:
    """The header of a GGUF file from its first bytes (``Truncated`` when more are needed)."""
    reader = _Reader(data)
    if reader.take(4) != MAGIC:
        raise GGUFError("not a GGUF file (no GGUF magic)")
    version = reader.unpack("<I")
    if version not in (2, 3):
        raise GGUFError(f"GGUF version {version} is not supported (2 and 3 are)")
    n_tensors, n_kv = reader.count("tensor"), reader.count("key-value")
    for what, n in (("tensor", n_tensors), ("key-value", n_kv)):
        if n > MAX_ENTRIES:
            raise GGUFError(f"{what} count {n:,} is past the {MAX_ENTRIES:,} this reader accepts")
    metadata: dict[str, Any] = {}
    for _ in range(n_kv):
        reader.spend()
        key = reader.string()
        metadata[key] = reader.value(reader.unpack("<I"))
    tensors: dict[str, Tensor] = {}
    for _ in range(n_tensors):
        reader.spend()
        name = reader.string()
        dims = reader.unpack("<I")
        if dims > MAX_DIMS:
            raise GGUFError(f"tensor '{name}' has {dims} dimensions")
        shape = tuple(reader.unpack("<Q") for _ in range(dims))
        kind = reader.unpack("<I")
        reader.unpack("<Q")  # offset into the data: says nothing a reviewer needs
        tensors[name] = Tensor(GGML_TYPES.get(kind, f"type{kind}"), shape)
    return GGUFHeader(version, dict(sorted(metadata.items())), Header(dict(sorted(tensors.items()))), reader.at)


def diff_gguf(old: GGUFHeader, new: GGUFHeader, full: bool = False) -> tuple[Entry, ...]:
    """Metadata keys old -> new (``kv.KEY``), then the tensor table as for safetensors."""
    keys = sorted(set(old.metadata) | set(new.metadata))
    entries = [Entry(f"kv.{k}", old.metadata.get(k), new.metadata.get(k)) for k in keys
               if old.metadata.get(k) != new.metadata.get(k)]
    if old.version != new.version:
        entries.insert(0, Entry("version", old.version, new.version))
    tensors = [e for e in diff_headers(old.tensors, new.tensors).entries(full) if not e.key.startswith("bytes.")]
    return (*entries, *tensors)
