"""The digests a pinned download is checked against, fed as its bytes arrive.

For a big file the hashing runs on a helper thread, one bounded queue behind the
socket: hashlib and blake3 release the GIL on large buffers, so sha256 proceeds on
one core while the download thread receives and writes on the other, instead of the
three taking turns. Chunks are handed over as they are (``bytes`` never change), at
most ``QUEUED`` of them at a time, so memory does not grow with the file. The digests
are read only after every queued chunk is hashed (``settle``).
"""

from __future__ import annotations

import hashlib
import queue
import threading

import blake3

from hfsync.pull.lockfile import LockedFile

# From this size on a file is hashed beside its transfer; below, a thread costs more than it saves.
THREADED = 16 * 1024 * 1024
QUEUED = 8


class StreamHashes:
    """sha256 (LFS) or git blob id (regular files), checked against the lock, and blake3,
    which the pull records beside its destination for a fast ``verify`` later."""

    def __init__(self, file: LockedFile) -> None:
        self.file = file
        if file.sha256:
            self.hub = hashlib.sha256()
        else:
            self.hub = hashlib.sha1(b"blob %d\0" % file.size, usedforsecurity=False)
        self.b3 = blake3.blake3()
        self._queue: queue.Queue[bytes | None] | None = None
        self._worker: threading.Thread | None = None
        if file.size >= THREADED:
            self._queue = queue.Queue(QUEUED)
            self._worker = threading.Thread(target=self._drain, name="hfsync-hash", daemon=True)
            self._worker.start()

    def _feed(self, data: bytes) -> None:
        self.hub.update(data)
        self.b3.update(data)

    def _drain(self) -> None:
        assert self._queue is not None
        while (data := self._queue.get()) is not None:
            self._feed(data)

    def update(self, data: bytes) -> None:
        """Hash ``data`` (now, or on the helper thread: the caller must not change it)."""
        if self._queue is not None:
            self._queue.put(data)
        else:
            self._feed(data)

    def settle(self) -> None:
        """Wait until every chunk given is hashed and stop the helper thread; idempotent."""
        if self._worker is not None:
            assert self._queue is not None
            self._queue.put(None)
            self._worker.join()
            self._worker = self._queue = None

    def restart(self) -> None:
        self.settle()
        self.__init__(self.file)  # type: ignore[misc]

    def mismatch(self, size: int) -> str | None:
        """What is wrong with the content, or None when it is what the lock pins."""
        self.settle()
        if size != self.file.size:
            return f"{size} bytes instead of {self.file.size}"
        if self.hub.hexdigest() != self.file.etag:
            kind = "sha256" if self.file.sha256 else "git blob id"
            return f"{kind} {self.hub.hexdigest()} instead of {self.file.etag}"
        return None

    def blake3(self) -> str:
        self.settle()
        return self.b3.hexdigest()
