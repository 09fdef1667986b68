"""What apply did, as plain data: per target, the steps it took (each a fact: a setting and its
value, a commit and its counts), the warnings, and the error that stopped it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One thing apply did to a target.

    ``action``: created-repo, set (``name`` = ``value``), deleted (``name``), created-branch,
    created-tag (``name``), healthy (the Space reached stage ``name`` after publishing),
    not-waited (the Space's health was not checked: ``--no-wait``), signed (``files`` in
    ``name``, with the key's fingerprint ``key``),
    committed (``commit`` with ``uploads`` and ``deletions``, ``bytes`` of files, ``sent`` bytes
    on the wire when the publisher counts them), or found-published (the repo appeared holding
    every planned file: ``commit`` is its head).
    """

    action: str
    name: str | None = None
    value: Any = None
    commit: str | None = None
    uploads: int = 0
    deletions: int = 0
    bytes: int = 0
    sent: int | None = None
    files: int = 0
    key: str | None = None
    url: str | None = None  # committed: the commit's page on the Hub, as `hf upload` prints it


@dataclass(frozen=True)
class TargetResult:
    """What apply did for one target; ``error`` set when it failed part-way."""

    key: str
    commit: str | None = None
    done: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    bytes_sent: int | None = None  # what its commit sent to the Hub, as the transfer counted it


@dataclass(frozen=True)
class ApplyResult:
    """What apply did, target by target."""

    targets: tuple[TargetResult, ...]
    interrupted: bool = False  # ^C: targets in flight finished, the rest never started

    @property
    def failures(self) -> list[TargetResult]:
        return [t for t in self.targets if t.error]
