"""Hostile files for the diff readers, each built here byte by byte, and their honest peers.

A ``Case`` is a file on the Hub (``old``, None: not there) and the local file that
replaces it (``new``), at ``path``. The plan tests (tests/publish/test_diff_bounds.py)
run each through ``hfsync plan``; bench/bench_diff_bounds.py runs the same cases as a user
runs them and records time and memory. Sizes are the ones the hostile runs reported:
100,000 columns, 100,000 levels of nesting, a 50 MB line, a count of 2**60.
"""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass

from tests.inspect.samples import gguf_bytes, safetensors_bytes

DEEP = 100_000
WIDE = 100_000


@dataclass(frozen=True)
class Case:
    path: str
    old: bytes | None
    new: bytes


# --- JSON ---------------------------------------------------------------------------

def config(**values: object) -> bytes:
    return json.dumps({"architectures": ["Bert"], "hidden_size": 768, **values}, indent=2).encode()


def json_good() -> Case:
    return Case("config.json", config(num_labels=2), config(num_labels=3))


def json_deep() -> Case:
    return Case("config.json", config(num_labels=2), b"[" * DEEP + b"]" * DEEP)


def json_deep_object() -> Case:
    return Case("config.json", b'{"a": ' * DEEP + b"1" + b"}" * DEEP, config(num_labels=2))


def json_long_paths() -> Case:
    """Every leaf's key path repeats one 300 kB key: 40,000 leaves of it would be 12 GB of paths."""
    inner = {f"k{i}": i for i in range(40_000)}
    return Case("config.json", config(), json.dumps({"x" * 300_000: inner}).encode())


# --- YAML front matter (cards): hostile on the Hub, as a card the local one replaces ---
# (a local card's front matter is the card check's to refuse, before any diff)

def card(front: str, body: str = "# Model\n\nAn honest card.\n") -> bytes:
    return f"---\n{front}\n---\n{body}".encode()


def card_good() -> Case:
    return Case("README.md", card("license: mit\ntags: [a, b]"), card("license: apache-2.0\ntags: [a, b, c]"))


def yaml_bomb() -> Case:
    """Billion laughs: nine levels of nine aliases, 9**9 strings once expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    return Case("README.md", card("\n".join(lines)), card("license: mit"))


def yaml_deep() -> Case:
    return Case("README.md", card("a: " + "[" * DEEP + "]" * DEEP), card("license: mit"))


def yaml_deep_block() -> Case:
    """Block mappings nested by indentation: the scanner's tokens, not brackets."""
    front = "\n".join(" " * i + f"k{i}:" for i in range(1_000)) + " 1"
    return Case("README.md", card(front), card("license: mit"))


def yaml_self() -> Case:
    """An alias inside the node it names: a list that holds itself."""
    return Case("README.md", card("a: &a [1, *a]"), card("license: mit"))


# --- CSV, TSV, JSON Lines -----------------------------------------------------------

def table(header: list[str], rows: int, sep: str = ",") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(r) for _ in header) for r in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def csv_good() -> Case:
    names = [f"col{i}" for i in range(10)]
    return Case("train.csv", table(names, 1000), table([*names[:-1], "label"], 1001))


def csv_wide() -> Case:
    names = [f"c{i}" for i in range(WIDE)]
    return Case("train.csv", table(names, 2), table([*names[1:], "extra"], 2))


def tsv_wide() -> Case:
    names = [f"c{i}" for i in range(WIDE)]
    return Case("train.tsv", table(names, 1, "\t"), table(names[::-1], 1, "\t"))


def csv_big_field() -> Case:
    """One cell past the csv module's 128 kB field limit."""
    return Case("train.csv", table(["a", "b"], 2), b"a,b\n" + b"x" * 200_000 + b",1\n")


def csv_many_rows() -> Case:
    """A million rows of one empty column: a million lists if read at once."""
    return Case("train.csv", table(["a"], 3), b"a\n" + b"\n" * 900_000)


def jsonl_good() -> Case:
    rows = [json.dumps({"text": f"row {i}", "label": i % 2}) for i in range(1000)]
    return Case("data.jsonl", "\n".join(rows[:-1]).encode() + b"\n", ("\n".join(rows) + "\n").encode())


def jsonl_long_line() -> Case:
    """One 50 MB line: past what a text diff reads, so only the start of the file is read."""
    line = b'{"text": "' + b"x" * 50_000_000 + b'"}\n'
    return Case("data.jsonl", b'{"text": "a"}\n', line)


