"""Pulling a file over Xet: its bytes from its reconstruction, reusing chunks already on disk.

The Hub names a Xet-stored file by its Xet hash. Its reconstruction (from the CAS) lists
terms: (xorb, chunk range [start, end), unpacked length); the file is those chunks in
order. A file already on the machine (the previous pin's copy) has a reconstruction
too. Where a term of the new file covers chunks of a xorb that a term of the old file
also covers, those bytes sit in the old file at an offset computable from unpacked
lengths: every term says "chunk ``end`` starts ``length`` bytes after chunk ``start``"
in its xorb, and the terms of both files together place chunk boundaries relative to
each other. Those bytes are copied from the old file; the rest is fetched from xorb
byte ranges (the CDN URLs of the reconstruction) and decompressed. The caller hashes
every byte and checks the pinned digest before the rename, as for any download, so a
wrong guess here costs a retry, never a wrong file.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import hf_xet
import lz4.frame
from huggingface_hub import constants
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status
from huggingface_hub.utils._xet import XetTokenType, xet_connection_info_refresh_url
from huggingface_hub.utils._xet import _fetch_xet_connection_info_with_url as connection_info

from hfsync.errors import HubError
from hfsync.hub.client import Hub
from hfsync.hub.retry import RETRY_STATUSES, TransientError

COPY = 1024 * 1024


@dataclass(frozen=True)
class Term:
    xorb: str
    start: int
    end: int
    length: int


@dataclass(frozen=True)
class Piece:
    """``length`` bytes of the new file: from ``local`` (offset in the old file), or term ``term``."""

    length: int
    local: int | None
    term: Term | None = None


@dataclass(frozen=True)
class LocalCopy:
    """A local copy of an earlier pin of a file, and its Xet hash when a record gives it
    (else hf_xet computes it from the bytes)."""

    path: Path
    xet_hash: str | None = None


@dataclass
class Recon:
    terms: list[Term]
    fetch: dict[str, list[dict]]


class _Places:
    """Chunk boundaries of each xorb placed relative to each other (a weighted union-find)."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, int], tuple[tuple[str, int], int]] = {}

    def find(self, node: tuple[str, int]) -> tuple[tuple[str, int], int]:
        """(root, position of ``node`` minus position of root)."""
        offset = 0
        path = []
        while node in self.parent and self.parent[node][0] != node:
            up, delta = self.parent[node]
            path.append((node, delta))
            offset += delta
            node = up
        return node, offset

    def join(self, xorb: str, start: int, end: int, length: int) -> None:
        (ra, oa), (rb, ob) = self.find((xorb, start)), self.find((xorb, end))
        if ra != rb:  # pos(end) = pos(start) + length  =>  pos(rb) = pos(ra) + oa + length - ob
            self.parent[rb] = (ra, oa + length - ob)
            self.parent.setdefault(ra, (ra, 0))

    def distance(self, xorb: str, a: int, b: int) -> int | None:
        """pos(b) - pos(a), when the terms seen determine it."""
        (ra, oa), (rb, ob) = self.find((xorb, a)), self.find((xorb, b))
        return ob - oa if ra == rb else None


def plan(new: list[Term], old: list[Term]) -> list[Piece]:
    """The new file as pieces: copied from the old file where its terms place the bytes
    exactly, fetched otherwise. Adjacent copies are merged."""
    places = _Places()
    for term in (*old, *new):
        places.join(term.xorb, term.start, term.end, term.length)
    covered: dict[str, list[tuple[Term, int]]] = {}
    offset = 0
    for term in old:
        covered.setdefault(term.xorb, []).append((term, offset))
        offset += term.length
    pieces: list[Piece] = []
    for term in new:
        local = None
        for have, at in covered.get(term.xorb, ()):
            if have.start <= term.start and term.end <= have.end:
                skip = places.distance(term.xorb, have.start, term.start)
                if skip is not None and 0 <= skip and skip + term.length <= have.length:
                    local = at + skip
                    break
        last = pieces[-1] if pieces else None
        if local is not None and last is not None and last.local is not None and last.local + last.length == local:
            pieces[-1] = Piece(last.length + term.length, last.local)
        else:
            pieces.append(Piece(term.length, local, None if local is not None else term))
    return pieces


def xet_hash_of(path: Path) -> str | None:
    """The Xet hash of a local file (computed by hf_xet, natively), or None if unreadable."""
    try:
        return hf_xet.hash_files([str(path)])[0].hash
    except Exception:  # an unreadable old copy only means nothing is reused
        return None


