"""The audited false positives of a ``.secrets.baseline`` (detect-secrets' format).

Only entries an auditor marked ``is_secret: false`` silence a finding; unaudited entries
still block, since a gate that trusts an unreviewed baseline trusts nothing. The file is
read by the gate before anything else it does, so a hostile one (huge, a FIFO, entries of
the wrong shape) gets one located sentence, never a traceback or an unbounded read.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from hfsync.errors import HfsyncError

BASELINE_NAME = ".secrets.baseline"
# detect-secrets baselines of large monorepos stay in the low megabytes.
MAX_BASELINE_BYTES = 32 * 1024 * 1024


def _read(path: Path) -> bytes:
    """The file's bytes, refusing anything but a regular file of bounded size."""
    # Non-blocking, so a FIFO named as the baseline is refused instead of waited on.
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = file.read(MAX_BASELINE_BYTES + 1)
    if len(data) > MAX_BASELINE_BYTES:
        raise ValueError(f"larger than {MAX_BASELINE_BYTES // (1024 * 1024)} MiB")
    return data


def _entries(data: bytes) -> list[tuple[str, str, str, bool | None]]:
    document = json.loads(data)
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict):
        raise ValueError('expected an object with "results", an object of file names')
    entries = []
    # File names are not repeated in the message: a baseline is the user's, but a name can
    # carry anything, and the gate's errors must never show a secret.
    for name, items in results.items():
        for entry in items if isinstance(items, list) else [None]:
            if not isinstance(entry, dict):
                raise ValueError('expected each file of "results" to hold a list of objects')
            kind, digest, is_secret = entry.get("type"), entry.get("hashed_secret"), entry.get("is_secret")
            audited = is_secret is None or isinstance(is_secret, bool)
            if not (isinstance(kind, str) and isinstance(digest, str) and audited):
                raise ValueError('expected each entry of "results" to have string "type" and '
                                 '"hashed_secret" and, once audited, a boolean "is_secret"')
            entries.append((name, kind, digest, is_secret))
    return entries


class Baseline:
    """The audited false positives of a ``.secrets.baseline`` file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            entries = _entries(_read(path))
        except (OSError, ValueError, RecursionError) as error:
            raise HfsyncError(
                f"cannot read secrets baseline {path}: {error}",
                hint="Create it with `detect-secrets scan > .secrets.baseline` and "
                "mark false positives with `detect-secrets audit .secrets.baseline`.",
            ) from None
        base = path.parent.absolute()
        # Keyed by absolute path: a baseline's file names are relative to its folder.
        self._allowed = {
            (os.path.normpath(base / name), kind, digest)
            for name, kind, digest, is_secret in entries
            if is_secret is False
        }
        self.unaudited = sum(1 for *_, is_secret in entries if is_secret is None)

    def allows(self, absolute: Path, kind: str, fingerprint: str) -> bool:
        """Whether the auditor marked this finding (file, type, hash) a false positive."""
        return (os.path.normpath(absolute), kind, fingerprint) in self._allowed


def find_baseline(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest ``.secrets.baseline`` from ``start`` upwards, up to ``stop`` (inclusive)
    or, without one, up to the enclosing git work tree's root."""
    start = start.absolute()
    for folder in (start, *start.parents):
        if (folder / BASELINE_NAME).is_file():
            return folder / BASELINE_NAME
        if folder == stop or (stop is None and (folder / ".git").exists()):
            return None
        if stop is not None and not folder.is_relative_to(stop.absolute()):
            return None
    return None
