"""The Xet storage formats the CAS side reads and writes: hashes, xorbs and shards.

Everything here is pure (bytes in, values out). Hashes are 32 raw bytes; on the wire
and on disk they are written as Xet hex (each 8-byte word as a little-endian u64,
in order), see ``to_hex``.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

import blake3
import lz4.frame

DATA_KEY = bytes(
    [102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28,
     157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41]
)  # fmt: skip
INTERNAL_NODE_KEY = bytes(
    [1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230,
     93, 221, 83, 111, 55, 199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63]
)  # fmt: skip
VERIFICATION_KEY = bytes(
    [127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243,
     164, 205, 38, 213, 181, 219, 73, 230, 65, 36, 152, 127, 40, 251, 148, 195]
)  # fmt: skip
SHARD_TAG = b"HFRepoMetaData\x00" + bytes(
    [85, 105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169]
)
BOOKEND = b"\xff" * 32
GLOBAL_DEDUP_MODULUS = 1024
CHUNK_GLOBAL_DEDUP_FLAG = 1 << 31
FILE_WITH_VERIFICATION = 1 << 31
FILE_WITH_METADATA_EXT = 1 << 30
XORB_FOOTER_IDENT = b"XETBLOB"
MAX_XORB_BYTES = 64 * 1024 * 1024 + 1024 * 1024  # the spec's 64 MiB plus room for the footer
MAX_CHUNK_BYTES = 128 * 1024


class FormatError(ValueError):
    """Bytes that do not parse as the format they claim to be."""


# -- hashes ---------------------------------------------------------------------------


def to_hex(h: bytes) -> str:
    """Xet hex of a raw hash: each 8-byte word read as a little-endian u64."""
    return "".join(h[i : i + 8][::-1].hex() for i in (0, 8, 16, 24))


def from_hex(text: str) -> bytes:
    """The raw hash of a Xet hex string; FormatError if it is not 64 hex digits."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise FormatError(f"not a hash: {text!r}") from None
    if len(raw) != 32 or len(text) != 64:
        raise FormatError(f"not a hash: {text!r}")
    return b"".join(raw[i : i + 8][::-1] for i in (0, 8, 16, 24))


def chunk_hash(data: bytes) -> bytes:
    return blake3.blake3(data, key=DATA_KEY).digest()


def _word3(h: bytes) -> int:
    return int.from_bytes(h[24:32], "little")


def is_dedup_eligible(h: bytes) -> bool:
    """Whether clients ask the global dedup index about this chunk hash."""
    return _word3(h) % GLOBAL_DEDUP_MODULUS == 0


def _merge(nodes: list[tuple[bytes, int]]) -> tuple[bytes, int]:
    text = "".join(f"{to_hex(h)} : {size}\n" for h, size in nodes)
    return blake3.blake3(text.encode(), key=INTERNAL_NODE_KEY).digest(), sum(size for _, size in nodes)


def _next_cut(nodes: list[tuple[bytes, int]], start: int) -> int:
    remaining = len(nodes) - start
    if remaining <= 2:
        return len(nodes)
    end = start + min(9, remaining)
    for i in range(start + 2, end):
        if _word3(nodes[i][0]) % 4 == 0:
            return i + 1
    return end


def merkle_root(chunks: list[tuple[bytes, int]]) -> bytes:
    """The root of Xet's aggregated hash tree over (chunk hash, size) leaves."""
    if not chunks:
        return bytes(32)
    nodes = list(chunks)
    while len(nodes) > 1:
        merged, i = [], 0
        while i < len(nodes):
            cut = _next_cut(nodes, i)
            merged.append(_merge(nodes[i:cut]))
            i = cut
        nodes = merged
    return nodes[0][0]


def file_hash(chunks: list[tuple[bytes, int]]) -> bytes:
    if not chunks:
        return bytes(32)
    return blake3.blake3(merkle_root(chunks), key=bytes(32)).digest()


def range_hash(hashes: list[bytes]) -> bytes:
    """The verification hash a shard gives for a term over these chunk hashes."""
    return blake3.blake3(b"".join(hashes), key=VERIFICATION_KEY).digest()


