"""Cases of the Xet fault matrix (bench/xet_faults.py runs all of them): a fault on a Xet
route during `hfsync apply` or `hfsync pull`, run as a user runs it (a child process, the
client's defaults), converges or fails with one sentence; nothing wrong lands."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "xet_faults.py"
_spec = importlib.util.spec_from_file_location("xet_faults", _SCRIPT)
xet_faults = sys.modules.setdefault("xet_faults", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(xet_faults)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    matrix = xet_faults.Matrix(tmp_path_factory.mktemp("xet-faults"), 512 * 1024, persistent=False)
    try:
        matrix.pull_setup()
        yield matrix
    finally:
        matrix.close()


@pytest.mark.parametrize(("route", "fault"), [
    ("xorb upload", "truncated"),
    ("shard upload", "reset"),
    ("xet token", "429 Retry-After"),
])
def test_apply(matrix, route, fault):
    outcome = matrix.apply_case(route, fault)
    assert outcome.verdict in (xet_faults.CONVERGED, xet_faults.CLEAN), outcome.detail


def test_apply_with_an_unreadable_shard_answer_says_so_in_one_sentence(matrix):
    outcome = matrix.apply_case("shard upload", "corrupted")
    # hf_xet does not retry it and raises; the rerun (part of the case) converged.
    assert outcome.verdict == xet_faults.CLEAN
    assert outcome.detail.startswith("Error: apply failed for: sandbox/apply-")
    assert "the Hub's Xet storage gave an unreadable answer to a shard upload. Hint:" in outcome.detail
    assert "RuntimeError" not in outcome.detail


@pytest.mark.parametrize(("route", "fault"), [
    ("xorb range", "truncated"),
    ("xorb range", "corrupted"),
    ("reconstruction", "429 Retry-After"),
])
def test_pull(matrix, route, fault):
    outcome = matrix.pull_case(route, fault)
    assert outcome.verdict == xet_faults.CONVERGED, outcome.detail


def test_the_judge_tells_a_traceback_from_one_sentence():
    assert xet_faults.clean_message("Error: pull failed: the Hub answered 500.\n") is None
    assert xet_faults.clean_message("Traceback (most recent call last):\n  ...\n") == "traceback on stderr"
    assert xet_faults.clean_message("") == "nothing on stderr"
    assert xet_faults.clean_message("Internal error: RuntimeError: x\n").startswith("raw error text")
