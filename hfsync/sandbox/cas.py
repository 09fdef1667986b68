"""The Xet content store: xorbs, file reconstructions and the global dedup index.

Layout under ``root`` (every name is content-addressed, every write atomic):

    xorbs/ab/<xorb hex>        the xorb as uploaded
    xorbs/ab/<xorb hex>.idx    its chunk table (hash, offset, size), written first
    files/ab/<file hex>.json   a file's reconstruction: terms, size, sha256
    sha256/ab/<sha256>         the file hex of the Xet file with that sha256
    dedup/ab/<chunk hex>       the xorb hex holding a dedup-eligible chunk
    shards/ab/<sha256 of body> an accepted shard, as uploaded

A xorb counts as stored when its body exists; its index is written before it, so a
kill -9 leaves either nothing, an orphan index (rewritten by the next upload), or both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hfsync.sandbox import xet_format as xf
from hfsync.sandbox.gitstore import atomic_write


class ShardRejected(Exception):
    """A shard that names content the store does not hold, or hashes that do not match."""


@dataclass(frozen=True)
class XetFile:
    """A stored file: its Xet hash (hex), size, sha256 and terms (xorb hex, start, end, size)."""

    hash: str
    size: int
    sha256: str | None
    terms: list[tuple[str, int, int, int]]


@dataclass(frozen=True)
class Piece:
    """Part of a reconstruction: chunks [start, end) of a xorb, ``size`` bytes unpacked,
    stored at xorb bytes [first, last)."""

    xorb: str
    start: int
    end: int
    size: int
    first: int
    last: int


class CasStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, kind: str, name: str, suffix: str = "") -> Path:
        return self.root / kind / name[:2] / f"{name}{suffix}"

    # -- xorbs -------------------------------------------------------------------------

    def has_xorb(self, xorb: str) -> bool:
        return self._path("xorbs", xorb).is_file()

    def xorb_path(self, xorb: str) -> Path:
        return self._path("xorbs", xorb)

    def put_xorb(self, xorb: str, body: bytes) -> bool:
        """Store a xorb after checking its hash; False if it was already there.

        Raises FormatError if the body does not parse or hashes to another name."""
        chunks = xf.parse_xorb(body)
        got = xf.to_hex(xf.merkle_root(list(zip(chunks.hashes, chunks.sizes, strict=True))))
        if got != xorb:
            raise xf.FormatError(f"xorb hash mismatch: the body hashes to {got}")
        if self.has_xorb(xorb):
            return False
        atomic_write(self._path("xorbs", xorb, ".idx"), chunks.pack(), durable=True)
        atomic_write(self._path("xorbs", xorb), body, durable=True)
        return True

    def chunks(self, xorb: str) -> xf.XorbChunks:
        return xf.XorbChunks.unpack(self._path("xorbs", xorb, ".idx").read_bytes())

    # -- shards and files ----------------------------------------------------------------

    def put_shard(self, body: bytes) -> bool:
        """Check and record a shard's files and xorbs; False if this shard was seen before.

        Raises FormatError if malformed, ShardRejected if it names xorbs the store does
        not hold or hashes that do not match them."""
        files, xorbs = xf.parse_shard(body)
        for x in xorbs:
            if not self.has_xorb(xf.to_hex(x.hash)):
                raise ShardRejected(f"xorb {xf.to_hex(x.hash)} was never uploaded")
        records = [self._check_file(f) for f in files]
        name = hashlib.sha256(body).hexdigest()
        seen = self._path("shards", name).is_file()
        for record in records:
            self._record_file(record)
        for x in xorbs:
            self._index_chunks(xf.to_hex(x.hash), [c[0] for c in x.chunks if c[3] & xf.CHUNK_GLOBAL_DEDUP_FLAG])
        if not seen:
            atomic_write(self._path("shards", name), body, durable=True)
        return not seen

    def _check_file(self, item: xf.ShardFile) -> XetFile:
        leaves: list[tuple[bytes, int]] = []
        terms = []
        for i, term in enumerate(item.terms):
            xorb = xf.to_hex(term.xorb)
            if not self.has_xorb(xorb):
                raise ShardRejected(f"xorb {xorb} was never uploaded")
            chunks = self.chunks(xorb)
            if not 0 <= term.start < term.end <= len(chunks.hashes):
                raise ShardRejected(f"chunks {term.start}..{term.end} are not in xorb {xorb}")
            hashes, sizes = chunks.hashes[term.start : term.end], chunks.sizes[term.start : term.end]
            if sum(sizes) != term.size:
                raise ShardRejected(f"term {i} of file {xf.to_hex(item.hash)} has the wrong size")
            if item.verification is not None and item.verification[i] != xf.range_hash(hashes):
                raise ShardRejected(f"term {i} of file {xf.to_hex(item.hash)} fails verification")
            leaves += zip(hashes, sizes, strict=True)
            terms.append((xorb, term.start, term.end, term.size))
        if xf.file_hash(leaves) != item.hash:
            raise ShardRejected(f"file {xf.to_hex(item.hash)} does not hash to its name")
        # The sha256 travels as a Xet hash (words swapped), like every other hash.
        sha = xf.to_hex(item.sha256) if item.sha256 is not None else None
        return XetFile(xf.to_hex(item.hash), sum(t[3] for t in terms), sha, terms)

    def _record_file(self, record: XetFile) -> None:
        data = {"size": record.size, "sha256": record.sha256, "terms": record.terms}
        path = self._path("files", record.hash, ".json")
        if not path.is_file():
            atomic_write(path, json.dumps(data).encode(), durable=True)
        if record.sha256 is not None and not self._path("sha256", record.sha256).is_file():
            atomic_write(self._path("sha256", record.sha256), record.hash.encode(), durable=True)
        if record.terms:
            xorb, start = record.terms[0][0], record.terms[0][1]
            self._index_chunks(xorb, [self.chunks(xorb).hashes[start]])

    def _index_chunks(self, xorb: str, hashes: list[bytes]) -> None:
        chunks = self.chunks(xorb)
        eligible = {h for h in chunks.hashes if xf.is_dedup_eligible(h)} | set(hashes)
        for h in eligible:
            path = self._path("dedup", xf.to_hex(h))
            if not path.is_file():
                atomic_write(path, xorb.encode(), durable=True)

    def file(self, file_hash: str) -> XetFile | None:
        try:
            data = json.loads(self._path("files", file_hash, ".json").read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        return XetFile(file_hash, data["size"], data["sha256"], [tuple(t) for t in data["terms"]])

    def file_for_sha256(self, sha256: str) -> XetFile | None:
        """The Xet file whose contents have this sha256, if one was uploaded."""
        if len(sha256) != 64:
            return None
        try:
            return self.file(self._path("sha256", sha256).read_text().strip())
        except FileNotFoundError:
            return None

    def dedup_xorb(self, chunk: str) -> str | None:
        try:
            return self._path("dedup", chunk).read_text().strip()
        except FileNotFoundError:
            return None

    # -- reading ---------------------------------------------------------------------

    def pieces(self, record: XetFile, first: int, last: int) -> tuple[int, list[Piece]]:
        """The chunk ranges that cover file bytes [first, last] (inclusive), and the
        offset of ``first`` into the first one."""
        out: list[Piece] = []
        skip, pos = 0, 0
        for xorb, start, end, size in record.terms:
            if pos > last:
                break
            if pos + size <= first:
                pos += size
                continue
            chunks = self.chunks(xorb)
            a = start
            while pos + chunks.sizes[a] <= first:
                pos += chunks.sizes[a]
                a += 1
            if not out:
                skip = first - pos
            b, covered = a, pos
            while b < end and covered <= last:
                covered += chunks.sizes[b]
                b += 1
            lo, hi = chunks.byte_span(a, b)
            out.append(Piece(xorb, a, b, covered - pos, lo, hi))
            pos = covered
        return skip, out

    def read(self, record: XetFile, first: int, length: int) -> Iterator[bytes]:
        """File bytes [first, first + length), decoded from the xorbs chunk by chunk."""
        skip, pieces = self.pieces(record, first, first + length - 1)
        left = length
        for piece in pieces:
            with open(self.xorb_path(piece.xorb), "rb") as f:
                f.seek(piece.first)
                data = f.read(piece.last - piece.first)
            for _offset, raw in xf.iter_chunks(data, piece.first):
                if skip >= len(raw):
                    skip -= len(raw)
                    continue
                part = raw[skip : skip + left]
                skip = 0
                left -= len(part)
                yield part
                if left <= 0:
                    return