# -- xorbs ----------------------------------------------------------------------------


@dataclass
class XorbChunks:
    """A xorb's chunks: hash, uncompressed size and byte offset of each chunk header;
    ``end`` is where the last chunk's data ends (a footer may follow)."""

    hashes: list[bytes] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    end: int = 0

    def byte_span(self, start: int, stop: int) -> tuple[int, int]:
        """Byte offsets [first, last) in the xorb of chunks [start, stop)."""
        last = self.offsets[stop] if stop < len(self.offsets) else self.end
        return self.offsets[start], last

    def pack(self) -> bytes:
        rows = zip(self.hashes, self.offsets, self.sizes, strict=True)
        return struct.pack("<I", self.end) + b"".join(struct.pack("<32sII", *row) for row in rows)

    @classmethod
    def unpack(cls, data: bytes) -> XorbChunks:
        out = cls(end=struct.unpack_from("<I", data)[0])
        for h, o, s in struct.iter_unpack("<32sII", data[4:]):
            out.hashes.append(h)
            out.offsets.append(o)
            out.sizes.append(s)
        return out


def decompress(scheme: int, data: bytes, size: int) -> bytes:
    """One chunk's bytes from its stored form (none, LZ4 frame, or byte-grouped LZ4)."""
    try:
        if scheme == 0:
            raw = data
        elif scheme in (1, 2):
            raw = lz4.frame.decompress(data)
        else:
            raise FormatError(f"unknown chunk compression scheme {scheme}")
    except RuntimeError as error:
        raise FormatError(f"chunk does not decompress: {error}") from None
    if len(raw) != size:
        raise FormatError(f"chunk is {len(raw)} bytes, its header says {size}")
    return _ungroup4(raw) if scheme == 2 else raw


def _ungroup4(data: bytes) -> bytes:
    n, out, pos = len(data), bytearray(len(data)), 0
    for i in range(4):
        count = n // 4 + (1 if i < n % 4 else 0)
        out[i::4] = data[pos : pos + count]
        pos += count
    return bytes(out)


def iter_chunks(data: bytes, base: int = 0):  # type: ignore[no-untyped-def]
    """(offset, raw chunk bytes) for each chunk of serialized xorb bytes, stopping at a
    footer. ``base`` is the offset of ``data`` in the whole xorb."""
    pos = 0
    while pos < len(data) and not data.startswith(XORB_FOOTER_IDENT, pos):
        if len(data) - pos < 8:
            raise FormatError("truncated chunk header")
        version, csize, scheme, usize = data[pos], *_header_fields(data[pos : pos + 8])
        if version != 0:
            raise FormatError(f"unknown chunk header version {version}")
        if usize > MAX_CHUNK_BYTES or pos + 8 + csize > len(data):
            raise FormatError("chunk larger than the limit or past the end of the xorb")
        yield base + pos, decompress(scheme, data[pos + 8 : pos + 8 + csize], usize)
        pos += 8 + csize


def _header_fields(header: bytes) -> tuple[int, int, int]:
    return int.from_bytes(header[1:4], "little"), header[4], int.from_bytes(header[5:8], "little")


def parse_xorb(data: bytes) -> XorbChunks:
    """Every chunk of a serialized xorb, hashed; FormatError if it does not parse."""
    out = XorbChunks()
    for offset, raw in iter_chunks(data):
        out.hashes.append(chunk_hash(raw))
        out.sizes.append(len(raw))
        out.offsets.append(offset)
        out.end = offset + 8 + int.from_bytes(data[offset + 1 : offset + 4], "little")
    if not out.hashes:
        raise FormatError("a xorb holds at least one chunk")
    return out


# -- shards ---------------------------------------------------------------------------


@dataclass
class Term:
    xorb: bytes
    size: int
    start: int
    end: int


@dataclass
class ShardFile:
    hash: bytes
    terms: list[Term]
    verification: list[bytes] | None = None
    sha256: bytes | None = None