def jsonl_deep() -> Case:
    return Case("data.jsonl", b'{"text": "a"}\n', b"[" * DEEP + b"]" * DEEP + b"\n")


# --- safetensors --------------------------------------------------------------------

def weights_good() -> Case:
    return Case("model.safetensors", safetensors_bytes({"w": ("F32", [64, 64])}),
                safetensors_bytes({"w": ("BF16", [64, 64]), "b": ("F32", [64])}))


def safetensors_huge_claim() -> Case:
    """A header length of 2**60 in the first 8 bytes, and a few bytes after it."""
    return Case("model.safetensors", safetensors_bytes({"w": ("F32", [4])}), struct.pack("<Q", 2**60) + b"{}" * 8)


def safetensors_deep_metadata() -> Case:
    nested = b'{"__metadata__": {"a": ' + b"[" * DEEP + b"]" * DEEP + b"}}"
    return Case("model.safetensors", safetensors_bytes({"w": ("F32", [4])}), struct.pack("<Q", len(nested)) + nested)


def safetensors_many_values() -> Case:
    """A 60 MB header of thirty million numbers: past what a parsed header may hold."""
    header = b'{"w": {"dtype": "U8", "shape": [' + b"0," * 30_000_000 + b'0], "data_offsets": [0, 0]}}'
    return Case("model.safetensors", safetensors_bytes({"w": ("F32", [4])}), struct.pack("<Q", len(header)) + header)


# --- GGUF ---------------------------------------------------------------------------

