"""Paths from a hostile Hub (or a hand-edited lock) never write outside the destination."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.helpers import hfsync

COMMIT = "1" * 40
EVIL = ["../../x", "/tmp/hfsync-evil-absolute", "a\\..\\..\\y", "ok/../../z"]


def tree_entry(path: str) -> dict:
    return {"type": "file", "oid": "e" * 40, "size": 3, "path": path}


def files_under(root) -> set[str]:
    """Every file under ``root`` but hfsync's own digest cache (the tests keep it there)."""
    found = {os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names}
    return {f for f in found if not f.startswith("_hfsync_cache/")}


def test_hostile_listing_writes_nothing_outside_the_destination(httpserver, tmp_path):
    httpserver.expect_request("/api/models/acme/evil/revision/main").respond_with_json(
        {"id": "acme/evil", "sha": COMMIT, "siblings": []}
    )
    httpserver.expect_request(f"/api/models/acme/evil/tree/{COMMIT}").respond_with_json(
        [tree_entry("config.json"), *(tree_entry(p) for p in EVIL)]
    )
    project = tmp_path / "deep" / "project"
    project.mkdir(parents=True)
    (project / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: acme/evil\n    dest: vendor/evil\n")
    before = files_under(tmp_path)

    result = hfsync("--endpoint", httpserver.url_for("/").rstrip("/"), "--no-progress", "pull",
                    "-f", str(project / "hfsync.yaml"))

    assert result.exit_code == 1
    assert "lists 4 file paths that cannot be written under the destination of 'acme/evil':" in result.stderr
    assert "'../../x': has an empty, '.' or '..' segment" in result.stderr
    assert "'/tmp/hfsync-evil-absolute': is absolute" in result.stderr
    assert "'a\\\\..\\\\..\\\\y': contains a backslash" in result.stderr
    assert files_under(tmp_path) == before  # not even the good file, nor a lock
    assert not os.path.exists("/tmp/hfsync-evil-absolute")
    assert not any("/resolve/" in request.path for request, _ in httpserver.log)


def test_hostile_digest_cannot_name_a_cache_blob_outside(httpserver, tmp_path):
    httpserver.expect_request("/api/models/acme/evil/revision/main").respond_with_json({"id": "acme/evil", "sha": COMMIT})
    entry = {"type": "file", "oid": "e" * 40, "size": 3, "path": "w.safetensors",
             "lfs": {"oid": "../../../../escape", "size": 3, "pointerSize": 120}}
    httpserver.expect_request(f"/api/models/acme/evil/tree/{COMMIT}").respond_with_json([entry])
    (tmp_path / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: acme/evil\n    cache: true\n")
    result = hfsync("--endpoint", httpserver.url_for("/").rstrip("/"), "pull", "-f", str(tmp_path / "hfsync.yaml"))
    assert result.exit_code == 1
    assert "the Hub gave 'w.safetensors' a malformed digest '../../../../escape'" in result.stderr


def test_hand_edited_lock_with_escaping_path_is_refused_offline(tmp_path):
    from hfsync.lock.lockfile import write_lock
    from hfsync.lock.pin import fingerprint
    from hfsync.manifest.load import load
    from hfsync.model.lock import LockedFile, LockedPull, LockFile

    (tmp_path / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: acme/m1\n    dest: vendor\n")
    manifest = load([tmp_path / "hfsync.yaml"]).manifests[0]
    request = fingerprint(manifest.pulls[0], manifest.policy)
    bad = LockedFile("../outside.json", 3, git_oid="e" * 40)
    write_lock(LockFile(manifest.lock_path, (LockedPull("acme/m1", "model", "main", COMMIT, request, (bad,)),)))
    result = hfsync("pull", "--offline", "-f", str(tmp_path / "hfsync.yaml"))
    assert result.exit_code == 1
    assert f"{manifest.lock_path} lists 1 file path that cannot be written under the destination of 'acme/m1'" in result.stderr
    result = hfsync("verify", "-f", str(tmp_path / "hfsync.yaml"))
    assert result.exit_code == 1 and "'../outside.json'" in result.stderr
    assert not (tmp_path / "outside.json").exists()


def test_links_in_the_destination_are_never_followed(sandbox, make_repo, project, run, tmp_path):
    make_repo("acme/linked", {"sub/config.json": b"{}\n"})
    project.write([{"id": "acme/linked", "dest": "vendor"}])
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.path / "vendor").mkdir()
    (project.path / "vendor" / "sub").symlink_to(outside)
    result = run("pull")
    assert result.exit_code == 1
    assert "is a link or a file, and links are never followed" in result.stderr
    assert list(outside.iterdir()) == []


def _commit(hub, repo_id: str, files: dict[str, bytes]) -> str:
    """A commit with exactly these paths (upload_folder would skip .git/ and .cache/)."""
    from huggingface_hub import CommitOperationAdd

    hub.create_repo(repo_id, exist_ok=True)
    return hub.create_commit(repo_id, [CommitOperationAdd(p, data) for p, data in files.items()],
                             commit_message="seed").oid


def _partial_twins(weights: bytes) -> dict[str, bytes]:
    """A repo's files named like the partials, sidecars and link temps hfsync used to keep beside them."""
    return {
        "model.safetensors": weights,
        ".model.safetensors.hfsync-partial": b"decoy partial " * 100_000,
        ".model.safetensors.hfsync-partial.json": b'{"digest": "sha256:' + b"0" * 64 + b'", "size": 1}',
        ".model.safetensors.hfsync-link": b"decoy link\n",
        "config.json": b"{}\n",
        ".config.json.hfsync-partial": b"{\"decoy\": true}\n",
    }


@pytest.mark.parametrize("cache", [False, True])
def test_repo_files_named_like_partials_never_mix_with_them(hub, project, run, cache):
    from huggingface_hub import constants

    from tests.pull.conftest import big_safetensors

    files = _partial_twins(big_safetensors(3_000_000))
    commit = _commit(hub, "acme/twins", files)
    project.write([{"id": "acme/twins", **({"cache": True} if cache else {"dest": "vendor"})}])
    for attempt in (1, 2):  # a fresh pull, then one over the files in place
        result = run("pull")
        assert result.exit_code == 0, result.output
        if cache:
            root = Path(constants.HF_HUB_CACHE) / "models--acme--twins" / "snapshots" / commit
        else:
            root = project.path / "vendor"
        for path, data in files.items():
            assert (root / path).read_bytes() == data, (attempt, path)
    assert run("verify").exit_code == 0


def _blob(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_listing_paths_under_hfsync_and_git_are_set_aside(httpserver, tmp_path):
    from tests.pull.conftest import partial_for

    vendor = tmp_path / "vendor"
    files = {
        "config.json": b'{"a": 1}\n',
        # a file where hfsync assembles config.json, and others in its private folders
        partial_for(vendor, "config.json").relative_to(vendor).as_posix(): b'{"evil": 1}\n',
        ".hfsync/state.json": b"{}", ".HFSYNC/x": b"x", ".cache/huggingface/download/x": b"x",
        ".git/config": b"[core]\n\thooksPath = /tmp\n", ".git/hooks/post-checkout": b"#!/bin/sh\necho owned\n",
        "sub/.git/HEAD": b"ref: refs/heads/main\n", ".Git/HEAD": b"x", ".gitattributes": b"*.bin binary\n",
    }
    httpserver.expect_request("/api/models/acme/sneaky/revision/main").respond_with_json(
        {"id": "acme/sneaky", "sha": COMMIT, "siblings": []})
    httpserver.expect_request(f"/api/models/acme/sneaky/tree/{COMMIT}").respond_with_json(
        [{"type": "file", "oid": _blob(data), "size": len(data), "path": path} for path, data in files.items()])
    for path, data in files.items():
        httpserver.expect_request(f"/acme/sneaky/resolve/{COMMIT}/{path}").respond_with_data(
            data, headers={"ETag": f'"{_blob(data)}"', "X-Repo-Commit": COMMIT})
    manifest = tmp_path / "hfsync.yaml"
    endpoint = httpserver.url_for("/").rstrip("/")

    def pull(**extra) -> str:
        manifest.write_text(yaml.safe_dump({"version": 1, "pulls": [{"id": "acme/sneaky", "dest": "vendor", **extra}]}))
        result = hfsync("--endpoint", endpoint, "--no-progress", "pull", "-f", str(manifest))
        assert result.exit_code == 0, result.output
        return result.stderr

    said = pull()
    aside = sorted(p for p in files if p not in (".gitattributes", "config.json"))
    assert f"acme/sneaky: left out (never written into a destination, where .hfsync/ and .cache/ are hfsync's and " \
           f"huggingface_hub's own folders; .git/ folders need an include pattern naming them): {', '.join(aside)}" in said
    pinned = [f["path"] for f in yaml.safe_load((tmp_path / "hfsync.lock").read_text())["pulls"][0]["files"]]
    assert pinned == [".gitattributes", "config.json"]
    assert (vendor / "config.json").read_bytes() == b'{"a": 1}\n'
    assert not any(p.name in (".git", ".Git", "sub", ".cache", ".HFSYNC") for p in vendor.rglob("*"))
    assert (vendor / ".hfsync" / "state.json").read_bytes() != b"{}"  # hfsync's own record, not the repo's
    assert [p.read_bytes() for p in (vendor / ".hfsync" / "partial").iterdir()] == []

    # Asked for by an include pattern, a .git folder is pulled like any other.
    pull(include=[".git/*", "*.json"])
    assert (vendor / ".git" / "config").read_bytes() == b"[core]\n\thooksPath = /tmp\n"
    assert not (vendor / "sub").exists()


def test_a_link_planted_at_a_partial_is_replaced_never_followed(hub, project, run, tmp_path):
    from tests.pull.conftest import big_safetensors, partial_for

    weights = big_safetensors(2_000_000)
    _commit(hub, "acme/planted", {"model.safetensors": weights, "config.json": b"{}\n"})
    project.write([{"id": "acme/planted", "dest": "vendor"}])
    assert run("lock").exit_code == 0
    vendor = project.path / "vendor"
    victims = {}
    for name in ("model.safetensors", "config.json"):
        for where in (partial_for(vendor, name), partial_for(vendor, name).with_suffix(".link"),
                      Path(str(partial_for(vendor, name)) + ".json"), vendor / f".{name}.hfsync-partial",
                      vendor / f".{name}.hfsync-partial.json"):
            victim = tmp_path / f"victim-{len(victims)}"
            victim.write_bytes(b"precious\n")
            where.parent.mkdir(parents=True, exist_ok=True)
            where.symlink_to(victim)
            victims[where] = victim
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (vendor / "model.safetensors").read_bytes() == weights
    assert (vendor / "config.json").read_bytes() == b"{}\n"
    assert all(victim.read_bytes() == b"precious\n" for victim in victims.values())


def test_a_link_in_place_of_the_partial_folder_is_refused(hub, project, run, tmp_path):
    _commit(hub, "acme/planted", {"config.json": b"{}\n"})
    project.write([{"id": "acme/planted", "dest": "vendor"}])
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.path / "vendor" / ".hfsync").mkdir(parents=True)
    (project.path / "vendor" / ".hfsync" / "partial").symlink_to(outside)
    result = run("pull")
    assert result.exit_code == 1
    assert "partial is a link or a file; hfsync keeps its partial files there and never follows links" in result.stderr
    assert "Internal error" not in result.output
    assert list(outside.iterdir()) == []
    assert not (project.path / "vendor" / "config.json").exists()


def test_only_the_very_file_written_and_verified_is_installed(sandbox, hub, tmp_path):
    from hfsync.errors import ContentError
    from hfsync.hub.client import Hub
    from hfsync.hub.download import Downloader
    from hfsync.hub.repofiles import files_at_commit
    from hfsync.hub.retry import Retry, RetryPolicy

    commit = _commit(hub, "acme/swap", {"config.json": b'{"a": 1}\n'})
    client = Hub(sandbox.url, sandbox.token, retry=Retry(RetryPolicy(attempts=1)))
    (file,) = [f for f in files_at_commit(client, "acme/swap", "model", commit) if f.path == "config.json"]
    downloader = Downloader(client)
    target, partial = tmp_path / "config.json", tmp_path / "partial"

    def swap(handle) -> None:  # another writer replaces the partial after it was verified
        partial.unlink()
        partial.write_bytes(b'{"b": 2}\n')

    fetched = downloader.fetch(downloader.url("acme/swap", "model", commit, "config.json"), file, target,
                               partial=partial, label="acme/swap/config.json", accept=swap)
    with pytest.raises(ContentError, match="was replaced or changed before it could be moved into place"):
        fetched.install()
    downloader.close()
    assert not target.exists()


@pytest.mark.parametrize(("header", "reason"), [
    (b"[" * 20_000 + b"]" * 20_000, "nests deeper than any safetensors header does"),
    (b'{"w": {"dtype": "U8", "shape": [' + b"7" * 5000 + b'], "data_offsets": [0, 1]}}', "5000-digit number"),
])
def test_hostile_safetensors_headers_fail_the_pull_cleanly(hub, project, run, header, reason):
    import struct

    data = struct.pack("<Q", len(header)) + header + b"\0"
    _commit(hub, "acme/bomb", {"model.safetensors": data})
    project.write([{"id": "acme/bomb", "dest": "vendor"}])
    result = run("pull")
    assert result.exit_code == 1, result.output
    assert "acme/bomb/model.safetensors: not a valid safetensors file" in result.stderr
    assert reason in result.stderr
    assert "Internal error" not in result.output and "Traceback" not in result.output
    assert not (project.path / "vendor" / "model.safetensors").exists()
