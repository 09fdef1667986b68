"""Paths from a hostile Hub (or a hand-edited lock) never write outside the destination."""

from __future__ import annotations

import os

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
    assert "lists 4 file paths that would escape the destination of 'acme/evil'; nothing was written:" in result.stderr
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
    from hfsync.manifest.load import load
    from hfsync.pull.lockfile import LockedFile, LockedPull, LockFile, fingerprint, write_lock

    (tmp_path / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: acme/m1\n    dest: vendor\n")
    manifest = load([tmp_path / "hfsync.yaml"]).manifests[0]
    request = fingerprint(manifest.pulls[0], manifest.policy)
    bad = LockedFile("../outside.json", 3, git_oid="e" * 40)
    write_lock(LockFile(manifest.lock_path, (LockedPull("acme/m1", "model", "main", COMMIT, request, (bad,)),)))
    result = hfsync("pull", "--offline", "-f", str(tmp_path / "hfsync.yaml"))
    assert result.exit_code == 1
    assert f"{manifest.lock_path} lists 1 file path that would escape the destination of 'acme/m1'" in result.stderr
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
