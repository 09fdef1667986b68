"""Writing a big partial asks the disk to start writing it early, so the fsync before the rename is short."""

from __future__ import annotations

import os
import sys

import pytest

from hfsync.hub import partial
from tests.pull.test_pull_sandbox import locked_model

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="early writeback is Linux-only")


def test_writeback_is_started_for_each_stretch_written(sandbox, make_repo, project, run, monkeypatch):
    monkeypatch.setattr(partial, "WRITEBACK", 1024 * 1024)
    calls: list[tuple[int, int, int]] = []
    real = os.posix_fadvise

    def spy(fd: int, offset: int, length: int, advice: int) -> None:
        calls.append((offset, length, advice))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", spy)
    weights, dest = locked_model(make_repo, project, run, size=4_000_000)
    assert run("pull", "--locked").exit_code == 0
    assert (dest / "model.safetensors").read_bytes() == weights
    # 4 MB in stretches of at least 1 MiB (chunks arrive in varying sizes); the rest is left to the fsync.
    assert 2 <= len(calls) <= 3
    assert sum(length for _, length, _ in calls) <= len(weights)
    assert all(advice == os.POSIX_FADV_DONTNEED and length >= 1024 * 1024 for _, length, advice in calls)
    assert [offset for offset, _, _ in calls] == [0] + [o + n for o, n, _ in calls[:-1]]  # contiguous
