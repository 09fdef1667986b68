"""File digests in one read pass, and a cache so an unchanged tree is never reread.

The Hub identifies LFS files by sha256 and regular files by their git blob sha1;
hfsync's lock and verify use blake3 (fast, parallel). One pass computes all three.
The cache is keyed by (path, size, mtime_ns, inode), like git's index and DVC's state:
if none of those moved, the content did not either.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import blake3

from hfsync.environment import cache_dir

CHUNK = 4 * 1024 * 1024
# What ``DigestCache.all`` keeps of the small files it reads, for the secret scan.
KEPT_FILE = 64 * 1024
KEPT_TOTAL = 64 * 1024 * 1024
HASH_TASK = 64
# How long a process waits for another one holding the cache database (milliseconds).
BUSY_MS = 30_000


class Digests(NamedTuple):
    """One file's size and its three content ids (empty strings where not computed).
    A tuple: a plan of 100,000 files makes one per file."""

    size: int
    sha256: str
    git_sha1: str
    blake3: str


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def hash_bytes(data: bytes) -> Digests:
    """The digests of content held in memory (a generated card), as ``hash_file`` gives them."""
    return Digests(len(data), hashlib.sha256(data).hexdigest(), git_blob_sha1(data), blake3.blake3(data).hexdigest())


def hash_file(path: Path, *, sha256: bool = True, git_sha1: bool = True) -> Digests:
    """Read ``path`` once, streaming, and return its sha256, git blob sha1 and blake3
    (an empty string for a digest not asked for)."""
    size = os.stat(path).st_size
    hashers: list[Any] = []  # hashlib's and blake3's: update() and hexdigest()
    if sha256:
        hashers.append(hashlib.sha256())
    if git_sha1:
        hashers.append(hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False))
    b3 = blake3.blake3(max_threads=blake3.blake3.AUTO if size > 64 * CHUNK else 1)
    hashers.append(b3)
    read = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            read += len(chunk)
            for hasher in hashers:
                hasher.update(chunk)
    if read != size:
        raise OSError(f"{path} changed size while being read")
    values = iter(h.hexdigest() for h in hashers)
    return Digests(size, next(values) if sha256 else "", next(values) if git_sha1 else "", next(values))


def _hashed(absolute: str) -> tuple[os.stat_result, Digests, bytes | None]:
    """A file's stat key, taken before it is read, its digests, and its bytes when small."""
    with open(absolute, "rb") as handle:
        stat = os.fstat(handle.fileno())
        if stat.st_size > CHUNK:
            return stat, hash_file(Path(absolute)), None
        # A small file in one read (most of a tree of 100,000), of its size: a read of more
        # allocates that much first, in every hashing thread.
        data = handle.read(stat.st_size + 1)
    if len(data) != stat.st_size:
        raise OSError(f"{absolute} changed size while being read")
    return stat, hash_bytes(data), data if len(data) <= KEPT_FILE else None


def _setup(db: sqlite3.Connection) -> None:
    """WAL mode and the table, safe against other processes doing the same at once.

    Switching to WAL takes a lock SQLite does not wait for (no busy handler): a process
    starting beside another one on a fresh cache gets "database is locked". The mode is
    a property of the file, so once any process has set it, the others only need to see it.
    """
    deadline = time.monotonic() + BUSY_MS / 1000
    while True:
        try:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            # A cache: losing the last rows to a power cut only means rehashing, so
            # commits need not wait for the disk (WAL keeps the file consistent).
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, "
                    "mtime_ns INTEGER, inode INTEGER, sha256 TEXT, git_sha1 TEXT, blake3 TEXT)"
                )
                db.execute("CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT)")
            return
        except sqlite3.OperationalError as error:
            if ("locked" not in str(error) and "busy" not in str(error)) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))


