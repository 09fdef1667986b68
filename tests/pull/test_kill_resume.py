"""A pull killed with SIGKILL mid-file resumes from its partial file on the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.pull.test_pull_sandbox import locked_model

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_mid_file_then_rerun_resumes(sandbox, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run, size=4_000_000)
    half = len(weights) // 2
    sandbox.reset_stats()
    # The first transfer breaks at half; the resumed one stalls, and the process dies there.
    sandbox.add_faults([
        {"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "reset", "after_bytes": half},
        {"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "delay", "seconds": 3},
    ])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": sandbox.token}
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, "--no-progress", "pull", "--locked",
         "-f", str(project.manifest)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while sandbox.stats()["routes"].get("GET lfs-download", {}).get("requests", 0) < 2:
            assert process.poll() is None, "the pull ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    partial = dest / ".model.safetensors.hfsync-partial"
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
