"""Showing transfers: rich bars on a terminal, plain lines elsewhere (CI logs, --no-progress).

Both implement hfsync.model.progress.Reporter, which lock, pull and oci push report
through, and the retry countdown callback (``wait``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TextIO

from hfsync.render.untrusted import terminal

if TYPE_CHECKING:
    from rich.progress import TaskID


class Wait(Protocol):
    """A retry wait as the Hub adapter announces it (hfsync.hub.retry.Wait): said once, then counted down."""

    operation: str
    remaining: float
    total: float


def _markup(text: str) -> str:
    """``text`` (a file's name from a listing, a repo id) inside rich markup: shown as it is, never read as markup."""
    from rich.markup import escape

    return escape(terminal(text, lines=True))


def make_reporter(progress: bool, quiet: bool) -> PlainReporter:
    """Bars on a terminal unless --no-progress; plain lines otherwise."""
    return RichReporter() if progress and not quiet else PlainReporter(quiet=quiet)


class PlainReporter:
    """One line per finished file and per retry wait."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.total = 0
        self.done = 0
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        if not self.quiet:
            with self._lock:
                print(terminal(text, lines=True), file=self.stream, flush=True)  # labels are names from listings

    def begin(self, files: int, size: int) -> None:
        self.total = files

    def start(self, label: str, size: int) -> Callable[[int], None]:
        return lambda n: None

    def finish(self, label: str, outcome: str, size: int = 0) -> None:
        with self._lock:
            self.done += 1
            count = self.done
        # A run that does not know its total up front (lock learning blake3) counts alone.
        of = f"/{self.total}" if self.total >= count else ""
        self._say(f"[{count}{of}] {outcome}: {label}")

    def note(self, message: str) -> None:
        self._say(message)

    def wait(self, wait: Wait) -> None:
        if wait.remaining == wait.total:
            self._say(str(wait))

    def close(self) -> None:
        pass


class RichReporter(PlainReporter):
    """An overall bar (bytes, rate, ETA) and one bar per active transfer."""

    def __init__(self) -> None:
        super().__init__()
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}", table_column=None),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self.overall: TaskID | None = None
        self.tasks: dict[str, TaskID] = {}
        self.waiting: dict[str, TaskID] = {}
        self.progress.start()

    def begin(self, files: int, size: int) -> None:
        super().begin(files, size)
        self.overall = self.progress.add_task(f"total ({files} files)", total=size)

    def start(self, label: str, size: int) -> Callable[[int], None]:
        shown = _markup(label if len(label) < 50 else "…" + label[-49:])
        task = self.progress.add_task(shown, total=size)
        self.tasks[label] = task

        def advance(n: int) -> None:
            self.progress.advance(task, n)
            if self.overall is not None:
                self.progress.advance(self.overall, n)

        return advance

    def finish(self, label: str, outcome: str, size: int = 0) -> None:
        with self._lock:
            self.done += 1
        task = self.tasks.pop(label, None)
        if task is not None:
            self.progress.remove_task(task)
        if outcome == "present" and self.overall is not None:
            # Files already on disk count towards the total without a bar of their own.
            self.progress.advance(self.overall, size)
        if outcome == "failed":
            self.progress.console.print(f"[red]failed[/red]: {_markup(label)}")

    def note(self, message: str) -> None:
        self.progress.console.print(_markup(message))

    def wait(self, wait: Wait) -> None:
        task = self.waiting.get(wait.operation)
        text = f"[yellow]{_markup(str(wait))}[/yellow]"
        if task is None:
            self.waiting[wait.operation] = self.progress.add_task(text, total=None)
        else:
            self.progress.update(task, description=text)
        if wait.remaining <= 1:
            finished = self.waiting.pop(wait.operation, None)
            if finished is not None:
                self.progress.remove_task(finished)

    def close(self) -> None:
        self.progress.stop()
