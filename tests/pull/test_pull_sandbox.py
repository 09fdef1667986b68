"""lock, pull and verify against the sandbox Hub: bytes on disk, requests seen, exit codes."""

from __future__ import annotations

import json
from unittest.mock import ANY

import blake3
import pytest
import yaml

from tests.pull.conftest import big_safetensors, partial_for
from tests.sandbox.xet import xet_active

pytestmark = pytest.mark.both_paths

CONFIG = b'{"hidden_size": 8}\n'


def seed_model(make_repo, size=2_000_000):
    weights = big_safetensors(size)
    commit = make_repo("acme/m1", {"config.json": CONFIG, "model.safetensors": weights, "README.md": b"# m1\n"})
    return commit, weights


def test_lock_pull_verify_roundtrip(sandbox, make_repo, project, run):
    commit, weights = seed_model(make_repo)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])

    sandbox.reset_stats()
    result = run("lock")
    assert result.exit_code == 0, result.output
    # Metadata only: repo info and one page of the tree; not a byte of file content.
    assert sandbox.stats()["routes"] == {"GET repo-info": ANY, "GET tree": ANY}
    assert sandbox.stats()["requests"] == 2
    lock = yaml.safe_load(project.lock.read_text())
    assert lock["version"] == 2
    entry = lock["pulls"][0]
    assert entry["commit"] == commit
    paths = [f["path"] for f in entry["files"]]
    assert paths == [".gitattributes", "README.md", "config.json", "model.safetensors"]
    assert set(entry["files"][3]) == {"path", "size", "sha256"} | ({"xet_hash"} if xet_active() else set())
    assert set(entry["files"][2]) == {"path", "size", "git_oid"}

    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    dest = project.path / "vendor" / "m1"
    assert (dest / "model.safetensors").read_bytes() == weights
    assert (dest / "config.json").read_bytes() == CONFIG
    assert "4 downloaded" in result.stdout
    assert sorted(p.name for p in dest.iterdir()) == [".gitattributes", ".hfsync", "README.md", "config.json",
                                                      "model.safetensors"]
    record = json.loads((dest / ".hfsync" / "state.json").read_text())
    weights_entry = record["files"]["model.safetensors"]
    assert weights_entry["digest"] == "sha256:" + entry["files"][3]["sha256"]
    assert weights_entry["blake3"] == blake3.blake3(weights).hexdigest()
    stat = (dest / "model.safetensors").stat()
    assert (weights_entry["size"], weights_entry["mtime_ns"], weights_entry["inode"]) == (
        stat.st_size, stat.st_mtime_ns, stat.st_ino)
    assert record["commit"] == commit and record["pull"] == "acme/m1"

    result = run("verify")
    assert result.exit_code == 0, result.output
    assert "Verified 4 files" in result.stdout


def partials(folder):
    return sorted(p.name for p in (folder / ".hfsync" / "partial").glob("*"))


def locked_model(make_repo, project, run, size=2_000_000, **pull):
    _commit, weights = seed_model(make_repo, size)
    project.write([{"id": "acme/m1", "dest": "vendor/m1", **pull}])
    assert run("lock").exit_code == 0
    return weights, project.path / "vendor" / "m1"


def test_reset_at_half_resumes_with_range(legacy_lfs, sandbox, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run, size=4_000_000)
    sandbox.reset_stats()
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "reset",
                         "after_bytes": len(weights) // 2}])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    cdn = sandbox.stats()["routes"]["GET lfs-download"]
    assert cdn["requests"] == 2
    assert cdn["bytes_out"] <= 1.1 * len(weights)
    assert partials(dest) == []


