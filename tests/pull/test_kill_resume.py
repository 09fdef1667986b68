"""A pull killed with SIGKILL mid-file resumes on the next run; two pulls never share a partial.

The resolve path (legacy LFS); tests/pull/test_pull_xet.py resumes over Xet."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.pull.conftest import partial_for
from tests.pull.test_pull_sandbox import locked_model

ROOT = Path(__file__).resolve().parents[2]


def stalled_pull(sandbox, project, half: int) -> subprocess.Popen:
    """A pull subprocess that has half the file on disk and waits on its resumed request,
    held by the sandbox until the test is over (a killed pull's request is then dropped)."""
    sandbox.add_faults([
        {"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "reset", "after_bytes": half},
        {"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "delay", "seconds": 3600},
    ])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": sandbox.token}
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, "--no-progress", "pull", "--locked",
         "-f", str(project.manifest)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while sandbox.stats()["routes"].get("GET lfs-download", {}).get("requests", 0) < 2:
        assert process.poll() is None, "the pull ended before it stalled"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return process


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_sigkill_mid_file_then_rerun_resumes(legacy_lfs, sandbox, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run, size=4_000_000)
    half = len(weights) // 2
    sandbox.reset_stats()
    process = stalled_pull(sandbox, project, half)
    kill(process)
    partial = partial_for(dest, "model.safetensors")
    assert partial.exists() and 0 < partial.stat().st_size <= half
    assert not (dest / "model.safetensors").exists()
    sent_before = sandbox.stats()["routes"]["GET lfs-download"]["bytes_out"]
    assert sent_before == half

    result = run("pull", "--locked")

    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert not partial.exists()
    cdn = sandbox.stats()["routes"]["GET lfs-download"]
    assert cdn["requests"] == 3
    assert cdn["bytes_out"] - sent_before < 0.6 * len(weights)  # the rest, not the whole file again
    assert cdn["bytes_out"] <= 1.1 * len(weights)


def test_a_second_pull_never_writes_a_partial_another_is_writing(legacy_lfs, sandbox, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run, size=4_000_000)
    process = stalled_pull(sandbox, project, len(weights) // 2)
    try:
        result = run("pull", "--locked")
        assert result.exit_code == 1
        assert "model.safetensors: another hfsync pull is writing this file right now" in result.stderr
        assert not (dest / "model.safetensors").exists()
    finally:
        kill(process)
    assert run("pull", "--locked").exit_code == 0
    assert (dest / "model.safetensors").read_bytes() == weights


def test_a_resumed_download_says_so_and_counts_only_the_rest(legacy_lfs, sandbox, make_repo, project, run):
    import json

    from hfsync.units import human_size

    weights, dest = locked_model(make_repo, project, run, size=4_000_000)
    half = len(weights) // 2
    sandbox.reset_stats()  # stalled_pull counts the requests it waits for from zero
    kill(stalled_pull(sandbox, project, half))
    kept = partial_for(dest, "model.safetensors").stat().st_size
    assert 0 < kept <= half
    sandbox.reset_stats()

    result = run("pull", "--locked", "--format", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    fetched = sandbox.stats()["routes"]["GET lfs-download"]["bytes_out"]
    assert fetched == len(weights) - kept
    assert (report["downloaded"], report["resumed"]) == (1, 1)
    assert report["bytes_downloaded"] == fetched

    (dest / "model.safetensors").unlink()
    (dest / ".hfsync" / "state.json").unlink()
    sandbox.reset_stats()
    kill(stalled_pull(sandbox, project, half))
    kept = partial_for(dest, "model.safetensors").stat().st_size
    assert 0 < kept <= half
    text = run("pull", "--locked")
    assert text.exit_code == 0, text.output
    assert "] resumed: acme/m1/model.safetensors\n" in text.output
    assert text.stdout.endswith(f"1 downloaded (1 resumed), 3 already in place; "
                                f"{human_size(len(weights) - kept)} fetched.\n")
