"""The read path: hf_hub_download, snapshot_download, Range, refs, commits."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RevisionNotFoundError

from tests.sandbox.hubapi import BIG, api, make_folder

pytestmark = pytest.mark.both_paths


@pytest.fixture
def uploaded(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    files = make_folder(tmp_path / "src")
    commit = hub.upload_folder(folder_path=tmp_path / "src", repo_id="sandbox/m")
    return files, commit.oid


def test_hf_hub_download_and_snapshot_identical_bytes(sandbox, uploaded, tmp_path):
    files, commit = uploaded
    for name, data in files.items():
        path = hf_hub_download("sandbox/m", name, endpoint=sandbox.url, token=sandbox.token)
        assert Path(path).read_bytes() == data
        assert f"snapshots/{commit}/" in path
    snap = Path(snapshot_download("sandbox/m", endpoint=sandbox.url, cache_dir=tmp_path / "c"))
    local = Path(snapshot_download("sandbox/m", endpoint=sandbox.url, local_dir=tmp_path / "l"))
    for name, data in files.items():
        assert (snap / name).read_bytes() == data
        assert (local / name).read_bytes() == data


def test_lfs_resolve_redirects_like_the_hub(sandbox, uploaded):
    files, commit = uploaded
    request = urllib.request.Request(
        f"{sandbox.url}/sandbox/m/resolve/main/model.safetensors", method="HEAD"
    )
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(request)
    headers = caught.value.headers
    assert caught.value.code == 302
    assert headers["X-Repo-Commit"] == commit
    assert headers["X-Linked-Etag"] == f'"{hashlib.sha256(files["model.safetensors"]).hexdigest()}"'
    assert headers["X-Linked-Size"] == str(BIG)
    assert not headers["Location"].startswith(sandbox.url)  # another origin, like a CDN


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_regular_file_headers_and_range(sandbox, uploaded):
    files, commit = uploaded
    url = f"{sandbox.url}/sandbox/m/resolve/main/config.json"
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD")) as r:
        assert r.headers["X-Repo-Commit"] == commit
        assert r.headers["Content-Length"] == str(len(files["config.json"]))
        assert r.headers["Accept-Ranges"] == "bytes"
        assert r.headers["ETag"].strip('"') == hashlib.sha1(
            b"blob %d\0" % len(files["config.json"]) + files["config.json"]
        ).hexdigest()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=2-5"})) as r:
        assert r.status == 206 and r.read() == files["config.json"][2:6]
        assert r.headers["Content-Range"] == f"bytes 2-5/{len(files['config.json'])}"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=999-"}))
    assert caught.value.code == 416


def test_missing_entry_and_revision(sandbox, uploaded):
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("sandbox/m", "nope.txt", endpoint=sandbox.url, token=sandbox.token)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("sandbox/m", "config.json", revision="nope", endpoint=sandbox.url)
    with pytest.raises(EntryNotFoundError):
        list(api(sandbox).list_repo_tree("sandbox/m", path_in_repo="nope"))


def test_reset_download_resumes_with_range(legacy_lfs, sandbox, uploaded, tmp_path):
    files, _ = uploaded
    # Cut the LFS body at 11 MiB: the client keeps its first 10 MiB chunk and asks Range.
    sandbox.add_faults(
        [{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "reset",
          "after_bytes": 11 * 1024 * 1024, "times": 1}]
    )
    sandbox.reset_stats()
    path = hf_hub_download(
        "sandbox/m", "model.safetensors", endpoint=sandbox.url, cache_dir=tmp_path / "c"
    )
    assert Path(path).read_bytes() == files["model.safetensors"]
    route = sandbox.stats()["routes"]["GET lfs-download"]
    assert route["requests"] == 2
    # First response cut at 11 MiB, second one sends only from 10 MiB on.
    assert route["bytes_out"] == 11 * 1024 * 1024 + BIG - 10 * 1024 * 1024


def test_refs_tags_branches_commits(sandbox, uploaded):
    _, commit = uploaded
    hub = api(sandbox)
    hub.create_tag("sandbox/m", tag="v1", tag_message="first release")
    hub.create_tag("sandbox/m", tag="v0")
    hub.create_branch("sandbox/m", branch="dev")
    hub.create_branch("sandbox/m", branch="dev", exist_ok=True)
    hub.create_branch("sandbox/m", branch="feature/x", revision="v1")
    with pytest.raises(HfHubHTTPError):
        hub.create_tag("sandbox/m", tag="v1")
    refs = hub.list_repo_refs("sandbox/m")
    assert {b.name: b.target_commit for b in refs.branches} == {
        "main": commit, "dev": commit, "feature/x": commit}
    assert {t.name: t.target_commit for t in refs.tags} == {"v1": commit, "v0": commit}
    assert refs.converts == []
    hub.upload_file(path_or_fileobj=b"dev", path_in_repo="dev.txt", repo_id="sandbox/m",
                    revision="feature/x", commit_message="on a branch")
    assert "dev.txt" in hub.list_repo_files("sandbox/m", revision="feature/x")
    commits = hub.list_repo_commits("sandbox/m", revision="feature/x")
    assert [c.title for c in commits] == [
        "on a branch", "Upload folder using huggingface_hub", "initial commit"]
    assert commits[1].commit_id == commit
    assert hub.model_info("sandbox/m", revision="v1").sha == commit
    assert hub.model_info("sandbox/m", revision=commit[:7]).sha == commit
    hub.delete_branch("sandbox/m", branch="dev")
    hub.delete_tag("sandbox/m", tag="v0")
    refs = hub.list_repo_refs("sandbox/m")
    assert sorted(b.name for b in refs.branches) == ["feature/x", "main"]
    assert [t.name for t in refs.tags] == ["v1"]
    with pytest.raises(RevisionNotFoundError):
        hub.delete_tag("sandbox/m", tag="v0")


def test_tree_pagination(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/many")
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(120):
        (folder / f"f{i:03d}.txt").write_text(str(i))
    hub.upload_folder(folder_path=folder, repo_id="sandbox/many")
    sandbox.reset_stats()
    entries = list(hub.list_repo_tree("sandbox/many", expand=True))
    assert len(entries) == 121  # 120 + .gitattributes, over three pages of 50
    assert sandbox.stats()["routes"]["GET tree"]["requests"] == 3
    assert all(e.last_commit is not None for e in entries)


def test_restart_keeps_data(sandbox, uploaded, tmp_path):
    from hfsync.sandbox.server import SandboxServer

    files, commit = uploaded
    sandbox.server.stop()
    again = SandboxServer(sandbox.data_dir).start()
    try:
        assert again.token == sandbox.token
        path = hf_hub_download("sandbox/m", "model.safetensors", endpoint=again.url,
                               cache_dir=tmp_path / "c2")
        assert Path(path).read_bytes() == files["model.safetensors"]
        assert api(sandbox.__class__(again.url, again.token)).model_info("sandbox/m").sha == commit
    finally:
        again.stop()
        sandbox.server = again  # the fixture's stop() is then a harmless second stop
    assert os.path.isdir(sandbox.data_dir)


def test_safetensors_metadata_and_filesystem_ranges(sandbox, tmp_path):
    import json
    import struct

    from huggingface_hub import HfFileSystem

    header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                         "__metadata__": {"format": "pt"}}).encode()
    blob = struct.pack("<Q", len(header)) + header + bytes(16)
    hub = api(sandbox)
    hub.create_repo("sandbox/st")
    hub.upload_file(path_or_fileobj=blob, path_in_repo="model.safetensors", repo_id="sandbox/st")
    meta = hub.get_safetensors_metadata("sandbox/st")
    assert meta.files_metadata["model.safetensors"].tensors["w"].shape == [2, 2]
    fs = HfFileSystem(endpoint=sandbox.url, token=sandbox.token)
    with fs.open("sandbox/st/model.safetensors", "rb") as f:
        f.seek(8)
        assert f.read(len(header)) == header
