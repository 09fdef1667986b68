"""Verified, resumable downloads of pinned files: the bytes fetched and checked.

A file is fetched by commit through the resolve URL (or from another Source, such as
Xet) and streamed into its partial (hub.partial), hashed as it arrives. A broken
connection resumes with HTTP Range from the bytes already written. Once every byte is
in, the size and the Hub's digest (sha256 for LFS, git blob id otherwise) must match
before the partial may be installed. A mismatch discards the partial and starts over
once.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol
from urllib.request import getproxies

import httpx2
from huggingface_hub.utils import hf_raise_for_status

from hfsync.errors import ContentError
from hfsync.hub.boundedstream import read_error_page
from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.getpool import GetPool
from hfsync.hub.partial import CHUNK, Accept, Partial
from hfsync.hub.retry import RETRY_STATUSES, TransientError
from hfsync.hub.streamhash import StreamHashes
from hfsync.hubfacts import resolve_url
from hfsync.model.lock import LockedFile
from hfsync.paths import new_file_mode

CONNECT_TIMEOUT, READ_TIMEOUT = 15.0, 60.0
TIMEOUT = httpx2.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=None)

Advance = Callable[[int], None]


class Source(Protocol):
    """Another way to the pinned bytes than the resolve URL (hfsync.hub.xetpull)."""

    received: int  # bytes it received over the network

    def __call__(self, position: int) -> Generator[bytes | bytearray]: ...  # the bytes from ``position`` on

    def plain(self) -> Source: ...  # the same bytes, reusing nothing local (after a mismatch)


class _Mismatch(Exception):
    """The bytes received are not the pinned content."""


class _Response(NamedTuple):
    """What a download reads of a response, from either HTTP client."""

    status: int
    headers: Mapping[str, str]
    chunks: Iterator[bytes]
    fail: Callable[[], None]  # raises the Hub's error for an error status


@dataclass(frozen=True)
class Fetched:
    """A verified download: its blake3, and the step that puts it in place."""

    blake3: str
    install: Callable[[], None]
    received: int  # bytes received over the network (over Xet, the chunks' framing), every attempt counted
    resumed: int = 0  # bytes an earlier, interrupted run left in the partial, which this one continued


class Downloader:
    """Fetches pinned files from one Hub endpoint."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.mode = new_file_mode()  # as `hf download` leaves files: readable by others under umask 022
        self.headers = hub.headers(extra={"Accept-Encoding": "identity"})
        # huggingface_hub's client knows proxies; the lean pool does not, so it is used
        # only when none is configured.
        self.pool = GetPool(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT) if not getproxies() else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def get(self, url: str, headers: dict[str, str], attempt: int = 0) -> AbstractContextManager[_Response]:
        """GET ``url``: the response, its body read as it arrives (``chunks``)."""
        return self._get(url, headers, attempt)

    @contextlib.contextmanager
    def _get(self, url: str, headers: dict[str, str], attempt: int) -> Iterator[_Response]:
        if self.pool is not None:
            with self.pool.get(url, headers, attempt=attempt) as reply:

                def fail() -> None:
                    body = reply.read()
                    hf_raise_for_status(httpx2.Response(
                        reply.status, headers=list(reply.headers.items()), content=body,
                        request=httpx2.Request("GET", reply.url),
                    ))

                yield _Response(reply.status, reply.headers, reply.chunks(CHUNK), fail)
        else:
            with self.hub.session().stream("GET", url, headers=headers, timeout=TIMEOUT) as response:

                def fail() -> None:
                    read_error_page(response)
                    hf_raise_for_status(response)

                yield _Response(response.status_code, response.headers, response.iter_raw(), fail)

    def _headers(self, repo: tuple[str, str] | None) -> dict[str, str]:
        headers = dict(self.headers)
        if repo is not None:
            headers.pop("authorization", None)
            token = self.hub.token_for(*repo)
            if token:
                headers["authorization"] = f"Bearer {token}"
        return headers

    def url(self, repo_id: str, repo_type: str, commit: str, path: str) -> str:
        return resolve_url(self.hub.endpoint, repo_type, repo_id, commit, path)

    def fetch(
        self,
        url: str,
        file: LockedFile,
        target: Path,
        *,
        partial: Path,
        label: str,
        advance: Advance = lambda n: None,
        accept: Accept | None = None,
        source: Source | None = None,
        repo: tuple[str, str] | None = None,
    ) -> Fetched:
        """Download and verify ``file`` into ``partial``, bound for ``target``; its blake3 comes back.

        The returned ``install`` fsyncs and renames it into place; it may run in another
        thread, so that waiting for the disk does not hold up the next transfer.
        ``accept`` may inspect the verified bytes first and raise ContentError to refuse
        them (the safetensors header check); the partial is then removed. ``source``, when
        given, supplies the bytes instead of ``url``, under the same checks. ``repo`` (type,
        id): the Hub repo the file belongs to, whose token the request carries.
        """
        received = [0]

        def count(n: int) -> None:
            received[0] += n

        for attempt in (1, 2):
            sink = Partial(target, partial, file, self.mode)
            hashes = StreamHashes(file)
            reported = 0
            handed_off = False

            def progress(n: int) -> None:
                nonlocal reported
                reported += n
                advance(n)

            try:
                offset = resumed = sink.open(hashes)
                progress(offset)
                if offset < file.size:
                    offset = self._stream(url, file, label, sink, hashes, offset, progress, source, repo, count)
                problem = hashes.mismatch(offset)
                if problem:
                    raise _Mismatch(problem)
                sink.seal()
                handed_off = True  # install closes it, holding the lock until the rename
                return Fetched(hashes.blake3(), functools.partial(sink.install, accept),
                               source.received if source is not None else received[0], resumed)
            except _Mismatch as error:
                progress(-reported)
                sink.discard()
                source = source.plain() if source is not None else None
                if attempt == 2:
                    raise ContentError(
                        f"{label}: the downloaded bytes do not match the lock ({error}), twice; "
                        "nothing was written.",
                        hint="The Hub or a proxy serves other content than what was pinned; retry "
                        "later, or re-pin with `hfsync lock --update` if the pin is wrong.",
                    ) from None
            finally:
                hashes.settle()  # no helper thread outlives its transfer, whatever happened
                if not handed_off:
                    sink.close()
        raise AssertionError("unreachable")

    def _stream(
        self, url: str, file: LockedFile, label: str, sink: Partial, hashes: StreamHashes,
        offset: int, advance: Advance, source: Source | None = None, repo: tuple[str, str] | None = None,
        count: Advance = lambda n: None,
    ) -> int:
        position = offset

        def take(chunks: Iterable[bytes | bytearray]) -> None:
            nonlocal position
            for chunk in chunks:  # as received: a break loses no buffered bytes
                if position + len(chunk) > file.size:
                    raise _Mismatch(f"more than the {file.size} pinned bytes")
                sink.write(chunk)
                hashes.update(chunk)
                position += len(chunk)
                advance(len(chunk))

        def attempt(number: int) -> int:
            nonlocal position
            if source is not None:
                with contextlib.closing(source(position)) as chunks:  # stops its fetches on any failure
                    take(chunks)
                if position < file.size:
                    raise _Mismatch(f"{position} bytes, {file.size} pinned")
                return position
            headers = self._headers(repo)
            if position:
                headers["Range"] = f"bytes={position}-"
            with self.get(url, headers, number) as response:
                if response.status in RETRY_STATUSES:
                    raise TransientError(f"HTTP {response.status}", response.status, response.headers)
                if response.status >= 400 and not (response.status == 416 and position):
                    response.fail()
                if position and response.status != 206:
                    # The server did not continue our partial (Range ignored or refused):
                    # start over rather than splice unrelated bytes.
                    advance(-position)
                    sink.restart()
                    hashes.restart()
                    position = 0
                    if response.status == 416:
                        raise TransientError("the server refused to resume; restarting from zero")
                take(_counted(response.chunks, count))
            if position < file.size:
                raise TransientError(f"connection closed after {position} of {file.size} bytes")
            return position

        with translate_errors(f"download {label}"):
            return self.hub.retry.call(f"download {label}", attempt)


def _counted(chunks: Iterable[bytes], count: Advance) -> Iterator[bytes]:
    """``chunks``, each counted as received, kept or not (a restart's bytes were fetched too)."""
    for chunk in chunks:
        count(len(chunk))
        yield chunk
