"""A pull over Xet killed with SIGKILL mid-file resumes on the next run from the last whole
term (a xorb range) written, and does not fetch those terms again."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from hfsync.sandbox.cas import CasStore
from tests.pull.conftest import partial_for
from tests.pull.test_kill_resume import ROOT, kill
from tests.pull.test_pull_xet import safetensors_like
from tests.sandbox.xet import MIB


def two_xorb_file(xet_on, make_repo, project, run, sandbox):  # type: ignore[no-untyped-def]
    """acme/k's model.safetensors: its first half already in another repo's file (so in a xorb
    of its own), the rest in a second xorb; locked for vendor/k. Returns (bytes, the second
    xorb, the size of the terms from the first)."""
    data = safetensors_like(6 * MIB, seed=11)
    make_repo("acme/seed", {"head.bin": data[:3 * MIB]})  # its chunks are in the CAS before the file is
    make_repo("acme/k", {"model.safetensors": data})
    project.write([{"id": "acme/k", "dest": "vendor/k"}])
    assert run("lock").exit_code == 0
    record = CasStore(Path(sandbox.data_dir) / "xet").file_for_sha256(hashlib.sha256(data).hexdigest())
    xorbs = list(dict.fromkeys(t[0] for t in record.terms))
    assert len(xorbs) == 2 and record.terms[1][0] == xorbs[1], record.terms
    head = sum(t[3] for t in record.terms if t[0] == xorbs[0])
    return data, xorbs[1], head


def test_sigkill_mid_file_over_xet_then_rerun_fetches_only_the_rest(xet_on, sandbox, make_repo, project, run):
    data, second, head = two_xorb_file(xet_on, make_repo, project, run, sandbox)
    dest = project.path / "vendor" / "k"
    sandbox.reset_stats()
    # Every request for the second xorb waits until the test is over (its terms are fetched
    # several at a time, in any order).
    sandbox.add_faults([{"method": "GET", "path": f"^/sandbox-xet/xorb/{second}", "action": "delay",
                         "seconds": 3600, "times": 3}])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": sandbox.token}
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, "--no-progress", "pull", "--locked",
         "-f", str(project.manifest)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = partial_for(dest, "model.safetensors")
    deadline = time.monotonic() + 30
    # Stalled on the second xorb, with the first term's bytes in the partial.
    while (sandbox.stats()["routes"].get("GET xorb-range", {}).get("requests", 0) < 2
           or not partial.exists() or partial.stat().st_size < head):
        assert process.poll() is None, "the pull ended before it stalled"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    kill(process)
    sandbox.clear_faults()  # the rerun runs with none of the holds the killed pull did not use
    assert partial.stat().st_size == head
    assert not (dest / "model.safetensors").exists()  # nothing unverified at the final path
    sent_before = sandbox.stats()["routes"]["GET xorb-range"]["bytes_out"]
    assert 0 < sent_before < len(data) // 2 + 64 * 1024

    result = run("pull", "--locked")

    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == data
    assert not partial.exists()
    routes = sandbox.stats()["routes"]
    rerun = routes["GET xorb-range"]["bytes_out"] - sent_before
    assert 0 < rerun <= len(data) - head + 64 * 1024  # the second xorb's term, not the first again
    assert run("verify").exit_code == 0
