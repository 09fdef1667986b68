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
from hfsync.publish import scan, secrets
root = pathlib.Path(tempfile.mkdtemp()); (root / "a.txt").write_text("hello\\n")
barrier, errors = threading.Barrier(4), []
def run(fn):
    barrier.wait()
    try:
        fn()
    except BaseException as error:
        errors.append(repr(error))
jobs = [lambda: secrets.scan_text("README.md", "x = 1\\n"), lambda: scan.scan_files(root, ["a.txt"])] * 2
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


# Processes starting at once on a fresh cache directory, each opening the digest cache.
OPENERS = """
import os, pathlib, sys, time
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
from hfsync.digests import DigestCache
cache = DigestCache()
print(cache.get(pathlib.Path(sys.argv[2])).sha256)
"""


def test_processes_starting_together_share_a_fresh_digest_cache(tmp_path):
    (tmp_path / "a.txt").write_text("hello\n")
    for round_ in range(3):
        go = tmp_path / f"go-{round_}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HFSYNC_CACHE_DIR": str(tmp_path / f"cache-{round_}")}
        workers = [subprocess.Popen([sys.executable, "-c", OPENERS, str(go), str(tmp_path / "a.txt")], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
        go.touch()
        results = [w.communicate(timeout=120) for w in workers]
        assert [w.returncode for w in workers] == [0] * 8, [err for _, err in results]
        assert {out for out, _ in results} == {"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\n"}
