"""Noticing a slow Hub: one warning per run when a request takes longer than a threshold."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

from hfsync.environment import slow_seconds

log = logging.getLogger("hfsync.hub")


class SlowWatch:
    """Times Hub requests and warns once, the first time one is slower than the threshold.

    One watch lives for one command run, so "once" means once per run.
    """

    def __init__(
        self, threshold: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = slow_seconds() if threshold is None else threshold
        self.clock = clock
        self.warned = False

    @contextlib.contextmanager
    def timing(self, what: str, offline_hint: str | None = None) -> Iterator[None]:
        """Time one request. ``offline_hint`` says how the metadata cache could answer it
        instead (e.g. "from data 20 min old"), when it can."""
        started = self.clock()
        yield
        elapsed = self.clock() - started
        if elapsed <= self.threshold or self.warned:
            return
        self.warned = True
        message = f"The Hub is slow: {what} took {elapsed:.1f} s."
        if offline_hint:
            message += f" The metadata cache can answer {offline_hint}: rerun with --offline to use it."
        log.warning(message)