def test_truncated_body_is_resumed_and_never_installed_short(legacy_lfs, sandbox, make_repo, project, run, engine_pull):
    weights, dest = locked_model(make_repo, project, run)
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "truncate",
                         "after_bytes": 500_000}])
    engine_pull()
    assert (dest / "model.safetensors").read_bytes() == weights
    # A body that never completes: the pull gives up, and the final path never appears.
    (dest / "model.safetensors").unlink()
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "truncate",
                         "after_bytes": 0, "times": 10}])
    import pytest

    from hfsync.errors import HfsyncError

    with pytest.raises(HfsyncError) as caught:
        engine_pull(attempts=3)
    assert "\n  download acme/m1/model.safetensors: gave up after 3 attempts" in str(caught.value)
    assert not (dest / "model.safetensors").exists()
    # Cut off each time: running again resumes it, and the hint says so.
    assert caught.value.hint == "Run `hfsync pull` again: finished files are skipped and partial ones resume."


def test_a_server_failing_past_the_retries_says_to_pull_again(legacy_lfs, sandbox, make_repo, project, run):
    locked_model(make_repo, project, run)
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "status", "status": 503,
                         "retry_after": 0, "times": 100}])
    result = run("pull", "--locked")
    assert result.exit_code == 1, result.output
    assert "download acme/m1/model.safetensors: gave up after 8 attempts" in result.stderr
    assert result.stderr.endswith(
        "\nHint: Run `hfsync pull` again: finished files are skipped and partial ones resume.\n"), result.stderr


def test_corrupted_body_is_discarded_then_fetched_again(legacy_lfs, sandbox, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run)
    sandbox.reset_stats()
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "corrupt", "after_bytes": 1000}])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert sandbox.stats()["routes"]["GET lfs-download"]["bytes_out"] == 2 * len(weights)


def test_corrupted_twice_fails_naming_the_file(legacy_lfs, sandbox, make_repo, project, run):
    _weights, dest = locked_model(make_repo, project, run)
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "corrupt", "after_bytes": 1000,
                         "times": 2}])
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert "acme/m1/model.safetensors: the downloaded bytes do not match the lock (sha256" in result.stderr
    assert "twice; nothing was written" in result.stderr
    assert not (dest / "model.safetensors").exists()
    assert partials(dest) == []
    assert (dest / "config.json").read_bytes() == CONFIG  # the others are in place


def test_429_with_retry_after_is_waited_out(legacy_lfs, sandbox, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run)
    sandbox.reset_stats()
    sandbox.add_faults([{"method": "GET", "path": "/resolve/", "action": "status", "status": 429,
                         "retry_after": 1}])
    result = run("pull", "--locked", "--parallelism", "1")
    assert result.exit_code == 0, result.output
    assert "HTTP 429; retrying in 1s (attempt 2 of 8)" in result.stderr
    assert (dest / "model.safetensors").read_bytes() == weights
    assert sandbox.stats()["routes"]["GET resolve"]["requests"] == 5  # 4 files + the refused one


def test_pickle_only_repo_is_refused_naming_each_file(sandbox, make_repo, project, run):
    make_repo("acme/old", {"config.json": CONFIG, "pytorch_model.bin": b"\x80\x02pickle" * 100,
                           "optimizer.pt": b"\x80\x02" * 10})
    project.write([{"id": "acme/old", "dest": "vendor/old"}])
    result = run("lock")
    assert result.exit_code == 1
    assert "needs files that load through pickle" in result.stderr
    assert "  optimizer.pt\n  pytorch_model.bin" in result.stderr
    assert "allow_unsafe: true" in result.stderr and "--allow-unsafe" in result.stderr
    assert not project.lock.exists()
    result = run("pull")
    assert result.exit_code == 1 and "pytorch_model.bin" in result.stderr
    assert not (project.path / "vendor" / "old").exists()

    result = run("pull", "--allow-unsafe")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor" / "old" / "pytorch_model.bin").exists()

    project.write([{"id": "acme/old", "dest": "vendor/old2", "allow_unsafe": True}])
    result = run("pull")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor" / "old2" / "optimizer.pt").exists()


