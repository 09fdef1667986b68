"""Verified, resumable downloads of pinned files.

A file is fetched by commit through the resolve URL and streamed into a partial file in a
folder the caller keeps private (no repo path can name it), hashed as it arrives. A broken
connection resumes with HTTP Range from the bytes already written; for files of 1 MiB
and more a sidecar records which pinned content the partial belongs to, so a later
run resumes it too, and a partial of other content is thrown away. Once every byte is
in, the size and the Hub's digest (sha256 for LFS, git blob id otherwise) must match;
the file is fsynced and renamed into place (the caller fsyncs the folders once per
batch, ``fsync_dirs``), after checking that the path renamed is still the very file that
was written and hashed. The final path never holds a partial or unverified file. A
partial is opened without following links: a link planted in its place is replaced. A
mismatch discards the partial and starts over once. A partial is flock-ed while it is
written, so a second pull never writes into the same one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import os
import stat
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol
from urllib.request import getproxies

import httpx2
from huggingface_hub.utils import hf_raise_for_status

from hfsync.errors import ContentError, HfsyncError
from hfsync.hub.boundedstream import read_error_page
from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.getpool import GetPool
from hfsync.hub.retry import RETRY_STATUSES, TransientError
from hfsync.hub.streamhash import StreamHashes
from hfsync.hubfacts import resolve_url
from hfsync.model.lock import LockedFile
from hfsync.paths import new_file_mode

CHUNK = 1024 * 1024
# Smaller files restart rather than resume across runs: a sidecar would cost more than it saves.
RESUMABLE = 1024 * 1024
# Every this many bytes written, the disk is asked to start writing them (see _Partial.write).
WRITEBACK = 32 * 1024 * 1024
_START_WRITEBACK = getattr(os, "POSIX_FADV_DONTNEED", None) if sys.platform == "linux" else None
CONNECT_TIMEOUT, READ_TIMEOUT = 15.0, 60.0
TIMEOUT = httpx2.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=READ_TIMEOUT, pool=None)

Advance = Callable[[int], None]
Accept = Callable[[BinaryIO], None]


class Source(Protocol):
    """Another way to the pinned bytes than the resolve URL (hfsync.hub.xetpull)."""

    received: int  # bytes it received over the network

    def __call__(self, position: int) -> Generator[bytes | bytearray]: ...  # the bytes from ``position`` on

    def plain(self) -> Source: ...  # the same bytes, reusing nothing local (after a mismatch)


def open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """Open a regular file of hfsync's own without following a link: whatever else sits at
    ``path`` (a link, a pipe) is removed and the file created afresh."""
    for _ in range(2):
        try:
            fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            path.unlink()
            continue
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.set_blocking(fd, True)
            return fd
        os.close(fd)
        path.unlink()
    raise OSError(errno.EEXIST, "something other than a regular file keeps appearing there", str(path))


def fsync_dirs(folders: set[Path]) -> None:
    """Make renames into ``folders`` durable: once per folder, after a batch of files."""
    for folder in sorted(folders):
        with _disk(folder):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


class _Mismatch(Exception):
    """The bytes received are not the pinned content."""


@contextlib.contextmanager
def _disk(path: Path) -> Iterator[None]:
    """Local write failures (a full disk, permissions) as a clear error, not a network one."""
    try:
        yield
    except OSError as error:
        raise HfsyncError(f"cannot write {path}: {error.strerror or error}") from error


class _Partial:
    """The partial file of a destination, and the sidecar naming what it will become."""

    def __init__(self, target: Path, path: Path, file: LockedFile, mode: int) -> None:
        self.target = target
        self.mode = mode  # the final file's permissions; the partial stays private until verified
        self.path = path
        self.sidecar = self.path.with_name(self.path.name + ".json")
        self.file = file
        self.handle: BinaryIO | None = None
        self.written = 0  # the partial's length
        self.flushed = 0  # where the disk was last asked to start writing

    @property
    def _io(self) -> BinaryIO:
        """The open partial file (between open and close)."""
        if self.handle is None:
            raise ValueError(f"{self.path} is not open")
        return self.handle

    def _claim(self) -> dict[str, object]:
        return {"digest": self.file.digest, "size": self.file.size}

    def open(self, hashes: StreamHashes) -> int:
        """Open and lock for writing; return how many bytes of a resumable earlier run it holds.

        The lock (flock, held until install or discard) keeps two pulls from writing one
        partial at once: each hashes only its own stream, so mixed bytes would go unseen.
        """
        with _disk(self.path):
            fd = open_private(self.path)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise HfsyncError(
                    f"{self.target}: another hfsync pull is writing this file right now; "
                    "let it finish (or stop it) and pull again"
                ) from None
            self.handle = os.fdopen(fd, "r+b")
            size = os.fstat(fd).st_size
            claim = self._read_claim() if self.file.size >= RESUMABLE else None
            if claim != self._claim() or size > self.file.size:
                size = 0
                if self.file.size >= RESUMABLE:
                    self._write_claim()
            # An earlier run's hash state is gone with its process: rehash what it left.
            left = size
            while left and (chunk := self._io.read(min(CHUNK, left))):
                hashes.update(chunk)
                left -= len(chunk)
            self._io.seek(size)
            self._io.truncate()
            self.written = self.flushed = size
            return size

    def _read_claim(self) -> object:
        try:
            fd = os.open(self.sidecar, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            try:
                return json.loads(handle.read(4096)) if stat.S_ISREG(os.fstat(fd).st_mode) else None
            except ValueError:
                return None

    def _write_claim(self) -> None:
        with os.fdopen(open_private(self.sidecar, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w") as handle:
            handle.write(json.dumps(self._claim()))

    def write(self, data: bytes | bytearray) -> None:
        with _disk(self.path):
            self._io.write(data)
            self.written += len(data)
            if self.written - self.flushed >= WRITEBACK and _START_WRITEBACK is not None:
                # Start writing these pages to disk now, without waiting: the fsync before
                # the rename then finds little left to do instead of the whole file. On
                # pages still dirty, Linux's DONTNEED starts writeback and keeps them cached.
                self._io.flush()
                os.posix_fadvise(self._io.fileno(), self.flushed, self.written - self.flushed, _START_WRITEBACK)
                self.flushed = self.written

    def restart(self) -> None:
        with _disk(self.path):
            self._io.seek(0)
            self._io.truncate()
            self.written = self.flushed = 0

    def seal(self) -> None:
        """Flush to the kernel, keeping the lock; install may then run in another thread."""
        with _disk(self.path):
            self._io.flush()

    def install(self, accept: Accept | None) -> None:
        """fsync, let ``accept`` inspect the verified bytes, rename into place atomically.

        On ContentError from ``accept`` the partial is removed. The lock is released last.
        What is renamed must be the very file written and hashed (same inode, pinned size).
        """
        try:
            with _disk(self.target):
                os.fchmod(self._io.fileno(), self.mode)  # its bytes are verified: durable with them
                os.fsync(self._io.fileno())
            if accept is not None:
                try:
                    self._io.seek(0)
                    accept(self._io)
                except ContentError:
                    self.discard()
                    raise
            with _disk(self.target):
                mine, there = os.fstat(self._io.fileno()), os.lstat(self.path)
                if (mine.st_dev, mine.st_ino) != (there.st_dev, there.st_ino) or mine.st_size != self.file.size:
                    self.close()
                    raise ContentError(
                        f"{self.target}: the file written and verified was replaced or changed before it could "
                        "be moved into place; nothing was installed"
                    )
                os.replace(self.path, self.target)
                if self.file.size >= RESUMABLE:
                    self.sidecar.unlink(missing_ok=True)
        finally:
            self.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        self.sidecar.unlink(missing_ok=True)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


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
            sink = _Partial(target, partial, file, self.mode)
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
        self, url: str, file: LockedFile, label: str, sink: _Partial, hashes: StreamHashes,
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
