"""An apply killed with SIGKILL while its Xet upload finishes: the rerun sends no xorb the
killed run had finished uploading (hf_xet remembers each one in its cache as it completes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hfsync.units import human_size
from tests.pull.conftest import safetensors_bytes

MIB = 1024 * 1024
SIZE = 64 * MIB + 4 * MIB  # one full xorb (hf_xet closes one at 64 MiB), and a small one after it
MANIFEST = "version: 1\nrepos:\n  - id: sandbox/big\n    source: {path: src}\n    card: {generate: false}\n"


def xorb_requests(sandbox) -> int:
    return sandbox.stats()["routes"].get("POST xorb-upload", {}).get("requests", 0)


def xorb_bytes(sandbox) -> int:
    return sandbox.stats()["routes"].get("POST xorb-upload", {}).get("bytes_in", 0)


@pytest.fixture
def project(tmp_path, sandbox, xet_on, monkeypatch):
    (tmp_path / "src").mkdir()
    data = bytearray(safetensors_bytes({"w": ("U8", [SIZE])}))
    data[-SIZE:] = os.urandom(SIZE)
    (tmp_path / "src" / "model.safetensors").write_bytes(bytes(data))
    (tmp_path / "hfsync.yaml").write_text(MANIFEST)
    monkeypatch.delenv("HF_XET_SESSION_XORB_METADATA_FLUSH_MAX_COUNT", raising=False)
    return tmp_path


def apply(sandbox, project: Path) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "HF_TOKEN": sandbox.token, "PYTHONPATH": str(root), "HF_HUB_DISABLE_XET": ""}
    return subprocess.Popen(
        [sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, "--no-progress", "apply", "-f",
         str(project / "hfsync.yaml"), "--auto-approve"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_rerun_after_sigkill_sends_no_xorb_the_killed_run_finished(sandbox, project):
    # The shard (sent once every xorb is up) is held back until the test is over: the kill lands after
    # the xorbs, before the commit.
    sandbox.add_faults([{"method": "POST", "path": "^/v1/shards", "action": "delay", "seconds": 3600}])
    killed = apply(sandbox, project)
    deadline = time.monotonic() + 120
    while sandbox.stats()["routes"].get("POST shard-upload", {}).get("requests", 0) == 0:
        assert killed.poll() is None, killed.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    first = xorb_bytes(sandbox)
    assert first > SIZE * 0.9  # the whole file went up before the kill

    sandbox.reset_stats()
    again = apply(sandbox, project)
    output = again.communicate(timeout=120)[0]
    assert again.returncode == 0, output
    assert "Apply complete: 1 target published." in output
    assert xorb_bytes(sandbox) == 0  # only the shard and the commit: nothing of the file again
    assert sandbox.stats()["routes"]["POST shard-upload"]["requests"] == 1


def test_a_rerun_after_sigkill_mid_upload_sends_only_the_xorbs_not_finished(sandbox, project):
    # The first xorb goes through; the second is held until the test is over: the kill lands between them.
    sandbox.add_faults([{"method": "POST", "path": "^/v1/xorbs/", "action": "delay", "seconds": 0},
                        {"method": "POST", "path": "^/v1/xorbs/", "action": "delay", "seconds": 3600}])
    killed = apply(sandbox, project)
    deadline = time.monotonic() + 180
    seen = -1
    while xorb_requests(sandbox) < 2 or xorb_bytes(sandbox) != seen:  # the second is held, the first all in
        seen = xorb_bytes(sandbox)
        assert killed.poll() is None, killed.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.5)
    # The kill waits for what the rerun relies on: hf_xet's record of the first xorb, on disk under
    # its final name. The record is written as `.<uuid>.mdb_temp` and renamed to `<hash>.mdb`; a
    # kill between the two leaves nothing the rerun can read.
    cache = Path(os.environ["HF_XET_CACHE"])
    while not any(cache.glob("*/staging/shard-session/xorb_metadata/[!.]*.mdb")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    first = xorb_bytes(sandbox)
    assert 0 < first < SIZE - MIB  # the second xorb never arrived

    sandbox.reset_stats()
    again = apply(sandbox, project)
    output = again.communicate(timeout=180)[0]
    assert again.returncode == 0, output
    assert "Apply complete: 1 target published." in output
    assert xorb_bytes(sandbox) < SIZE - first + MIB  # what the storage lacked, not the file again
    received = xorb_bytes(sandbox) + sandbox.stats()["routes"]["POST shard-upload"]["bytes_in"]
    assert f"({human_size(received)} sent)" in output  # and apply says so
