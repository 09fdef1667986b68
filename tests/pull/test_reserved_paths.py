"""Repo paths under the folders hfsync keeps in a destination (`.hfsync/`, and `.git/` unless
included) are pinned nowhere, and the lock says so; a lock that lists one anyway is refused."""

from __future__ import annotations

import json

import yaml

from tests.helpers import hfsync

SET_ASIDE = ("never written into a destination, where .hfsync/ and .cache/ are hfsync's and huggingface_hub's "
             "own folders; .git/ folders need an include pattern naming them")


def _commit(hub, repo_id: str, files: dict[str, bytes]) -> str:
    """A commit with exactly these paths (upload_folder would skip some of them)."""
    from huggingface_hub import CommitOperationAdd

    hub.create_repo(repo_id, exist_ok=True)
    return hub.create_commit(repo_id, [CommitOperationAdd(p, data) for p, data in files.items()],
                             commit_message="seed").oid


def test_lock_says_which_listed_paths_it_leaves_out(hub, project, run):
    _commit(hub, "acme/m1", {"config.json": b"{}\n", ".hfsync/state.json": b"{}\n",
                             "sub/.hfsync/kept.txt": b"kept\n"})
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    result = run("lock")
    assert result.exit_code == 0, result.output
    assert f"  left out ({SET_ASIDE}): .hfsync/state.json\n" in result.stdout
    pinned = [f["path"] for f in yaml.safe_load(project.lock.read_text())["pulls"][0]["files"]]
    assert ".hfsync/state.json" not in pinned and "sub/.hfsync/kept.txt" in pinned

    result = run("lock", "--update", "--format", "json")
    assert json.loads(result.stdout)["resolved"][0]["set_aside"] == [".hfsync/state.json"]
    result = run("pull")
    assert result.exit_code == 0, result.output
    dest = project.path / "vendor" / "m1"
    assert not (dest / ".hfsync" / "partial" / "state.json").exists()
    assert json.loads((dest / ".hfsync" / "state.json").read_text())["pull"] == "acme/m1"  # hfsync's own
    assert (dest / "sub" / ".hfsync" / "kept.txt").read_bytes() == b"kept\n"
    assert run("verify").exit_code == 0


def test_pull_that_pins_afresh_says_what_it_left_out(hub, project, run):
    _commit(hub, "acme/m1", {"config.json": b"{}\n", ".hfsync/state.json": b"{}\n"})
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    result = run("pull")
    assert result.exit_code == 0, result.output
    assert f"acme/m1: left out ({SET_ASIDE}): .hfsync/state.json\n" in result.stderr


def test_verify_and_pull_refuse_a_lock_that_lists_a_path_under_hfsync(tmp_path):
    from hfsync.lock.lockfile import write_lock
    from hfsync.lock.pin import fingerprint
    from hfsync.manifest.load import load
    from hfsync.model.lock import LockedFile, LockedPull, LockFile

    (tmp_path / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: acme/m1\n    dest: vendor\n")
    manifest = load([tmp_path / "hfsync.yaml"]).manifests[0]
    request = fingerprint(manifest.pulls[0], manifest.policy)
    files = (LockedFile(".hfsync/state.json", 3, git_oid="e" * 40), LockedFile("config.json", 3, git_oid="f" * 40))
    write_lock(LockFile(manifest.lock_path, (LockedPull("acme/m1", "model", "main", "1" * 40, request, files),)))
    for command in ("verify", "pull"):
        result = hfsync(command, "--offline" if command == "pull" else "--deep", "-f", str(tmp_path / "hfsync.yaml"))
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(
            f"Error: {manifest.lock_path} lists 1 file path that cannot be written under the destination of "
            "'acme/m1':\n  '.hfsync/state.json': is inside a folder hfsync and huggingface_hub keep for themselves\n"
            "Hint: Run `hfsync lock --update acme/m1`: a fresh pin leaves such paths out.\n"), result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "vendor").exists()
