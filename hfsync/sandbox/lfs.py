"""LFS content: stored once by sha256, shared by every repo, written atomically.

Uploads stream to a temporary file while hashing; the file is moved to its
content address only when both the sha256 and the size match what was announced,
so the store never holds a partial or mislabelled object.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

POINTER_VERSION = "version https://git-lfs.github.com/spec/v1"
OID_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


def pointer_text(oid: str, size: int) -> bytes:
    """The git-lfs v1 pointer file for content ``oid`` of ``size`` bytes."""
    return f"{POINTER_VERSION}\noid sha256:{oid}\nsize {size}\n".encode()


def parse_pointer(data: bytes) -> tuple[str, int] | None:
    """(sha256, size) if ``data`` is an LFS pointer, else None."""
    if len(data) > 200 or not data.startswith(POINTER_VERSION.encode()):
        return None
    oid, size = None, None
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("oid sha256:"):
            oid = line[len("oid sha256:") :]
        elif line.startswith("size "):
            size = int(line[5:])
    return (oid, size) if oid and size is not None else None


class LfsMismatch(Exception):
    """The uploaded bytes do not hash to the announced oid or size."""


class LfsStore:
    """Content-addressed objects under ``root/objects/ab/cd/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, oid: str) -> Path:
        return self.root / "objects" / oid[:2] / oid[2:4] / oid

    def size(self, oid: str) -> int | None:
        try:
            return self.path(oid).stat().st_size
        except FileNotFoundError:
            return None

    def has(self, oid: str) -> bool:
        return OID_RE.match(oid) is not None and self.path(oid).is_file()

    def receive(self, oid: str, size: int, chunks: Iterator[bytes]) -> None:
        """Stream ``chunks`` into the store as object ``oid``; raise LfsMismatch if wrong."""
        fd, tmp = tempfile.mkstemp(dir=self.tmp, prefix="up-")
        digest, written = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    digest.update(chunk)
                    f.write(chunk)
                    written += len(chunk)
            self._commit_tmp(tmp, oid, size, digest.hexdigest(), written)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _commit_tmp(self, tmp: str, oid: str, size: int, got: str, written: int) -> None:
        if written != size:
            raise LfsMismatch(f"expected {size} bytes, received {written}")
        if got != oid:
            raise LfsMismatch(f"sha256 mismatch: expected {oid}, got {got}")
        final = self.path(oid)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)

    # -- multipart ---------------------------------------------------------------

    def _parts_dir(self, oid: str) -> Path:
        return self.tmp / f"parts-{oid}"

    def receive_part(self, oid: str, number: int, chunks: Iterator[bytes]) -> str:
        """Store part ``number`` of ``oid``; returns the part's ETag (its sha1)."""
        folder = self._parts_dir(oid)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        digest = hashlib.sha1()
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                digest.update(chunk)
                f.write(chunk)
        os.replace(tmp, folder / f"{number:05d}")
        return digest.hexdigest()

    def complete_multipart(self, oid: str, size: int, part_numbers: list[int]) -> None:
        """Concatenate the parts (streaming) into object ``oid``."""
        folder = self._parts_dir(oid)
        fd, tmp = tempfile.mkstemp(dir=self.tmp, prefix="mp-")
        digest, written = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                for n in part_numbers:
                    try:
                        part = open(folder / f"{n:05d}", "rb")
                    except FileNotFoundError:
                        raise LfsMismatch(f"part {n} was never uploaded") from None
                    with part:
                        while chunk := part.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                            written += len(chunk)
            self._commit_tmp(tmp, oid, size, digest.hexdigest(), written)
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def open(self, oid: str) -> BinaryIO:
        return open(self.path(oid), "rb")