class XetReader:
    """Reconstructions and xorb ranges of one repo's Xet-stored files."""

    def __init__(self, hub: Hub, repo_id: str, repo_type: str, commit: str) -> None:
        self.hub = hub
        hub.session()  # connection info is fetched by huggingface_hub's shared client: retried, traced
        self.headers = build_hf_headers(token=hub.token or False, library_name="hfsync")
        self.refresh = xet_connection_info_refresh_url(
            token_type=XetTokenType.READ, repo_id=repo_id, repo_type=repo_type, revision=commit, endpoint=hub.endpoint,
        )

    def _get(self, url: str, headers: dict[str, str], signed: bool = False) -> bytes:
        with self.hub.session().stream("GET", url, headers=headers, timeout=60.0) as response:
            if response.status_code in RETRY_STATUSES:
                raise TransientError(f"HTTP {response.status_code}", response.status_code, response.headers)
            if signed and response.status_code == 403:
                response.read()
                raise ExpiredUrl(f"the Hub's Xet storage refused a xorb URL ({_said(response)})")
            if response.status_code >= 400:
                response.read()
                hf_raise_for_status(response)
            body = b"".join(response.iter_raw())
        expected = response.headers.get("Content-Length")
        if expected is not None and int(expected) != len(body):
            raise TransientError(f"connection closed after {len(body)} of {expected} bytes")
        return body

    def reconstruction(self, xet_hash: str) -> Recon:
        info = connection_info(self.refresh, self.headers)
        body = self._get(f"{info.endpoint.rstrip('/')}/v1/reconstructions/{xet_hash}",
                         {"Authorization": f"Bearer {info.access_token}"})
        try:
            raw = json.loads(body)
            terms = [Term(t["hash"], t["range"]["start"], t["range"]["end"], t["unpacked_length"])
                     for t in raw["terms"]]
            return Recon(terms, raw["fetch_info"])
        except (ValueError, KeyError, TypeError) as error:
            raise TransientError(f"malformed reconstruction ({type(error).__name__})") from None

    def term_bytes(self, recon: Recon, term: Term, received: Callable[[int], None],
                   last_range: dict[tuple, bytes]) -> Iterator[bytes]:
        """The term's unpacked bytes, chunk by chunk, from the smallest xorb byte range that
        holds it (``last_range`` keeps the last one fetched: files repeat chunks in a row)."""
        items = [i for i in recon.fetch.get(term.xorb, ())
                 if i["range"]["start"] <= term.start and term.end <= i["range"]["end"]]
        if not items:
            raise TransientError(f"the reconstruction gives no URL for xorb {term.xorb[:12]}")
        item = min(items, key=lambda i: i["url_range"]["end"] - i["url_range"]["start"])
        first, last = item["url_range"]["start"], item["url_range"]["end"]
        key = (term.xorb, first, last)
        body = last_range.get(key)
        if body is None:
            body = self._get(item["url"], {"Range": f"bytes={first}-{last}"}, signed=True)
            received(len(body))
            last_range.clear()
            last_range[key] = body
        index, pos, sent = item["range"]["start"], 0, 0
        while index < term.end:
            if pos + 8 > len(body):
                raise TransientError("xorb range ends inside a chunk")
            csize, scheme, usize = (int.from_bytes(body[pos + 1:pos + 4], "little"), body[pos + 4],
                                    int.from_bytes(body[pos + 5:pos + 8], "little"))
            data = body[pos + 8:pos + 8 + csize]
            pos += 8 + csize
            if index >= term.start:
                raw = _unpack(scheme, data, usize)
                sent += len(raw)
                yield raw
            index += 1
        if sent != term.length:
            raise TransientError(f"xorb chunks give {sent} bytes, the reconstruction says {term.length}")


class ExpiredUrl(HubError):
    """A xorb URL refused with 403: its signature expired (presigned URLs last about an hour)."""


def _said(response: object) -> str:
    text = getattr(response, "headers", {}).get("X-Error-Message") or ""
    return f"403 Forbidden: {text.rstrip('.')}" if text else "403 Forbidden"


