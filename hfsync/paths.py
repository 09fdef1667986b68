"""Writing files so that a reader, a crash or a concurrent run never sees half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def replace_durably(temp: Path, target: Path, *, durable: bool = True) -> None:
    """Rename ``temp`` over ``target``, flushing both to disk first unless ``durable`` is False.

    After a crash, ``target`` holds either its old content or all of the new one. Caches,
    which may lose an entry but never hold half of one, pass ``durable=False``.
    """
    if durable:
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    os.replace(temp, target)
    if not durable:
        return
    with contextlib.suppress(OSError):  # not every file system can open a folder
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@contextlib.contextmanager
def atomic_writer(target: Path, mode: str = "w", *, durable: bool = True) -> Iterator[IO]:
    """A temp file beside ``target`` (same file system, so the rename is atomic), renamed over it on success.

    The new file keeps the permissions of the one it replaces (a new one gets the
    umask's). On any error the temp file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(name)
    try:
        try:
            os.chmod(fd, os.stat(target).st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(fd, new_file_mode())
        with (os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="")) as handle:
            yield handle
        replace_durably(temp, target, durable=durable)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def atomic_write(target: Path, data: str | bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``target`` all at once or not at all (text is UTF-8)."""
    with atomic_writer(target, "wb" if isinstance(data, bytes) else "w", durable=durable) as handle:
        handle.write(data)


def new_file_mode() -> int:
    """The permissions a new regular file gets under the process's umask (0644 under 022)."""
    return 0o666 & ~_umask()


def _umask() -> int:
    # Linux shows the umask without changing it; elsewhere reading it means setting it
    # back and forth, so it is read before any thread writes files.
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
