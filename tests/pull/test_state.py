"""The record a pull leaves beside its destination, and verify against it (fast) or the lock (--deep)."""

from __future__ import annotations

import json
import os

import yaml

from tests.pull.conftest import big_safetensors

CONFIG = b'{"hidden_size": 8}\n'


def pulled(make_repo, project, run, **pull):
    weights = big_safetensors(300_000)
    make_repo("acme/m1", {"config.json": CONFIG, "model.safetensors": weights})
    project.write([{"id": "acme/m1", "dest": "vendor/m1", **pull}])
    assert run("lock").exit_code == 0
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    return project.path / "vendor" / "m1", weights


def test_a_tampered_file_is_changed_and_pull_restores_it(sandbox, make_repo, project, run):
    dest, weights = pulled(make_repo, project, run)
    data = bytearray(weights)
    data[-1] ^= 0x01
    (dest / "model.safetensors").write_bytes(bytes(data))
    result = run("verify")
    assert result.exit_code == 1
    assert "changed: acme/m1/model.safetensors (blake3 " in result.stdout and ", recorded " in result.stdout
    result = run("verify", "--deep")
    assert result.exit_code == 1
    assert "changed: acme/m1/model.safetensors (sha256 " in result.stdout
    assert run("pull", "--locked").exit_code == 0
    assert (dest / "model.safetensors").read_bytes() == weights
    assert run("verify").exit_code == 0


def test_a_tampered_record_is_refused_naming_it(sandbox, make_repo, project, run):
    dest, _ = pulled(make_repo, project, run)
    state = dest / ".hfsync" / "state.json"
    record = json.loads(state.read_text())
    record["files"]["model.safetensors"]["blake3"] = "0" * 64
    state.write_text(json.dumps(record))
    result = run("verify")
    assert result.exit_code == 1
    assert f"Error: {state}: the record of what was pulled was changed since hfsync wrote it" in result.stderr
    assert "hfsync verify --deep" in result.stderr
    assert "Traceback" not in result.output
    state.write_text("{not json")
    result = run("verify")
    assert result.exit_code == 1 and f"{state}: the record of what was pulled cannot be read" in result.stderr
    # --deep needs no record, and writes a good one; pull would have too.
    result = run("verify", "--deep")
    assert result.exit_code == 0, result.output
    assert run("verify").exit_code == 0


def test_a_hand_edited_lock_is_caught_by_verify_and_pull(sandbox, make_repo, project, run):
    dest, weights = pulled(make_repo, project, run)
    lock = yaml.safe_load(project.lock.read_text())
    entry = next(f for f in lock["pulls"][0]["files"] if f["path"] == "model.safetensors")
    entry["sha256"] = "f" * 64
    project.lock.write_text(yaml.safe_dump(lock, sort_keys=False))
    result = run("verify")
    assert result.exit_code == 1
    assert ("stale: acme/m1/model.safetensors (pulled as sha256:" in result.stdout
            and f"the lock pins sha256:{'f' * 12}" in result.stdout)
    result = run("verify", "--deep")
    assert result.exit_code == 1 and "changed: acme/m1/model.safetensors (sha256 " in result.stdout
    # The Hub's bytes do not match the edited pin: pull refuses them, and the file is untouched.
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert "acme/m1/model.safetensors: the downloaded bytes do not match the lock" in result.stderr
    assert (dest / "model.safetensors").read_bytes() == weights


def test_a_record_from_an_older_lock_is_stale_until_pulled(sandbox, make_repo, project, run):
    dest, _ = pulled(make_repo, project, run)
    make_repo("acme/m1", {"config.json": b'{"hidden_size": 16}\n'}, message="bump")
    assert run("lock", "--update").exit_code == 0
    result = run("verify")
    assert result.exit_code == 1
    assert "stale: acme/m1/config.json (pulled as git:" in result.stdout
    assert "model.safetensors" not in result.stdout  # same content under the new pin: still good
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert "1 downloaded" in result.stdout and "2 already in place" in result.stdout
    assert run("verify").exit_code == 0
    record = json.loads((dest / ".hfsync" / "state.json").read_text())
    assert record["commit"] == yaml.safe_load(project.lock.read_text())["pulls"][0]["commit"]