class DigestCache:
    """Digests of local files, remembered by (path, size, mtime_ns, inode)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "digests.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_MS / 1000)
        with self._lock:
            self._db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            _setup(self._db)
        self.hits = 0
        self.misses = 0

    def _stored(self, absolute: str, stat: os.stat_result) -> Digests | None:
        """The row for ``absolute`` if it was written at this stat key (empty strings for
        digests nobody computed)."""
        with self._lock:
            row = self._db.execute(
                "SELECT size, mtime_ns, inode, sha256, git_sha1, blake3 FROM digests WHERE path=?",
                (absolute,),
            ).fetchone()
        if row and tuple(row[:3]) == (stat.st_size, stat.st_mtime_ns, stat.st_ino):
            return Digests(row[0], row[3] or "", row[4] or "", row[5] or "")
        return None

    def _store(self, absolute: str, stat: os.stat_result, sha256: str, git_sha1: str, blake3: str) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?)",
                (absolute, stat.st_size, stat.st_mtime_ns, stat.st_ino, sha256, git_sha1, blake3),
            )

    def all(self, root: Path, paths: list[str], hash_with: Callable[..., Iterable[Any]] = map,
            kept: dict[str, bytes] | None = None) -> list[Digests]:
        """``get`` of each of ``paths`` (relative to ``root``, forward slashes): the unknown ones
        hashed through ``hash_with`` (a pool's map, to hash in threads) and remembered in one
        transaction. The rows under ``root`` are read in one query: a tree of 100,000 files
        costs its stats, not 100,000 lookups or commits.

        ``kept``: filled with the bytes hashed of the small files read (up to KEPT_FILE bytes
        each, KEPT_TOTAL in all, by relative path), for a next step to use instead of reading
        them again: the secret scan of a cold plan reads each file once, and scans what was hashed."""
        base = os.path.abspath(root)
        with self._lock:
            # Every key under base/ sorts between "base/" and "base0" ("0" follows "/").
            rows = {row[0]: row[1:] for row in self._db.execute(
                "SELECT path, size, mtime_ns, inode, sha256, git_sha1, blake3 FROM digests "
                "WHERE path > ? AND path < ?", (base + "/", base + "0"))}
        out: list[Digests | None] = []
        todo: list[str] = []
        stat = os.stat
        for relative in paths:
            absolute = f"{base}/{relative}"
            row = rows.get(absolute)
            if row is not None and row[3] and row[4] and row[5]:
                found = stat(absolute)
                if (row[0], row[1], row[2]) == (found.st_size, found.st_mtime_ns, found.st_ino):
                    out.append(Digests(row[0], row[3], row[4], row[5]))
                    continue
            out.append(None)
            todo.append(absolute)
        self.hits += len(paths) - len(todo)
        room, lock = [KEPT_TOTAL], threading.Lock()

        def hashed_keeping(some: list[str]) -> list[tuple[tuple[int, int, int], Digests]]:
            results = []
            for absolute in some:
                found, digests, data = _hashed(absolute)
                if data is not None and kept is not None:
                    with lock:  # bounded as it goes: the bytes of every file read are never held at once
                        if len(data) <= room[0]:
                            room[0] -= len(data)
                            kept[absolute[len(base) + 1:]] = data
                results.append(((found.st_size, found.st_mtime_ns, found.st_ino), digests))
            return results

        # A few dozen files a task: a pool's map holds a future per item, and 100,000 of
        # those weigh more than the plan itself.
        some = [todo[start:start + HASH_TASK] for start in range(0, len(todo), HASH_TASK)]
        fresh = [each for done in hash_with(hashed_keeping, some) for each in done]
        self.misses += len(fresh)
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?)", (
                (path, *key, d.sha256, d.git_sha1, d.blake3) for path, (key, d) in zip(todo, fresh, strict=True)))
        hashed = iter(d for _, d in fresh)
        return [d if d is not None else next(hashed) for d in out]

    def facts(self, keys: list[str]) -> dict[str, str]:
        """Remembered facts about content (e.g. a secret scan's result by content digest)."""
        found: dict[str, str] = {}
        with self._lock:
            for start in range(0, len(keys), 900):
                chunk = keys[start:start + 900]
                found.update(self._db.execute(
                    f"SELECT key, value FROM facts WHERE key IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def remember_facts(self, facts: dict[str, str]) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?)", facts.items())

    def get(self, path: Path) -> Digests:
        """Digests of ``path``, from the cache when its stat key is unchanged."""
        absolute = os.path.abspath(path)
        stat = os.stat(absolute)
        stored = self._stored(absolute, stat)
        if stored and stored.sha256 and stored.git_sha1 and stored.blake3:
            self.hits += 1
            return stored
        self.misses += 1
        digests = hash_file(Path(absolute))
        self._store(absolute, stat, digests.sha256, digests.git_sha1, digests.blake3)
        return digests

    def known(self, path: Path) -> Digests | None:
        """What is remembered about ``path`` at its current stat key, without reading it.

        Fields nobody computed are empty strings (a pull learns only the Hub digest and blake3).
        """
        absolute = os.path.abspath(path)
        try:
            stat = os.stat(absolute)
        except OSError:
            return None
        return self._stored(absolute, stat)

    def remember(self, path: Path, *, sha256: str = "", git_sha1: str = "", blake3: str = "") -> None:
        """Record digests of ``path`` computed elsewhere (while downloading, while verifying)."""
        absolute = os.path.abspath(path)
        self._store(absolute, os.stat(absolute), sha256, git_sha1, blake3)

    def close(self) -> None:
        self._db.close()
