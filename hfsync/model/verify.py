"""What `hfsync verify` found wrong with a file, as data: which check failed, what was found and
what the lock (or the pull's record) expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Difference:
    """A pulled file that is not what it should be.

    ``file`` is the pull's key and the file's path (``acme/m/config.json``); ``check`` is size
    (bytes found and pinned), sha256 or git-sha1 (``--deep``: the lock's own digest), blake3 (the
    pull's record), or signature (``problem`` says how the signed digests disagree).
    """

    file: str
    check: str
    found: str | int | None = None
    expected: str | int | None = None
    problem: str | None = None
