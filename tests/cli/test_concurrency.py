"""Planning several targets scans them in threads: the first scans of a process must not race."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter (detect-secrets not yet imported), four threads starting at once: a
# generated card's scan_text beside scan_files, as `hfsync plan` on two targets does.
RACE = """
import pathlib, sys, tempfile, threading
from hfsync.publish import secrets
root = pathlib.Path(tempfile.mkdtemp()); (root / "a.txt").write_text("hello\\n")
barrier, errors = threading.Barrier(4), []
def run(fn):
    barrier.wait()
    try:
        fn()
    except BaseException as error:
        errors.append(repr(error))
jobs = [lambda: secrets.scan_text("README.md", "x = 1\\n"), lambda: secrets.scan_files(root, ["a.txt"])] * 2
threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
[t.start() for t in threads]
[t.join() for t in threads]
print(errors)
"""


def test_first_scans_in_threads_do_not_deadlock_on_detect_secrets_imports(tmp_path):
    # Before the fix this failed every run (_DeadlockError, then KeyError: 'detect_secrets').
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", RACE], env=env, capture_output=True, text=True, timeout=120,
                              cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "[]\n", done.stdout
