"""What an upgrade found upstream, as plain data: one ``PullMove`` per pin that moved.

`hfsync upgrade` fills it (hfsync.pull.upgrade), renderers show it (hfsync.render.upgrade)
as the terminal summary or the body of an upgrade pull request. Nothing here reads
anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hfsync.model.inspect import FileDiff


@dataclass(frozen=True)
class UpstreamCommit:
    """One commit between the old pin and the new one, newest first."""

    id: str
    title: str
    authors: tuple[str, ...]
    date: str  # ISO 8601, as the Hub gives it


@dataclass(frozen=True)
class FileMove:
    """A pinned file added (``old_size`` None), removed (``new_size`` None) or changed."""

    path: str
    old_size: int | None
    new_size: int | None

    @property
    def action(self) -> str:
        if self.old_size is None:
            return "added"
        return "removed" if self.new_size is None else "changed"


@dataclass(frozen=True)
class ContentMove:
    """What changed inside one added or changed file, as a plan shows it: JSON keys, the
    card, tensors, GGUF keys, columns and rows, text lines (or a note saying why not)."""

    path: str
    diff: FileDiff


@dataclass(frozen=True)
class PullMove:
    """One pull whose pin moves (or would, when ``held`` by a policy violation)."""

    key: str
    revision: str
    old_commit: str | None  # None: the pull was not pinned before
    new_commit: str
    commits: tuple[UpstreamCommit, ...] = ()
    more_commits: bool = False  # the list stops before the old pin
    files: tuple[FileMove, ...] = ()
    license: tuple[str | None, str | None] = (None, None)
    contents: tuple[ContentMove, ...] = ()
    violations: tuple[str, ...] = ()
    held: bool = False  # not moved: it breaks the policy and violations were not allowed
    size: tuple[int, int] = (0, 0)  # bytes pinned before and after


@dataclass
class UpgradeReport:
    """One manifest's upgrade: the moves, the pulls already current, and whether the lock changed."""

    manifest: Path
    lock: Path
    moves: list[PullMove] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def moved(self) -> list[PullMove]:
        return [m for m in self.moves if not m.held]

    @property
    def held(self) -> list[PullMove]:
        return [m for m in self.moves if m.held]
