"""The README's main-job command, run exactly as written (without reinstalling)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_demo(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HFSYNC_VENV": sys.prefix,
        "HFSYNC_NO_INSTALL": "1",
        # This checkout's code, whatever the environment has installed.
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(tmp_path),
        **extra,
    }
    return subprocess.run(
        ["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )


def _stopped(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_demo_runs_end_to_end_and_stops_the_sandbox(tmp_path):
    done = _run_demo(tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "==> hfsync validate" in done.stdout
    assert "Demo complete" in done.stdout or "Demo ran what this build has" in done.stdout
    pid = int(re.search(r"Sandbox Hub \(pid (\d+)\) at http://127\.0\.0\.1:\d+", done.stdout).group(1))
    assert f"Sandbox Hub (pid {pid}) stopped." in done.stdout
    assert _stopped(pid)
    assert "hf_sandbox_" not in done.stdout + done.stderr
    # Nothing is left behind: the work folder (sandbox data, copies, caches) is gone.
    assert list(tmp_path.iterdir()) == []