def test_pickle_duplicates_of_safetensors_are_left_out(sandbox, make_repo, project, run):
    make_repo("acme/both", {"model.safetensors": big_safetensors(1000), "pytorch_model.bin": b"\x80\x02" * 50})
    project.write([{"id": "acme/both", "dest": "vendor/both"}])
    result = run("lock")
    assert result.exit_code == 0, result.output
    assert "left out (safetensors replace them): pytorch_model.bin" in result.stdout
    assert "pytorch_model.bin" not in project.lock.read_text()


def test_bad_safetensors_header_is_rejected(sandbox, make_repo, project, run):
    fake = (10_000).to_bytes(8, "little") + b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}'
    make_repo("acme/fake", {"model.safetensors": fake + b"\0" * 100})
    project.write([{"id": "acme/fake", "dest": "vendor/fake"}])
    assert run("lock").exit_code == 0
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert ("acme/fake/model.safetensors: not a valid safetensors file (header length 10000 runs past the end "
            "of the 170-byte file); it was not installed.") in result.stderr
    dest = project.path / "vendor" / "fake"
    assert not (dest / "model.safetensors").exists()
    assert partials(dest) == []


def test_locked_fails_when_lock_is_missing_or_stale(sandbox, make_repo, project, run):
    seed_model(make_repo)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert f"--locked: {project.lock} is out of step with {project.manifest}:" in result.stderr
    assert "hfsync.lock does not exist" in result.stderr
    assert run("lock").exit_code == 0
    project.write([{"id": "acme/m1", "dest": "vendor/m1", "include": ["*.json"]}])
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert "pull 'acme/m1' changed in hfsync.yaml since it was locked" in result.stderr
    assert "Hint: Run `hfsync lock` and commit hfsync.lock" in result.stderr
    assert sandbox.stats()["requests"] == 0
    assert not (project.path / "vendor").exists()


def test_offline_pull_works_from_disk_with_no_request(sandbox, make_repo, project, run, monkeypatch):
    _weights, dest = locked_model(make_repo, project, run)
    assert run("pull", "--locked").exit_code == 0
    sandbox.reset_stats()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert "0 downloaded" in result.stdout and "4 already in place" in result.stdout
    (dest / "config.json").unlink()
    result = run("pull")
    assert result.exit_code == 1
    assert "offline, and 1 pinned file cannot be installed from disk:\n  acme/m1/config.json (not on disk)" in result.stderr
    result = run("lock", "--update")
    assert result.exit_code == 1 and "this run is offline" in result.stderr
    assert sandbox.stats()["requests"] == 0


def test_present_files_are_skipped_without_rereading(sandbox, make_repo, project, run, monkeypatch):
    _weights, _dest = locked_model(make_repo, project, run)
    assert run("pull").exit_code == 0
    sandbox.reset_stats()

    def no_reading(path):
        raise AssertionError(f"{path} was reread")

    monkeypatch.setattr("hfsync.digests.hash_file", no_reading)
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert "0 downloaded" in result.stdout
    assert sandbox.stats()["requests"] == 0


def test_cache_layout_is_read_back_by_hf_hub_download(sandbox, make_repo, project, run):
    import os

    from huggingface_hub import constants, hf_hub_download

    commit, weights = seed_model(make_repo)
    project.write([{"id": "acme/m1", "cache": True}])
    result = run("pull")
    assert result.exit_code == 0, result.output
    sandbox.reset_stats()
    path = hf_hub_download("acme/m1", "model.safetensors", local_files_only=True, endpoint=sandbox.url)
    assert open(path, "rb").read() == weights
    storage = os.path.join(constants.HF_HUB_CACHE, "models--acme--m1")
    assert path == os.path.join(storage, "snapshots", commit, "model.safetensors")
    assert os.readlink(path) == f"../../blobs/{yaml.safe_load(project.lock.read_text())['pulls'][0]['files'][3]['sha256']}"
    assert open(os.path.join(storage, "refs", "main")).read() == commit
    config = hf_hub_download("acme/m1", "config.json", revision=commit, local_files_only=True, endpoint=sandbox.url)
    assert open(config, "rb").read() == CONFIG
    assert sandbox.stats()["requests"] == 0
    assert run("verify").exit_code == 0