@dataclass
class ShardXorb:
    hash: bytes
    chunks: list[tuple[bytes, int, int, int]]  # (hash, uncompressed start, size, flags)
    size: int
    on_disk: int


def parse_shard(data: bytes) -> tuple[list[ShardFile], list[ShardXorb]]:
    """Files and xorbs of a shard (footer optional); FormatError if malformed."""
    if len(data) < 48 or data[:32] != SHARD_TAG:
        raise FormatError("not a shard (wrong magic number)")
    if struct.unpack_from("<Q", data, 32)[0] != 2:
        raise FormatError("unsupported shard header version")
    reader = _Reader(data, 48)
    files: list[ShardFile] = []
    while (head := reader.take(48))[:32] != BOOKEND:
        flags, count = struct.unpack_from("<II", head, 32)
        rows = [struct.unpack("<32sIIII", reader.take(48)) for _ in range(count)]
        terms = [Term(h, size, a, b) for h, _flags, size, a, b in rows]
        item = ShardFile(head[:32], terms)
        if flags & FILE_WITH_VERIFICATION:
            item.verification = [reader.take(48)[:32] for _ in range(count)]
        if flags & FILE_WITH_METADATA_EXT:
            item.sha256 = reader.take(48)[:32]
        files.append(item)
    xorbs: list[ShardXorb] = []
    while (head := reader.take(48))[:32] != BOOKEND:
        _flags, count, size, on_disk = struct.unpack_from("<IIII", head, 32)
        rows = [struct.unpack("<32sIII4x", reader.take(48)) for _ in range(count)]
        xorbs.append(ShardXorb(head[:32], [(h, a, s, f) for h, a, s, f in rows], size, on_disk))
    return files, xorbs


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise FormatError("truncated shard")
        self.pos += n
        return self.data[self.pos - n : self.pos]


def dedup_shard(xorbs: list[tuple[bytes, XorbChunks, int]], ttl: int = 14 * 24 * 3600) -> bytes:
    """The global dedup answer: a shard with no files and these (hash, chunks, on-disk
    size) xorbs, chunk hashes in the clear (a zero HMAC key), with the footer's lookup
    tables (hf_xet sizes the CAS section from where the first table starts)."""
    body = bytearray(SHARD_TAG + struct.pack("<QQ", 2, 200))
    body += BOOKEND + bytes(16)
    cas_offset = len(body)
    cas_lookup: list[tuple[int, int]] = []
    chunk_lookup: list[tuple[int, int, int]] = []
    index = 0  # in 48-byte entries of the CAS section
    for xorb, chunks, on_disk in xorbs:
        cas_lookup.append((_truncated(xorb), index))
        body += xorb + struct.pack("<IIII", 0, len(chunks.hashes), sum(chunks.sizes), on_disk)
        start = 0
        for i, (h, size) in enumerate(zip(chunks.hashes, chunks.sizes, strict=True)):
            flags = CHUNK_GLOBAL_DEDUP_FLAG if is_dedup_eligible(h) else 0
            body += h + struct.pack("<IIII", start, size, flags, 0)
            chunk_lookup.append((_truncated(h), index, i))
            start += size
        index += 1 + len(chunks.hashes)
    body += BOOKEND + bytes(16)
    file_lookup = len(body)  # no files
    cas_table = len(body)
    for key, at in sorted(cas_lookup):
        body += struct.pack("<QI", key, at)
    chunk_table = len(body)
    for key, at, i in sorted(chunk_lookup):
        body += struct.pack("<QII", key, at, i)
    now = int(time.time())
    footer_offset = len(body)
    body += struct.pack("<QQQ", 1, 48, cas_offset)
    body += struct.pack("<QQQQQQ", file_lookup, 0, cas_table, len(cas_lookup), chunk_table, len(chunk_lookup))
    body += bytes(32)  # no HMAC key
    body += struct.pack("<QQ", now, now + ttl) + bytes(72) + struct.pack("<Q", footer_offset)
    return bytes(body)


def _truncated(hash: bytes) -> int:
    """A hash's lookup-table key: its first 8 bytes as a little-endian u64."""
    return int.from_bytes(hash[:8], "little")
