"""`hfsync sandbox serve` as a user runs it: URL line, token, signals, kill -9, restart."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi


def _serve(data: Path, *args: str) -> tuple[subprocess.Popen, str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(data), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    first = process.stdout.readline().strip()
    assert first.startswith("Sandbox Hub listening on http://127.0.0.1:"), first
    token = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    return process, first.rsplit(" ", 1)[-1], token


def test_serve_prints_url_and_token_and_stops_on_sigterm(tmp_path):
    process, url, token = _serve(tmp_path / "hub", "--port", "0", "--user", "carol:hf_carol",
                                 "--org", "labs:carol")
    try:
        cas = process.stdout.readline().strip()
        assert re.fullmatch(r"Xet storage \(CAS\) on http://127\.0\.0\.1:\d+", cas), cas
        assert token.startswith("hf_sandbox_")
        assert HfApi(endpoint=url, token=token).whoami()["name"] == "sandbox"
        carol = HfApi(endpoint=url, token="hf_carol")
        assert carol.whoami()["orgs"][0]["name"] == "labs"
        carol.create_repo("labs/x")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in out


def test_no_admin_hides_the_admin_api(tmp_path):
    import urllib.error
    import urllib.request

    process, url, _ = _serve(tmp_path / "hub", "--no-admin")
    try:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{url}/_sandbox/stats")
        assert caught.value.code == 404
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_kill_9_mid_commits_leaves_consistent_data(tmp_path):
    data = tmp_path / "hub"
    process, url, token = _serve(data)
    hub = HfApi(endpoint=url, token=token)
    hub.create_repo("sandbox/k")
    # A separate client process commits in a loop; both are killed mid-flight.
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, url, token])
    # Killed once the writer's commits are landing (however slowly the machine starts it),
    # in the middle of the next one.
    deadline = time.monotonic() + 120
    while len(hub.list_repo_commits("sandbox/k")) < 3:
        assert writer.poll() is None and time.monotonic() < deadline, "the writer made no commit"
        threading.Event().wait(0.05)
    process.kill()
    process.wait()
    writer.kill()
    writer.wait()

    process, url, token2 = _serve(data)
    try:
        assert token2 == token
        hub = HfApi(endpoint=url, token=token)
        info = hub.model_info("sandbox/k", files_metadata=True)
        commits = hub.list_repo_commits("sandbox/k")
        assert commits[0].commit_id == info.sha and len(commits) >= 2
        # Every file of the head commit is readable and well formed.
        assert all(s.size == 200_000 for s in info.siblings if s.rfilename.endswith(".bin"))
        hub.upload_file(path_or_fileobj=b"after", path_in_repo="after.txt", repo_id="sandbox/k")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    if shutil.which("git"):
        fsck = subprocess.run(["git", "--git-dir", str(data / "repos/models/sandbox/k.git"),
                               "fsck", "--strict"], capture_output=True, text=True)
        assert fsck.returncode == 0, fsck.stderr


_WRITER = """
import os, sys
from huggingface_hub import CommitOperationAdd, HfApi
hub = HfApi(endpoint=sys.argv[1], token=sys.argv[2])
for i in range(10_000):
    hub.create_commit("sandbox/k", [CommitOperationAdd(f"f{i}.bin", os.urandom(200_000))],
                      commit_message=f"c{i}")
"""
