"""Xorb ranges decoded as they arrive, and fetched a few at a time but handed out in order."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import tracemalloc
from dataclasses import dataclass, field

import lz4.frame
import pytest

from hfsync.hub import xetranges
from hfsync.hub.retry import TransientError
from hfsync.hub.xetranges import Ahead, Fetch, decode


def grouped(raw: bytes) -> bytes:
    return b"".join(raw[i::4] for i in range(4))


def chunk(raw: bytes, scheme: int) -> bytes:
    data = {0: raw, 1: lz4.frame.compress(raw), 2: lz4.frame.compress(grouped(raw))}[scheme]
    return bytes([0]) + len(data).to_bytes(3, "little") + bytes([scheme]) + len(raw).to_bytes(3, "little") + data


RAWS = [os.urandom(1000), bytes(70_001), os.urandom(65_537), b"\x3f" * 3 + os.urandom(40_002), b"x"]
BODY = b"".join(chunk(raw, i % 3) for i, raw in enumerate(RAWS))


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("split", [1, 7, 8, 4096, len(BODY)])
def test_chunks_of_every_scheme_decode_however_the_body_is_split(split):
    fetch = Fetch("u", 0, len(BODY) - 1, 10, 10, 15, sum(map(len, RAWS)))
    out = list(decode(pieces(BODY, split), fetch, batch=100_000))
    assert b"".join(out) == b"".join(RAWS)
    assert all(len(b) <= 100_000 for b in out) and len(out) > 1


def test_chunks_before_the_term_are_skipped_and_after_it_left_unread():
    fetch = Fetch("u", 0, len(BODY) - 1, 10, 11, 13, len(RAWS[1]) + len(RAWS[2]))
    assert b"".join(decode([BODY], fetch)) == RAWS[1] + RAWS[2]


@pytest.mark.parametrize("cut", [3, len(BODY) - 1])
def test_a_range_that_arrives_short_is_transient(cut):
    fetch = Fetch("u", 0, len(BODY) - 1, 0, 0, 5, sum(map(len, RAWS)))
    with pytest.raises(TransientError, match="a xorb range ended after"):
        list(decode([BODY[:cut]], fetch))


def test_sizes_that_do_not_add_up_and_bad_chunks_are_transient():
    with pytest.raises(TransientError, match="the reconstruction says 5"):
        list(decode([BODY], Fetch("u", 0, 1, 0, 0, 1, 5)))
    bad = bytearray(chunk(os.urandom(5000), 1))
    bad[20:40] = bytes(20)
    with pytest.raises(TransientError, match=r"does not decompress|not what its header says"):
        list(decode([bytes(bad)], Fetch("u", 0, 1, 0, 0, 1, 5000)))
    unknown = bytearray(chunk(b"abc", 0))
    unknown[4] = 9
    with pytest.raises(TransientError, match="scheme 9"):
        list(decode([bytes(unknown)], Fetch("u", 0, 1, 0, 0, 1, 3)))


def test_a_small_term_is_decoded_without_a_whole_batch_of_memory():
    # A pull of many small files decodes one small term per file: a 2 MiB batch for each
    # cost more in allocation than the decoding itself.
    raws = [os.urandom(40_000), os.urandom(60_000)]
    body = b"".join(chunk(raw, 2) for raw in raws)
    tracemalloc.start()
    try:
        out = list(decode([body], Fetch("u", 0, len(body) - 1, 0, 0, 2, 100_000)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert b"".join(out) == b"".join(raws)
    assert peak < 4 * 100_000


@dataclass
class Reply:
    status: int
    body: bytes
    delay: float
    headers: dict = field(default_factory=dict)

    @property
    def chunks(self):
        for part in pieces(self.body, 10_000):
            time.sleep(self.delay)
            yield part

    def fail(self):
        raise AssertionError("not an error status")


def test_ranges_fetched_at_once_come_out_in_order(monkeypatch):
    # Each range is one chunk; the first ones are the slowest to arrive.
    raws = [os.urandom(30_000 + i) for i in range(6)]
    bodies = {f"u{i}": chunk(raw, 2) for i, raw in enumerate(raws)}
    started, live = [], []

    @contextlib.contextmanager
    def get(url, headers):
        started.append(url)
        live.append(threading.active_count())
        assert headers == {"Range": f"bytes=0-{len(bodies[url]) - 1}"}
        yield Reply(206, bodies[url], delay=0.02 * (6 - int(url[1:])))

    fetches = [Fetch(u, 0, len(b) - 1, 0, 0, 1, len(raws[i])) for i, (u, b) in enumerate(bodies.items())]
    received = []
    ahead = Ahead(get, fetches, received.append)
    out = [b"".join(ahead.next_batches()) for _ in fetches]
    ahead.close()
    assert out == raws
    assert sum(received) == sum(map(len, bodies.values()))
    # The first AHEAD ranges go out first; each on its own thread, so in any order among them.
    assert sorted(started[:xetranges.AHEAD]) == [f"u{i}" for i in range(xetranges.AHEAD)]


def test_an_error_in_a_range_reaches_the_reader_and_closing_stops_the_others():
    @contextlib.contextmanager
    def get(url, headers):
        if url == "bad":
            yield Reply(503, b"", 0, {"Retry-After": "3"})
        else:
            yield Reply(206, chunk(bytes(100_000), 0) * 50, 0.01)

    fetches = [Fetch("bad", 0, 9, 0, 0, 1, 1)] + [Fetch("slow", 0, 9, 0, 0, 50, 5_000_000)] * 3
    ahead = Ahead(get, fetches, lambda n: None)
    with pytest.raises(TransientError) as caught:
        list(ahead.next_batches())
    assert caught.value.status == 503
    ahead.close()
    deadline = time.monotonic() + 10
    while any(t.name == "hfsync-xorb" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t for t in threading.enumerate() if t.name == "hfsync-xorb"]


def bomb(unpacked: int) -> bytes:
    """An LZ4 frame of ``unpacked`` zero bytes (about 250 times smaller), made a MiB at a time."""
    compressor = lz4.frame.LZ4FrameCompressor()
    parts = [compressor.begin()]
    for _ in range(unpacked // (1 << 20)):
        parts.append(compressor.compress(bytes(1 << 20)))
    return b"".join(parts) + compressor.flush()


def header(packed: int, scheme: int, unpacked: int) -> bytes:
    return bytes([0]) + packed.to_bytes(3, "little") + bytes([scheme]) + unpacked.to_bytes(3, "little")


class Counted:
    """A range body whose first pieces are given and whose rest does not end; counts what was taken."""

    def __init__(self, *first: bytes) -> None:
        self.first = first
        self.taken = 0

    def __iter__(self):
        for piece in self.first:
            self.taken += len(piece)
            yield piece
        while True:
            self.taken += 1 << 16
            yield bytes(1 << 16)


@pytest.mark.parametrize("scheme", [1, 2])
def test_a_chunk_that_unpacks_past_its_declared_size_is_refused_there(scheme):
    frame = bomb(30 << 20)
    assert len(frame) <= xetranges.MAX_PACKED  # a chunk the format allows, that inflates to 30 MiB
    body = Counted(header(len(frame), scheme, 128 * 1024) + frame)
    with pytest.raises(TransientError) as caught:
        list(decode(body, Fetch("u", 0, 1 << 30, 0, 0, 2, 256 * 1024)))
    assert str(caught.value) == "a xorb chunk unpacks to more than the 131,072 bytes its header declares"
    assert body.taken == 8 + len(frame)  # nothing read past the chunk


@pytest.mark.parametrize(("packed", "unpacked"), [(100, 128 * 1024 + 1), (xetranges.MAX_PACKED + 1, 1000)])
def test_a_header_declaring_more_than_a_xet_chunk_is_refused_before_its_bytes_are_read(packed, unpacked):
    body = Counted(header(packed, 1, unpacked))
    with pytest.raises(TransientError) as caught:
        list(decode(body, Fetch("u", 0, 1 << 30, 0, 0, 1, unpacked)))
    assert str(caught.value) == (f"a xorb chunk's header declares {unpacked:,} bytes ({packed:,} packed), more than "
                                 "a Xet chunk holds (131,072)")
    assert body.taken == 8