def test_verify_catches_a_flipped_byte_a_missing_and_an_extra_file(sandbox, make_repo, project, run):
    _weights, dest = locked_model(make_repo, project, run)
    assert run("pull").exit_code == 0
    data = bytearray((dest / "model.safetensors").read_bytes())
    data[len(data) // 2] ^= 0x01
    (dest / "model.safetensors").write_bytes(bytes(data))
    result = run("verify")
    assert result.exit_code == 1
    assert "changed: acme/m1/model.safetensors (blake3 " in result.stdout
    assert "Error: 1 file differ" in result.stderr or "Error: 1 files differ" in result.stderr
    (dest / "README.md").unlink()
    (dest / "extra.bin").write_bytes(b"x")
    result = run("verify", "--strict")
    assert "missing: acme/m1/README.md" in result.stdout
    assert "extra: acme/m1/extra.bin" in result.stdout
    assert "Error: 3 files differ from the lock" in result.stderr
    assert run("pull").exit_code == 0  # restores the changed and missing files
    (dest / "extra.bin").unlink()
    assert run("verify").exit_code == 0


def test_lock_keeps_pins_until_update(sandbox, make_repo, project, run):
    first, _ = seed_model(make_repo)
    make_repo("acme/m2", {"config.json": CONFIG})
    project.write([{"id": "acme/m1", "dest": "a"}, {"id": "acme/m2", "dest": "b"}])
    assert run("lock").exit_code == 0
    text = project.lock.read_text()
    second = make_repo("acme/m1", {"config.json": b'{"hidden_size": 16}\n'}, message="bump")
    sandbox.reset_stats()
    result = run("lock")
    assert result.exit_code == 0
    assert "0 resolved, 2 kept; unchanged." in result.stdout
    assert project.lock.read_text() == text
    assert sandbox.stats()["requests"] == 0
    result = run("lock", "--update", "acme/m1")
    assert result.exit_code == 0, result.output
    assert f"acme/m1: main = {first[:12]} -> {second[:12]}" in result.stdout
    lock = yaml.safe_load(project.lock.read_text())
    assert next(p["commit"] for p in lock["pulls"]) == second
    # Moving a pin reads metadata only.
    assert set(sandbox.stats()["routes"]) == {"GET repo-info", "GET tree"}


def test_gguf_variant_auto_picks_highest_precision_that_fits(sandbox, make_repo, project, run):
    make_repo("acme/llm-gguf", {
        "llm-Q4_K_M.gguf": b"G" * 4000, "llm-Q8_0.gguf": b"G" * 8000, "llm-F16.gguf": b"G" * 16000,
        "README.md": b"# gguf\n",
    })
    project.write([{"id": "acme/llm-gguf", "dest": "llm", "variant": "auto", "max_memory": 10000}])
    result = run("lock")
    assert result.exit_code == 0, result.output
    lock = yaml.safe_load(project.lock.read_text())["pulls"][0]
    assert lock["variant"]["name"] == "llm-Q8_0.gguf"
    assert "fits in 0.0 GiB (max_memory): Q8_0" in lock["variant"]["reason"]
    assert "F16 (0.0 GiB) does not fit" in lock["variant"]["reason"]
    assert [f["path"] for f in lock["files"]] == [".gitattributes", "README.md", "llm-Q8_0.gguf"]
    assert "variant llm-Q8_0.gguf: highest-precision" in result.stdout


def test_a_partial_of_other_content_is_discarded_and_a_bad_resume_restarts(legacy_lfs, sandbox, make_repo, project, run):
    import json

    weights, dest = locked_model(make_repo, project, run, size=3_000_000)
    dest.mkdir(parents=True)
    partial = partial_for(dest, "model.safetensors")
    sidecar = partial.with_name(partial.name + ".json")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(weights[:1_000_000])
    sidecar.write_text(json.dumps({"digest": "sha256:" + "0" * 64, "size": len(weights)}))
    sandbox.reset_stats()
    assert run("pull", "--locked", "--target", "acme/m1").exit_code == 0
    assert (dest / "model.safetensors").read_bytes() == weights
    assert sandbox.stats()["routes"]["GET lfs-download"]["bytes_out"] == len(weights)  # not resumed
    assert not partial.exists() and not sidecar.exists()

    # A partial that claims the right pin but holds wrong bytes: resumed, caught, refetched whole.
    lock = yaml.safe_load(project.lock.read_text())
    pinned = next(f for f in lock["pulls"][0]["files"] if f["path"] == "model.safetensors")
    (dest / "model.safetensors").unlink()
    partial.write_bytes(b"\0" * 1_000_000)
    sidecar.write_text(json.dumps({"digest": f"sha256:{pinned['sha256']}", "size": len(weights)}))
    sandbox.reset_stats()
    assert run("pull", "--locked").exit_code == 0
    assert (dest / "model.safetensors").read_bytes() == weights
    assert sandbox.stats()["routes"]["GET lfs-download"]["bytes_out"] == len(weights) - 1_000_000 + len(weights)


def test_lock_offline_in_step_makes_no_request_and_target_limits_pull_and_verify(sandbox, make_repo, project, run):
    seed_model(make_repo)
    make_repo("acme/m2", {"config.json": CONFIG})
    project.write([{"id": "acme/m1", "dest": "a"}, {"id": "acme/m2", "dest": "b"}])
    assert run("lock").exit_code == 0
    sandbox.reset_stats()
    result = run("lock", "--offline")
    assert result.exit_code == 0 and "0 resolved, 2 kept; unchanged." in result.stdout
    result = run("pull", "--target", "acme/m2")
    assert result.exit_code == 0, result.output
    assert (project.path / "b" / "config.json").exists() and not (project.path / "a").exists()
    assert run("verify", "--target", "acme/m2").exit_code == 0
    result = run("verify")
    assert result.exit_code == 1 and "missing: acme/m1/model.safetensors" in result.stdout
    result = run("pull", "--target", "acme/nope")
    assert result.exit_code == 1 and "no pull named 'acme/nope' in the manifest" in result.stderr


def test_a_format_1_lock_still_pulls_and_lock_rewrites_it_once(sandbox, make_repo, project, run):
    _commit, weights = seed_model(make_repo)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    assert run("lock").exit_code == 0
    current = project.lock.read_text()
    old = yaml.safe_load(current)
    old["version"] = 1
    for file in old["pulls"][0]["files"]:
        file["blake3"] = "b" * 64  # format 1 pinned one; it is ignored now
    project.lock.write_text(yaml.safe_dump(old, sort_keys=False))
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor" / "m1" / "model.safetensors").read_bytes() == weights
    assert run("verify").exit_code == 0
    sandbox.reset_stats()
    result = run("lock", "--offline")
    assert result.exit_code == 0, result.output
    assert f"Rewrote {project.lock} in the current format: pins unchanged" in result.stdout
    assert project.lock.read_text() == current
    assert sandbox.stats()["requests"] == 0
    result = run("lock")
    assert result.exit_code == 0 and "Rewrote" not in result.stdout


def test_a_lock_tampered_after_lock_wrote_it_is_refused_where_it_was_changed(sandbox, make_repo, project, run):
    _commit, _weights = seed_model(make_repo)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    assert run("lock").exit_code == 0
    lines = project.lock.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("    sha256: "))
    lines[at] = "    sha256: X" + lines[at][13:]  # one digit changed to what is not hex
    project.lock.write_text("".join(lines))
    sandbox.reset_stats()
    for command in (("pull", "--locked"), ("verify",), ("lock",)):
        result = run(*command)
        assert result.exit_code == 1, result.output
        assert f"{project.lock}:{at + 1}:13: pulls[0].files[3].sha256:" in result.stderr
        assert "Traceback" not in result.stderr
    assert sandbox.stats()["requests"] == 0
    assert not (project.path / "vendor").exists()