def test_a_copy_made_by_other_means_needs_deep_once(sandbox, make_repo, project, run, tmp_path):
    import shutil

    dest, _ = pulled(make_repo, project, run)
    shutil.rmtree(dest / ".hfsync")
    result = run("verify")
    assert result.exit_code == 1
    assert f"stale: acme/m1: no record of a pull into {dest}" in result.stdout
    sandbox.reset_stats()
    result = run("verify", "--deep")
    assert result.exit_code == 0, result.output
    assert "Verified 3 files" in result.stdout
    assert sandbox.stats()["requests"] == 0
    assert run("verify").exit_code == 0


def test_pull_records_files_it_finds_and_skips_them_next_time(legacy_lfs, sandbox, make_repo, project, run, monkeypatch):
    dest, weights = pulled(make_repo, project, run)
    os.remove(dest / ".hfsync" / "state.json")
    sandbox.reset_stats()
    result = run("pull", "--offline")
    assert result.exit_code == 0, result.output
    assert "3 already in place" in result.stdout
    assert (dest / ".hfsync" / "state.json").exists()

    def no_reading(path, **kinds):
        raise AssertionError(f"{path} was reread")

    monkeypatch.setattr("hfsync.digests.hash_file", no_reading)
    result = run("pull", "--locked")
    assert result.exit_code == 0 and "3 already in place" in result.stdout
    # A file rewritten in place (new inode, same size) is rehashed, not trusted.
    monkeypatch.undo()
    (dest / "model.safetensors").unlink()
    (dest / "model.safetensors").write_bytes(weights[:-1] + b"\x00")
    result = run("pull", "--locked")
    assert result.exit_code == 0 and "1 downloaded" in result.stdout
    assert (dest / "model.safetensors").read_bytes() == weights
    assert sandbox.stats()["requests"] == 1 + 1  # resolve + CDN, for the one file


def test_the_cache_layout_keeps_its_record_in_hfsync_s_cache(sandbox, make_repo, project, run):
    from huggingface_hub import constants

    weights = big_safetensors(300_000)
    commit = make_repo("acme/m1", {"config.json": CONFIG, "model.safetensors": weights})
    project.write([{"id": "acme/m1", "cache": True}])
    assert run("pull").exit_code == 0
    storage = os.path.join(constants.HF_HUB_CACHE, "models--acme--m1")
    assert sorted(os.listdir(storage)) == ["blobs", "refs", "snapshots"]  # nothing foreign in the HF cache
    records = list((project.path.parent / "_hfsync_cache" / "pulled").glob("*.json"))
    assert len(records) == 1 and json.loads(records[0].read_text())["commit"] == commit
    assert run("verify").exit_code == 0
    blob = os.path.realpath(os.path.join(storage, "snapshots", commit, "model.safetensors"))
    with open(blob, "r+b") as handle:
        handle.seek(100)
        handle.write(b"X")
    result = run("verify")
    assert result.exit_code == 1 and "changed: acme/m1/model.safetensors (blake3" in result.stdout


def test_a_record_refutes_only_other_content_by_a_digest_of_the_same_kind():
    from hfsync.model.lock import LockedFile
    from hfsync.pull.state import Recorded

    record = Recorded(5, 1, 2, "sha256:" + "a" * 64, "b" * 64)
    assert not record.refutes(LockedFile("m", 5, sha256="a" * 64))  # the same content
    assert record.refutes(LockedFile("m", 5, sha256="c" * 64))
    # Pinned by git blob id now: the same bytes may have both digests, so the file is read.
    assert not record.refutes(LockedFile("m", 5, git_oid="d" * 40))
