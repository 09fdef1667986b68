"""Pulling a file over Xet: the CAS reader, and a file's bytes from any position.

The Hub names a Xet-stored file by its Xet hash. Its reconstruction (from the CAS) lists
its terms and where each xorb's bytes can be fetched. When a previous pin's copy of the
file is on the machine, the reuse plan (hfsync.hub.xetplan, pure) says which pieces it
already holds: those are copied from it; the rest is fetched from xorb byte ranges (the
CDN URLs of the reconstruction), a few at a time, decoded as they arrive
(hfsync.hub.xetranges). The caller hashes every byte and checks the pinned digest
before the rename, as for any download, so a wrong guess here costs a retry, never a
wrong file.

Reconstruction v1 is asked for: v2 groups the same byte ranges by xorb so that a client
may ask for several in one multi-range request, which neither the sandbox nor a CDN URL
per range needs; a file's terms rarely touch one xorb twice, and a range already fetched
for the term just before is reused from memory (runs of identical chunks, such as zeros).
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import constants

from hfsync.errors import HubError
from hfsync.hub.bounded import HUB_JSON, read_capped
from hfsync.hub.client import Hub
from hfsync.hub.internals import xet_hash_file, xet_read_refresh_url
from hfsync.hub.retry import RETRY_STATUSES, TransientError
from hfsync.hub.xetplan import Piece, Term, plan
from hfsync.hub.xetranges import BATCH, Ahead, ExpiredUrl, Fetch, Get

COPY = BATCH
# A read token this close to its expiry is asked for again, as huggingface_hub does.
TOKEN_MARGIN = 60
# A term fetched for the piece just before is served again from memory up to this size.
REPEAT = 2 * BATCH


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


def xet_hash_of(path: Path) -> str | None:
    """The Xet hash of a local file (computed by hf_xet, natively), or None if unreadable."""
    try:  # only for a copy no record vouches for
        return xet_hash_file(path)
    except Exception:  # an unreadable old copy only means nothing is reused
        return None


class XetReader:
    """Reconstructions and xorb ranges of one repo's Xet-stored files."""

    def __init__(self, hub: Hub, repo_id: str, repo_type: str, commit: str, get: Get) -> None:
        self.hub = hub
        self.get = get
        self.headers = hub.headers(repo_type, repo_id)
        self.refresh = xet_read_refresh_url(repo_id, repo_type, commit, hub.endpoint)
        self._access: tuple[str, str, int] | None = None  # CAS endpoint, read token, its expiry (Unix time)
        self._lock = threading.Lock()

    def _small(self, url: str, headers: dict[str, str],
               what: str = "read a Xet reconstruction") -> tuple[bytes, Mapping[str, str]]:
        with self.get(url, headers) as reply:
            if reply.status in RETRY_STATUSES:
                raise TransientError(f"HTTP {reply.status}", reply.status, reply.headers)
            if reply.status >= 400:
                reply.fail()
            body = read_capped(reply.chunks, HUB_JSON, url, what)
            expected = reply.headers.get("Content-Length")
        if expected is not None and int(expected) != len(body):
            raise TransientError(f"connection closed after {len(body)} of {expected} bytes")
        return body, reply.headers

    def _cas(self) -> tuple[str, str]:
        """The CAS endpoint and a read token for this repo at this commit: asked once over the
        pull's own connections (no HTTP client of huggingface_hub's to start), again near expiry."""
        with self._lock:
            if self._access is None or self._access[2] - time.time() < TOKEN_MARGIN:
                headers = self._small(self.refresh, self.headers, "ask for a Xet read token")[1]
                try:
                    self._access = (headers[constants.HUGGINGFACE_HEADER_X_XET_ENDPOINT],
                                    headers[constants.HUGGINGFACE_HEADER_X_XET_ACCESS_TOKEN],
                                    int(headers[constants.HUGGINGFACE_HEADER_X_XET_EXPIRATION]))
                except (KeyError, ValueError, TypeError):
                    raise HubError("the Hub's answer to a Xet read token request carries no Xet connection "
                                   "headers") from None
            return self._access[0], self._access[1]

    def reconstruction(self, xet_hash: str) -> Recon:
        endpoint, token = self._cas()
        body = self._small(f"{endpoint.rstrip('/')}/v1/reconstructions/{xet_hash}",
                           {"Authorization": f"Bearer {token}"})[0]
        try:
            raw = json.loads(body)
            terms = [Term(t["hash"], t["range"]["start"], t["range"]["end"], t["unpacked_length"])
                     for t in raw["terms"]]
            return Recon(terms, raw["fetch_info"])
        except (ValueError, KeyError, TypeError) as error:
            raise TransientError(f"malformed reconstruction ({type(error).__name__})") from None

    @staticmethod
    def fetch(recon: Recon, term: Term) -> Fetch:
        """Where the term's chunks are: the smallest xorb byte range the reconstruction gives that holds them."""
        try:
            items = [i for i in recon.fetch.get(term.xorb, ())
                     if i["range"]["start"] <= term.start and term.end <= i["range"]["end"]]
            item = min(items, key=lambda i: i["url_range"]["end"] - i["url_range"]["start"], default=None)
            if item is None:
                raise TransientError(f"the reconstruction gives no URL for xorb {term.xorb[:12]}")
            return Fetch(str(item["url"]), int(item["url_range"]["start"]), int(item["url_range"]["end"]),
                         int(item["range"]["start"]), term.start, term.end, term.length)
        except (KeyError, TypeError, ValueError) as error:
            raise TransientError(f"malformed reconstruction ({type(error).__name__})") from None


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
        self._lock = threading.Lock()
        self._ahead: Ahead | None = None

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

    def __call__(self, position: int) -> Generator[bytes | bytearray]:
        """The file's bytes from ``position`` on. Close the iterator to stop early: it stops
        the ranges still being fetched."""
        pieces = self._plan()
        assert self.recon is not None
        steps: list[tuple[Piece, int, bool]] = []  # piece, bytes to skip, fetched just before
        fetches: list[Fetch] = []
        at, last = 0, None
        for piece in pieces:
            if at + piece.length > position:
                repeat = False
                if piece.term is not None:
                    repeat = piece.term == last and piece.term.length <= REPEAT
                    if not repeat:
                        fetches.append(self.reader.fetch(self.recon, piece.term))
                    last = piece.term
                steps.append((piece, max(0, position - at), repeat))
            at += piece.length
        terms = [piece.term for piece, _, repeat in steps if piece.term is not None and not repeat]
        self._ahead = Ahead(self.reader.get, fetches, self._received)
        kept: list[bytearray] = []
        fetched = 0  # terms taken from the fetches so far
        try:
            for piece, skip, repeat in steps:
                if piece.local is not None:
                    yield from self._copy(piece.local + skip, piece.length - skip)
                    continue
                assert piece.term is not None
                keep = piece.term.length <= REPEAT
                if not repeat:
                    kept = []
                    fetched += 1
                for batch in iter(kept) if repeat else self._next_term(terms[fetched - 1:]):
                    if keep and not repeat:
                        kept.append(batch)
                    if skip >= len(batch):
                        skip -= len(batch)
                        continue
                    yield batch[skip:] if skip else batch
                    skip = 0
        finally:
            self._ahead.close()

    def _next_term(self, terms: list[Term]) -> Iterator[bytearray]:
        """The bytes of ``terms[0]``. A xorb URL that expired since the reconstruction was
        fetched (a long or resumed pull) gets fresh URLs from a new reconstruction, once per
        term; the ranges still to come are fetched again from those."""
        assert self._ahead is not None and self.recon is not None  # set by __call__, which calls this
        batches = self._ahead.next_batches()
        try:
            first = next(batches, None)
        except ExpiredUrl:  # raised before the term's first byte: nothing to take back
            self._ahead.close()
            self.recon = Recon(self.recon.terms, self.reader.reconstruction(self.xet_hash).fetch)
            self._ahead = Ahead(self.reader.get, [self.reader.fetch(self.recon, t) for t in terms], self._received)
            batches = self._ahead.next_batches()
            first = next(batches, None)
        if first is not None:
            yield first
            yield from batches

    def _received(self, n: int) -> None:
        with self._lock:
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

    def __init__(self, hub: Hub, get: Get) -> None:
        self.hub = hub
        self.get = get
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
                self.readers[key] = XetReader(self.hub, repo_id, repo_type, commit, self.get)
            return XetSource(self.readers[key], xet_hash, previous)
