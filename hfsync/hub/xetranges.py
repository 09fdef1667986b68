"""Xorb byte ranges: fetched a few at a time, decoded as they arrive, handed out in order.

A range is the compressed chunks of one term (a xorb's chunk range, up to 64 MiB). Its
chunks are parsed from the body as it is received (8-byte header: version, compressed
size, scheme, unpacked size) and unpacked straight into batches of ``BATCH`` bytes:
scheme 0 stored, 1 LZ4, 2 LZ4 of byte-grouped data (the 1st bytes of every 4, then the
2nd, ...), regrouped by four strided copies into the batch. A batch, once handed out, is
never written again, so the hashing thread may read it later.

``Ahead`` keeps up to ``AHEAD`` ranges in flight, each on its own thread with a queue
of at most ``QUEUED`` batches, so memory stays at AHEAD x (QUEUED + 2) batches whatever
the file's size, the network overlaps decoding, writing and hashing, and the bytes
still come out in file order. A range that ends early, a chunk that does not decode,
a chunk larger than the format allows or unpacking past the size its header declares
(a decompression bomb: unpacking stops one byte past it), or a size that does not add up
is a TransientError: the download retries from the last
byte it took.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from hfsync.errors import HubError
from hfsync.hub.retry import RETRY_STATUSES, TransientError

BATCH = 2 * 1024 * 1024
AHEAD = 3
QUEUED = 2
HEADER = 8
# The Xet format's largest chunk (unpacked), and the most its packed form may take (LZ4's
# worst case for it, frame included): a header saying more is refused before its bytes
# are read, and no chunk is unpacked past the size its header declares.
MAX_CHUNK = 128 * 1024
MAX_PACKED = MAX_CHUNK + MAX_CHUNK // 255 + 64


class Reply(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def chunks(self) -> Iterator[bytes]: ...
    @property
    def fail(self) -> Callable[[], None]: ...  # raises the error an error status stands for


class Get(Protocol):
    """A GET of ``url`` with ``headers``: its reply, body unread, inside the block."""

    def __call__(self, url: str, headers: dict[str, str]) -> AbstractContextManager[Reply]: ...


class ExpiredUrl(HubError):
    """A xorb URL refused with 403: its signature expired (presigned URLs last about an hour)."""


@dataclass(frozen=True)
class Fetch:
    """Chunks [start, end) of a xorb, ``length`` bytes unpacked, from ``url`` bytes [first, last]
    whose first chunk is chunk ``index``."""

    url: str
    first: int
    last: int
    index: int
    start: int
    end: int
    length: int


def _lz4(data: memoryview, size: int) -> bytes:
    import lz4.frame  # only when a chunk is compressed

    # One byte past the declared size is enough to know a chunk lies (an LZ4 bomb inflates
    # a few KiB to GiB): decompression stops there.
    decompressor = lz4.frame.LZ4FrameDecompressor()
    try:
        raw = decompressor.decompress(data, max_length=size + 1)
    except Exception:  # lz4 raises RuntimeError, or others on a mangled frame
        raise TransientError("a xorb chunk does not decompress") from None
    if len(raw) > size:
        raise TransientError(f"a xorb chunk unpacks to more than the {size:,} bytes its header declares")
    if len(raw) != size or not decompressor.eof:
        raise TransientError("a xorb chunk is not what its header says")
    return raw


def unpack_into(out: bytearray, at: int, scheme: int, data: memoryview, size: int) -> None:
    """Write the ``size`` unpacked bytes of one chunk at ``out[at:]``."""
    if scheme == 0:
        if len(data) != size:
            raise TransientError("a xorb chunk is not what its header says")
        out[at:at + size] = data
    elif scheme == 1:
        out[at:at + size] = _lz4(data, size)
    elif scheme == 2:
        raw = memoryview(_lz4(data, size))
        group = 0
        for i in range(4):
            count = size // 4 + (1 if i < size % 4 else 0)
            out[at + i:at + size:4] = raw[group:group + count]
            group += count
    else:
        raise TransientError(f"a xorb chunk uses compression scheme {scheme}, which hfsync does not know")


def decode(body: Iterable[bytes], fetch: Fetch, batch: int = BATCH) -> Iterator[bytearray]:
    """The unpacked bytes of ``fetch``'s chunks, in batches of at most ``batch`` bytes (or one chunk)."""
    buf = bytearray()
    pos, index, sent = 0, fetch.index, 0
    out, filled = bytearray(max(0, min(batch, fetch.length))), 0
    for data in body:
        buf += data
        while index < fetch.end and len(buf) - pos >= HEADER:
            csize = int.from_bytes(buf[pos + 1:pos + 4], "little")
            scheme, usize = buf[pos + 4], int.from_bytes(buf[pos + 5:pos + 8], "little")
            if usize > MAX_CHUNK or csize > MAX_PACKED:
                raise TransientError(f"a xorb chunk's header declares {usize:,} bytes ({csize:,} packed), more than "
                                     f"a Xet chunk holds ({MAX_CHUNK:,})")
            if len(buf) - pos - HEADER < csize:
                break
            if index >= fetch.start:
                if filled + usize > len(out):
                    del out[filled:]
                    yield out
                    # No bigger than the rest of the term: a small file's term needs no 2 MiB batch.
                    out, filled = bytearray(max(usize, min(batch, fetch.length - sent))), 0
                with memoryview(buf) as view:
                    unpack_into(out, filled, scheme, view[pos + HEADER:pos + HEADER + csize], usize)
                filled += usize
                sent += usize
            pos += HEADER + csize
            index += 1
        if index >= fetch.end:
            break
        del buf[:pos]
        pos = 0
    if index < fetch.end:
        raise TransientError(f"a xorb range ended after {index - fetch.index} of {fetch.end - fetch.index} chunks")
    if sent != fetch.length:
        raise TransientError(f"xorb chunks give {sent} bytes, the reconstruction says {fetch.length}")
    if filled:
        del out[filled:]
        yield out