def _unpack(scheme: int, data: bytes, size: int) -> bytes:
    try:
        raw = data if scheme == 0 else lz4.frame.decompress(data)
    except RuntimeError:
        raise TransientError("a xorb chunk does not decompress") from None
    if scheme not in (0, 1, 2) or len(raw) != size:
        raise TransientError("a xorb chunk is not what its header says")
    if scheme == 2:  # byte grouping: the 1st bytes of every 4, then the 2nd, ...
        out, n, at = bytearray(size), size, 0
        for i in range(4):
            count = n // 4 + (1 if i < n % 4 else 0)
            out[i::4] = raw[at:at + count]
            at += count
        raw = bytes(out)
    return raw


class XetSource:
    """The bytes of one pinned Xet file from any position: the old local copy, then xorbs."""

    def __init__(self, reader: XetReader, xet_hash: str, previous: LocalCopy | None) -> None:
        self.reader = reader
        self.xet_hash = xet_hash
        self.previous = previous
        self.pieces: list[Piece] | None = None
        self.recon: Recon | None = None
        self.reused = 0  # bytes copied from the previous local copy
        self.received = 0  # bytes received from xorb ranges

    def _plan(self) -> list[Piece]:
        if self.pieces is None:
            self.recon = self.reader.reconstruction(self.xet_hash)
            old: list[Term] = []
            old_hash = None
            if self.previous is not None:
                old_hash = self.previous.xet_hash or xet_hash_of(self.previous.path)
            if old_hash and old_hash != self.xet_hash:
                try:
                    old = self.reader.reconstruction(old_hash).terms
                except Exception:  # not on this Hub: nothing to reuse
                    old = []
            self.pieces = plan(self.recon.terms, old)
        return self.pieces

    def plain(self) -> XetSource:
        """The same file without reuse of the local copy (after a digest mismatch)."""
        return XetSource(self.reader, self.xet_hash, None)

    def __call__(self, position: int) -> Iterator[bytes]:
        """The file's bytes from ``position`` on."""
        pieces = self._plan()
        assert self.recon is not None
        at = 0
        last_range: dict[tuple, bytes] = {}
        for piece in pieces:
            if at + piece.length <= position:
                at += piece.length
                continue
            skip = max(0, position - at)
            if piece.local is not None:
                yield from self._copy(piece.local + skip, piece.length - skip)
            else:
                assert piece.term is not None
                for data in self._term(piece.term, last_range):
                    if skip >= len(data):
                        skip -= len(data)
                        continue
                    yield data[skip:]
                    skip = 0
            at += piece.length

    def _term(self, term: Term, last_range: dict[tuple, bytes]) -> Iterator[bytes]:
        """A term's bytes; a xorb URL that expired since the reconstruction was fetched (a
        long or resumed pull) gets fresh URLs from a new reconstruction, once per term."""
        assert self.recon is not None
        try:
            yield from self.reader.term_bytes(self.recon, term, self._received, last_range)
            return
        except ExpiredUrl:  # raised before the term's first byte: nothing to take back
            pass
        self.recon = Recon(self.recon.terms, self.reader.reconstruction(self.xet_hash).fetch)
        yield from self.reader.term_bytes(self.recon, term, self._received, last_range)

    def _received(self, n: int) -> None:
        self.received += n

    def _copy(self, offset: int, length: int) -> Iterator[bytes]:
        assert self.previous is not None
        fd = os.open(self.previous.path, os.O_RDONLY)
        try:
            while length > 0:
                # A copy that shrank since it was hashed yields zeros: the digest check then
                # fails and the download starts over without reuse.
                data = os.pread(fd, min(COPY, length), offset) or bytes(min(COPY, length))
                self.reused += len(data)
                offset += len(data)
                length -= len(data)
                yield data
        finally:
            os.close(fd)


class XetPull:
    """Xet sources for the files of one pull run, one reader per pinned commit."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.readers: dict[tuple[str, str, str], XetReader] = {}
        self.lock = threading.Lock()

    def source(self, repo_id: str, repo_type: str, commit: str, xet_hash: str | None,
               previous: LocalCopy | None) -> XetSource | None:
        """A source for a file the Hub stores in Xet, or None (no Xet hash, or Xet disabled
        with HF_HUB_DISABLE_XET): the resolve URL then serves it."""
        if not xet_hash or constants.HF_HUB_DISABLE_XET:
            return None
        with self.lock:
            key = (repo_id, repo_type, commit)
            if key not in self.readers:
                self.readers[key] = XetReader(self.hub, repo_id, repo_type, commit)
            return XetSource(self.readers[key], xet_hash, previous)
