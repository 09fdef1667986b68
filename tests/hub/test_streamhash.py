"""Digests fed as bytes arrive: the same on the helper thread as inline, and no thread left behind."""

from __future__ import annotations

import hashlib
import os
import threading

import blake3
import pytest

from hfsync.hub import streamhash
from hfsync.hub.streamhash import StreamHashes
from hfsync.model.lock import LockedFile

DATA = os.urandom(3 * 1024 * 1024 + 17)
SHA = hashlib.sha256(DATA).hexdigest()


def helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "hfsync-hash"]


@pytest.fixture(params=["inline", "threaded"])
def threshold(request, monkeypatch) -> str:
    monkeypatch.setattr(streamhash, "THREADED", 1 if request.param == "threaded" else 1 << 40)
    return request.param


def feed(hashes: StreamHashes, data: bytes) -> None:
    for start in range(0, len(data), 100_000):
        hashes.update(data[start:start + 100_000])


def test_digests_match_hashing_at_once(threshold):
    hashes = StreamHashes(LockedFile("w.safetensors", len(DATA), sha256=SHA))
    assert bool(helpers()) == (threshold == "threaded")
    feed(hashes, DATA)
    assert hashes.mismatch(len(DATA)) is None
    assert hashes.blake3() == blake3.blake3(DATA).hexdigest()
    assert helpers() == []


def test_a_flipped_byte_and_a_short_body_are_mismatches(threshold):
    file = LockedFile("w.safetensors", len(DATA), sha256=SHA)
    hashes = StreamHashes(file)
    feed(hashes, DATA[:1000] + bytes([DATA[1000] ^ 1]) + DATA[1001:])
    assert hashes.mismatch(len(DATA)).startswith("sha256 ")
    short = StreamHashes(file)
    feed(short, DATA[:-1])
    assert short.mismatch(len(DATA) - 1) == f"{len(DATA) - 1} bytes instead of {len(DATA)}"
    assert helpers() == []


def test_restart_forgets_what_was_fed(threshold):
    oid = hashlib.sha1(b"blob %d\0" % len(DATA) + DATA, usedforsecurity=False).hexdigest()
    hashes = StreamHashes(LockedFile("data.bin", len(DATA), git_oid=oid))
    feed(hashes, b"unrelated bytes")
    hashes.restart()
    feed(hashes, DATA)
    assert hashes.mismatch(len(DATA)) is None
    assert hashes.blake3() == blake3.blake3(DATA).hexdigest()
    hashes.settle()  # idempotent
    assert helpers() == []


def test_pulls_hashed_beside_the_transfer_resume_verify_and_leave_no_thread(legacy_lfs,
        sandbox, make_repo, project, run, monkeypatch):
    from tests.pull.test_pull_sandbox import locked_model, partials

    monkeypatch.setattr(streamhash, "THREADED", 1)
    weights, dest = locked_model(make_repo, project, run, size=4_000_000)
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "reset",
                         "after_bytes": len(weights) // 2}])
    assert run("pull", "--locked").exit_code == 0
    assert (dest / "model.safetensors").read_bytes() == weights
    (dest / "model.safetensors").unlink()
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "corrupt", "after_bytes": 1000,
                         "times": 2}])
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert "model.safetensors: the downloaded bytes do not match the lock (sha256" in result.stderr
    assert not (dest / "model.safetensors").exists()
    assert partials(dest) == []
    assert helpers() == []