def _body(reply: Reply, fetch: Fetch) -> Iterator[bytes]:
    """The bytes of ``fetch``'s range from a reply to a ranged GET (a server ignoring Range
    sends the whole xorb: its head is skipped)."""
    if reply.status in RETRY_STATUSES:
        raise TransientError(f"HTTP {reply.status}", reply.status, reply.headers)
    if reply.status == 403:
        text = (reply.headers.get("X-Error-Message") or "").rstrip(".")
        raise ExpiredUrl(f"the Hub's Xet storage refused a xorb URL (403 Forbidden{': ' + text if text else ''})")
    if reply.status >= 400:
        reply.fail()
    skip = fetch.first if reply.status == 200 else 0
    for data in reply.chunks:
        if skip:
            cut = min(skip, len(data))
            data, skip = data[cut:], skip - cut
        if data:
            yield data


def _counted(body: Iterator[bytes], received: Callable[[int], None]) -> Iterator[bytes]:
    for data in body:
        received(len(data))
        yield data


class _Cancelled(Exception):
    pass


class _Range:
    """One range fetched and decoded on its own thread, into a small queue."""

    def __init__(self, get: Get, fetch: Fetch, received: Callable[[int], None]) -> None:
        self.queue: queue.Queue = queue.Queue(QUEUED)
        self.cancelled = False
        self.thread = threading.Thread(target=self._run, args=(get, fetch, received), name="hfsync-xorb",
                                       daemon=True)
        self.thread.start()

    def _put(self, item: object) -> None:
        while not self.cancelled:
            with contextlib.suppress(queue.Full):
                self.queue.put(item, timeout=0.2)
                return
        raise _Cancelled

    def _run(self, get: Get, fetch: Fetch, received: Callable[[int], None]) -> None:
        try:
            headers = {"Range": f"bytes={fetch.first}-{fetch.last}"}
            with get(fetch.url, headers) as reply:
                body = _counted(_body(reply, fetch), received)
                for out in decode(body, fetch):
                    self._put(out)
                for _ in body:  # the rest of a range wider than the chunks: the connection is then reused
                    pass
            self._put(None)
        except _Cancelled:
            pass
        except BaseException as error:  # handed to the reader, which raises it in its own thread
            with contextlib.suppress(_Cancelled):
                self._put(error)

    def batches(self) -> Iterator[bytearray]:
        while (item := self.queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def cancel(self) -> None:
        self.cancelled = True


class Ahead:
    """Starts the ranges of ``fetches`` (in order, AHEAD at a time); ``next_batches`` hands
    out the bytes of the next one. ``close`` stops the ones still running."""

    def __init__(self, get: Get, fetches: Iterable[Fetch], received: Callable[[int], None]) -> None:
        self.get = get
        self.waiting = iter(fetches)
        self.received = received
        self.running: deque[_Range] = deque()
        self._top_up()

    def _top_up(self) -> None:
        while len(self.running) < AHEAD and (fetch := next(self.waiting, None)) is not None:
            self.running.append(_Range(self.get, fetch, self.received))

    def next_batches(self) -> Iterator[bytearray]:
        current = self.running.popleft()
        self._top_up()
        try:
            yield from current.batches()
        finally:
            current.cancel()

    def close(self) -> None:
        for running in self.running:
            running.cancel()
        self.running.clear()
