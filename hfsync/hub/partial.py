"""The partial file a download streams into, and how it becomes the final file.

A partial sits in a folder the caller keeps private (no repo path can name it) and is
opened without following links: a link planted in its place is replaced. For files of
1 MiB and more a sidecar records which pinned content the partial belongs to, so a later
run resumes it, and a partial of other content is thrown away. A partial is flock-ed
while it is written, so a second pull never writes into the same one. Once verified, it
is fsynced and renamed into place (the caller fsyncs the folders once per batch,
``fsync_dirs``), after checking that the path renamed is still the very file that was
written and hashed: the final path never holds a partial or unverified file.

Apart from hub.download, which fetches the bytes: this is the disk's side (the file, its
lock, its claim, its durability), which knows nothing of HTTP.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from hfsync.errors import ContentError, HfsyncError
from hfsync.hub.streamhash import StreamHashes
from hfsync.model.lock import LockedFile

CHUNK = 1024 * 1024
# Smaller files restart rather than resume across runs: a sidecar would cost more than it saves.
RESUMABLE = 1024 * 1024
# Every this many bytes written, the disk is asked to start writing them (see Partial.write).
WRITEBACK = 32 * 1024 * 1024
_START_WRITEBACK = getattr(os, "POSIX_FADV_DONTNEED", None) if sys.platform == "linux" else None

Accept = Callable[[BinaryIO], None]


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


@contextlib.contextmanager
def _disk(path: Path) -> Iterator[None]:
    """Local write failures (a full disk, permissions) as a clear error, not a network one."""
    try:
        yield
    except OSError as error:
        raise HfsyncError(f"cannot write {path}: {error.strerror or error}") from error


class Partial:
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
