"""The digests a pinned download is checked against, fed as its bytes arrive.

For a big file each digest runs on a helper thread of its own, one bounded queue behind
the socket: hashlib and blake3 release the GIL on large buffers, so sha256 proceeds on
one core while blake3 and the download thread (receiving, decoding, writing) share
the other, instead of the three taking turns; sha256, the slowest, then bounds a file's
pull alone. Chunks are handed over as they are (the caller never changes them after),
at most ``QUEUED`` of them per queue, so memory does not grow with the file. The digests
are read only after every queued chunk is hashed (``settle``).
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable

import blake3

from hfsync.model.lock import LockedFile

# From this size on a file is hashed beside its transfer; below, a thread costs more than it saves.
THREADED = 16 * 1024 * 1024
QUEUED = 8


def _drain(chunks: queue.Queue[bytes | bytearray | None], update: Callable[[bytes | bytearray], object]) -> None:
    while (data := chunks.get()) is not None:
        update(data)


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
        self._lanes: list[tuple[queue.Queue[bytes | bytearray | None], threading.Thread]] = []
        if file.size >= THREADED:
            for hasher in (self.hub, self.b3):
                chunks: queue.Queue[bytes | bytearray | None] = queue.Queue(QUEUED)
                worker = threading.Thread(target=_drain, args=(chunks, hasher.update), name="hfsync-hash",
                                          daemon=True)
                worker.start()
                self._lanes.append((chunks, worker))

    def update(self, data: bytes | bytearray) -> None:
        """Hash ``data`` (now, or on the helper threads: the caller must not change it)."""
        if self._lanes:
            for chunks, _ in self._lanes:
                chunks.put(data)
        else:
            self.hub.update(data)
            self.b3.update(data)

    def settle(self) -> None:
        """Wait until every chunk given is hashed and stop the helper threads; idempotent."""
        lanes, self._lanes = self._lanes, []
        for chunks, _ in lanes:
            chunks.put(None)
        for _, worker in lanes:
            worker.join()

    def restart(self) -> None:
        self.settle()
        self.__init__(self.file)  # type: ignore[misc]  # a restart is a fresh start: the state construction gives

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