def _gguf_string(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


def gguf_raw(kvs: list[bytes], tensors: int = 0) -> bytes:
    """A GGUF v3 header of the key-values given as raw bytes (key, type, value)."""
    return b"GGUF" + struct.pack("<IQQ", 3, tensors, len(kvs)) + b"".join(kvs) + b"\0" * 64


def gguf_good() -> Case:
    vocab = [f"tok{i}" for i in range(32)]
    return Case("m.gguf", gguf_bytes({"general.name": "m", "tokens": vocab}, {"w": ("F32", [8, 8])}),
                gguf_bytes({"general.name": "m2", "tokens": [*vocab, "new"]}, {"w": ("Q8_0", [8, 8])}))


def gguf_huge_count() -> Case:
    """An array declaring 2**60 items of one byte, and no items."""
    kv = _gguf_string(b"tokens") + struct.pack("<IIQ", 9, 0, 2**60)
    return Case("m.gguf", gguf_good().old, gguf_raw([kv]))


def gguf_nested_arrays() -> Case:
    """An array of 100,000 arrays of arrays ... nested 100,000 deep."""
    value = struct.pack("<I", 9)
    for _ in range(DEEP):
        value += struct.pack("<IQ", 9, 1)
    value += struct.pack("<IQ", 0, 0)
    return Case("m.gguf", gguf_good().old, gguf_raw([_gguf_string(b"nested") + value]))


def gguf_many_values() -> Case:
    """Three million key-values of one byte each: past what a header diff walks."""
    kv = struct.pack("<Q", 1) + b"k" + struct.pack("<IB", 0, 1)
    return Case("m.gguf", gguf_good().old, gguf_raw([kv] * 3_000_000))


def gguf_long_string() -> Case:
    """One 30 MB string value."""
    kv = _gguf_string(b"chat_template") + struct.pack("<I", 8) + _gguf_string(b"x" * 30_000_000)
    return Case("m.gguf", gguf_good().old, gguf_raw([kv]))


# --- Parquet (footers built by Thrift's compact protocol, as a writer would) ----------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


class _Struct:
    """A Thrift compact struct, its fields written in increasing id order."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.last = 0

    def _field(self, fid: int, kind: int) -> None:
        self.parts.append(bytes([(fid - self.last) << 4 | kind]))
        self.last = fid

    def int(self, fid: int, value: int, kind: int = 5) -> _Struct:  # 5 i32, 6 i64
        self._field(fid, kind)
        self.parts.append(_varint(value << 1 if value >= 0 else (-value << 1) - 1))
        return self

    def text(self, fid: int, value: str) -> _Struct:
        self._field(fid, 8)
        self.parts.append(_varint(len(value.encode())) + value.encode())
        return self

    def list(self, fid: int, kind: int, items: list[bytes]) -> _Struct:
        self._field(fid, 9)
        head = bytes([len(items) << 4 | kind]) if len(items) < 15 else bytes([0xF0 | kind]) + _varint(len(items))
        self.parts += [head, *items]
        return self

    def struct(self, fid: int, value: bytes) -> _Struct:
        self._field(fid, 12)
        self.parts.append(value)
        return self

    def bytes(self) -> bytes:
        return b"".join(self.parts) + b"\0"


def parquet_footer(columns: int, groups: int) -> bytes:
    """A Parquet file that is only a footer: ``columns`` int32 columns, ``groups`` row groups."""
    schema = [_Struct().text(4, "schema").int(5, columns).bytes()]
    schema += [_Struct().int(1, 1).int(3, 0).text(4, f"c{i}").bytes() for i in range(columns)]

    def chunk(i: int) -> bytes:
        name = f"c{i}".encode()
        meta = (_Struct().int(1, 1).list(2, 5, [b"\0"]).list(3, 8, [_varint(len(name)) + name]).int(4, 1)
                .int(5, 1, 6).int(6, 8, 6).int(7, 8, 6).int(9, 4, 6))
        return _Struct().int(2, 4, 6).struct(3, meta.bytes()).bytes()

    group = _Struct().list(1, 12, [chunk(i) for i in range(columns)]).int(2, 8 * columns, 6).int(3, 1, 6).bytes()
    meta = _Struct().int(1, 1).list(2, 12, schema).int(3, groups, 6).list(4, 12, [group] * groups).bytes()
    return b"PAR1" + meta + struct.pack("<I", len(meta)) + b"PAR1"


def parquet_good() -> Case:
    return Case("data.parquet", parquet_footer(10, 4), parquet_footer(11, 5))


def parquet_many_chunks() -> Case:
    """A million column chunks (500 columns x 2,000 row groups) in a 27 MB footer."""
    return Case("data.parquet", parquet_footer(10, 4), parquet_footer(500, 2_000))


def parquet_wide() -> Case:
    return Case("data.parquet", parquet_footer(10, 1), parquet_footer(WIDE, 1))


def parquet_deep() -> Case:
    schema = [_Struct().text(4, "schema").int(5, 1).bytes()]
    schema += [_Struct().int(3, 1).text(4, "a").int(5, 1).bytes() for _ in range(DEEP)]
    schema.append(_Struct().int(1, 1).int(3, 1).text(4, "leaf").bytes())
    meta = _Struct().int(1, 1).list(2, 12, schema).int(3, 0, 6).list(4, 12, []).bytes()
    return Case("data.parquet", parquet_footer(10, 1), b"PAR1" + meta + struct.pack("<I", len(meta)) + b"PAR1")


def parquet_lying_count() -> Case:
    """A small footer whose schema list claims two billion columns: the count is a lie the
    reader must not allocate for."""
    meta = b"\x15\x02\x19\xfc" + _varint(2_000_000_000) + b"\x00" * 64
    return Case("data.parquet", parquet_footer(10, 1), b"PAR1" + meta + struct.pack("<I", len(meta)) + b"PAR1")


# --- plain text ---------------------------------------------------------------------

def lines(count: int, make: Callable[[int], str]) -> bytes:
    return "".join(make(i) + "\n" for i in range(count)).encode()


def text_good() -> Case:
    old = lines(2_000, lambda i: f"line {i} of an honest file")
    return Case("notes.txt", old, old.replace(b"line 1000 of", b"line 1000, edited, of"))


def text_long_line() -> Case:
    """One 20 MB line."""
    return Case("notes.txt", b"short\n", b"x" * 20_000_000)


def text_long_lines() -> Case:
    """One 900 kB line on each side, differing in one character: within what a text diff reads."""
    return Case("notes.txt", b"a" * 900_000 + b"\n", b"a" * 899_999 + b"b\n")


def text_no_common() -> Case:
    """Two 50,000-line files with no line in common."""
    return Case("notes.txt", lines(50_000, lambda i: f"old {i}"), lines(50_000, lambda i: f"new {i}"))


def text_many_lines() -> Case:
    """900,000 empty lines against as many lines of one character."""
    return Case("notes.txt", b"\n" * 900_000, b"x\n" * 450_000)


def text_repeats() -> Case:
    """90,000 lines drawn from 200 values, each repeated just below difflib's 1% "popular" cut:
    every line matches hundreds of others, which SequenceMatcher compares pair by pair."""
    draw = random.Random(1)
    return Case("notes.txt", lines(90_000, lambda i: f"v{draw.randrange(200)}"),
                lines(90_000, lambda i: f"v{draw.randrange(200)}"))
