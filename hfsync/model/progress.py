"""How a long run tells the user about its transfers as they happen: the interface engines
report through; its implementations (lines, bars) are views, in hfsync.render.progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Reporter(Protocol):
    """How lock and pull tell the user about transfers; called from worker threads."""

    def begin(self, files: int, size: int) -> None:
        """The run's total: ``files`` files of ``size`` bytes (0 when not known up front)."""

    def start(self, label: str, size: int) -> Callable[[int], None]:
        """A transfer of ``size`` bytes starts; the callback is told each chunk's byte count."""

    def finish(self, label: str, outcome: str, size: int = 0) -> None:
        """A file is done: ``outcome`` says how (downloaded, present, hashed, ...)."""

    def note(self, message: str) -> None:
        """A line for the user that is not about one file."""
