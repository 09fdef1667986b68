"""The README's main-job command, run exactly as written (without reinstalling)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEPS = [
    "hfsync validate",
    "hfsync plan",
    "hfsync apply --auto-approve",
    "hfsync plan --detailed-exitcode",
    "hfsync lock",
    "hfsync pull --locked",
    "hfsync verify",
]


def _run_demo(tmp_path: Path, venv: str = sys.prefix) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HFSYNC_VENV": venv,
        "HFSYNC_NO_INSTALL": "1",
        # This checkout's code, whatever the environment has installed.
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(tmp_path),
        "HF_TOKEN": "hf_not_the_sandbox_token_and_never_used",
    }
    return subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


def _sandbox_pid(stdout: str) -> int:
    return int(re.search(r"Sandbox Hub \(pid (\d+)\) at http://127\.0\.0\.1:\d+", stdout).group(1))


def _stopped(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _sections(stdout: str) -> dict[str, str]:
    parts = re.split(r"^==> (.*)$", stdout, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_demo_runs_the_whole_loop_and_stops_the_sandbox(tmp_path):
    done = _run_demo(tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    sections = _sections(done.stdout)
    assert list(sections) == STEPS
    assert "Plan: 4 to create, 0 to change, 0 to delete (13 files, 4.1 kB to upload)." in sections["hfsync plan"]
    assert "Note:" not in sections["hfsync plan"]  # "will be created" says it; no note repeats it
    assert "Apply complete: 4 targets published." in sections["hfsync apply --auto-approve"]
    assert "No changes." in sections["hfsync plan --detailed-exitcode"]
    assert "Lock: 1 resolved" in sections["hfsync lock"]
    assert "4 downloaded" in sections["hfsync pull --locked"]
    assert "Verified 4 files (473 B): all match the lock." in sections["hfsync verify"]
    assert "Demo complete" in done.stdout
    pid = _sandbox_pid(done.stdout)
    assert done.stdout.rstrip().endswith(f"Sandbox Hub (pid {pid}) stopped.")
    assert _stopped(pid)
    assert "hf_sandbox_" not in done.stdout + done.stderr
    # Nothing is left behind: the work folder (sandbox data, copies, caches) is gone.
    assert list(tmp_path.iterdir()) == []


def test_a_failing_step_fails_the_demo_and_still_stops_the_sandbox(tmp_path):
    # An environment whose `hfsync` breaks at apply, as a real failure would.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    shim = venv / "bin" / "hfsync"
    shim.write_text(
        f'#!/usr/bin/env bash\n[ "$1" = apply ] && {{ echo "Error: the Hub said no" >&2; exit 1; }}\n'
        f'exec {sys.executable} -m hfsync "$@"\n'
    )
    shim.chmod(0o755)
    work = tmp_path / "tmp"
    work.mkdir()

    done = _run_demo(work, venv=str(venv))

    assert done.returncode == 1
    assert "demo.sh: FAILED (exit 1): hfsync apply --auto-approve" in done.stderr
    assert list(_sections(done.stdout)) == STEPS[:3]
    assert "Demo complete" not in done.stdout
    assert _stopped(_sandbox_pid(done.stdout))
    assert list(work.iterdir()) == []
