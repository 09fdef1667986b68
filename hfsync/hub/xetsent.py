"""What hf_xet sent for a commit: huggingface_hub uploads through hf_xet and keeps no report.

The client opens one hf_xet upload commit per Hub commit, in the calling thread, from
``huggingface_hub.utils._xet.get_xet_session()``, and closes it with a ``with`` block,
which drops hf_xet's report. ``counting()`` notes the upload commits opened in its thread
and finishes each itself to keep that report: the bytes that went to the CAS (xorbs as
uploaded, after dedup and compression, and shards).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from hfsync.hub.internals import set_xet_session_factory, xet_commit_bytes, xet_session_factory

_local = threading.local()
_lock = threading.Lock()


class _Session:
    """hf_xet's session, noting the upload commits opened in a counting thread."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def new_upload_commit(self, **kwargs: Any) -> Any:
        commit = _Commit(self._session.new_upload_commit(**kwargs))
        opened = getattr(_local, "opened", None)
        if opened is not None:
            opened.append(commit)
        return commit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class _Commit:
    """hf_xet's upload commit, finished by ``wait_to_finish`` so that its report is kept."""

    def __init__(self, commit: Any) -> None:
        self._commit = commit
        self.report: Any = None

    def __enter__(self) -> _Commit:
        self._commit.__enter__()
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> Any:
        if kind is not None or not hasattr(self._commit, "wait_to_finish"):
            return self._commit.__exit__(kind, error, trace)
        # What leaving the block does without an error; done here, the report is not dropped.
        self.report = self._commit.wait_to_finish()
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._commit, name)


def _install() -> None:
    with _lock:
        current = xet_session_factory()
        if getattr(current, "hfsync_counting", False):
            return

        def counted() -> Any:
            return _Session(current())

        counted.hfsync_counting = True  # type: ignore[attr-defined]  # a mark on the function: installed once
        set_xet_session_factory(counted)


class Sent:
    """Bytes sent to the Xet storage by the upload commits of one ``counting()`` block."""

    def __init__(self) -> None:
        self.commits: list[Any] = []

    @property
    def used(self) -> bool:
        return bool(self.commits)

    @property
    def bytes(self) -> int:
        return sum(xet_commit_bytes(commit._commit, commit.report) for commit in self.commits)


@contextlib.contextmanager
def counting() -> Iterator[Sent]:
    """Count what hf_xet sends from this thread inside the block."""
    _install()
    sent = Sent()
    _local.opened = sent.commits
    try:
        yield sent
    finally:
        _local.opened = None
