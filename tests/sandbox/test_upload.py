"""The write path through the unmodified client: create, upload, commit, delete."""

from __future__ import annotations

import os

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError

from hfsync.sandbox.server import SandboxServer
from tests.sandbox.hubapi import BIG, api, git_oid, make_folder, sha256

pytestmark = pytest.mark.both_paths


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_create_repo_each_type(sandbox, repo_type):
    hub = api(sandbox)
    kwargs = {"space_sdk": "gradio"} if repo_type == "space" else {}
    url = hub.create_repo("sandbox/r1", repo_type=repo_type, **kwargs)
    assert url.repo_id == "sandbox/r1" and url.repo_type == repo_type
    # exist_ok: the 409 carries the url the client needs.
    assert hub.create_repo("sandbox/r1", repo_type=repo_type, exist_ok=True, **kwargs) == url
    with pytest.raises(HfHubHTTPError) as caught:
        hub.create_repo("sandbox/r1", repo_type=repo_type, **kwargs)
    assert caught.value.response.status_code == 409
    info = hub.repo_info("sandbox/r1", repo_type=repo_type)
    assert len(info.sha) == 40 and ".gitattributes" in [s.rfilename for s in info.siblings]
    if repo_type == "space":
        assert info.sdk == "gradio"


def test_upload_folder_regular_and_lfs(legacy_lfs, sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    files = make_folder(tmp_path / "src")
    sandbox.reset_stats()
    commit = hub.upload_folder(folder_path=tmp_path / "src", repo_id="sandbox/m")
    routes = sandbox.stats()["routes"]
    assert routes["PUT lfs-upload"] == {"requests": 1, "bytes_in": BIG, "bytes_out": 0}
    assert routes["POST commit"]["requests"] == 1

    info = hub.model_info("sandbox/m", files_metadata=True)
    assert info.sha == commit.oid
    sib = {s.rfilename: s for s in info.siblings}
    big = files["model.safetensors"]
    assert sib["model.safetensors"].size == BIG
    assert sib["model.safetensors"].lfs.sha256 == sha256(big)
    assert sib["model.safetensors"].lfs.pointer_size == 125 + len(str(BIG))
    assert sib["config.json"].blob_id == git_oid(files["config.json"])
    assert sib["config.json"].lfs is None
    assert info.card_data["license"] == "mit"
    assert info.library_name == "transformers"
    assert "demo" in info.tags and "license:mit" in info.tags

    tree = {f.path: f for f in hub.list_repo_tree("sandbox/m", recursive=True)}
    assert tree["model.safetensors"].lfs.sha256 == sha256(big)
    assert tree["model.safetensors"].size == BIG
    assert tree["notes/readme.txt"].blob_id == git_oid(b"hello\n")
    assert "notes" in tree  # folders are listed too
    paths = hub.get_paths_info("sandbox/m", ["config.json", "notes", "missing.txt"])
    assert [p.path for p in paths] == ["config.json", "notes"]
    assert paths[0].blob_id == git_oid(files["config.json"])

    # The same upload again: unchanged files are dropped client-side, no commit made.
    sandbox.reset_stats()
    again = hub.upload_folder(folder_path=tmp_path / "src", repo_id="sandbox/m")
    assert again.oid == commit.oid
    routes = sandbox.stats()["routes"]
    assert "POST commit" not in routes and "PUT lfs-upload" not in routes


def test_small_binary_goes_lfs_and_gitattributes_grows(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    hub.upload_file(path_or_fileobj=b"\x00\x01binary", path_in_repo="blob.dat", repo_id="sandbox/m")
    entry = hub.get_paths_info("sandbox/m", ["blob.dat"])[0]
    assert entry.lfs is not None and entry.lfs.size == 8
    attrs = (tmp_path / "attrs")
    from huggingface_hub import hf_hub_download

    path = hf_hub_download("sandbox/m", ".gitattributes", endpoint=sandbox.url, local_dir=attrs)
    assert "blob.dat filter=lfs diff=lfs merge=lfs -text" in open(path).read()


def test_stale_parent_commit_is_412(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    first = hub.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id="sandbox/m")
    hub.upload_file(path_or_fileobj=b"2", path_in_repo="a.txt", repo_id="sandbox/m")
    with pytest.raises(HfHubHTTPError) as caught:
        hub.create_commit(
            "sandbox/m",
            [CommitOperationAdd("b.txt", b"3")],
            commit_message="late",
            parent_commit=first.oid,
        )
    assert caught.value.response.status_code == 412
    assert "The branch was updated" in str(caught.value)


def test_delete_file_and_folder(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    hub.create_commit(
        "sandbox/m",
        [CommitOperationAdd(p, p.encode()) for p in ("a.txt", "d/x.txt", "d/e/y.txt")],
        commit_message="add",
    )
    hub.delete_file("a.txt", "sandbox/m")
    hub.delete_folder("d/e", "sandbox/m")
    assert hub.list_repo_files("sandbox/m") == [".gitattributes", "d/x.txt"]
    # A folder named without its trailing slash (sent as a file delete) goes as a folder.
    hub.create_commit("sandbox/m", [CommitOperationDelete("d")], commit_message="implicit")
    assert hub.list_repo_files("sandbox/m") == [".gitattributes"]
    with pytest.raises(EntryNotFoundError, match=r"Cannot delete nope\.txt: A file with this name doesn.t exist"):
        hub.create_commit("sandbox/m", [CommitOperationDelete("nope.txt")], commit_message="x")
    with pytest.raises(EntryNotFoundError, match="Cannot delete d: A folder with this name doesn't exist"):
        hub.delete_folder("d", "sandbox/m")


def test_create_pr(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    result = hub.create_commit(
        "sandbox/m", [CommitOperationAdd("pr.txt", b"x")], commit_message="pr", create_pr=True
    )
    assert result.pr_num == 1 and result.pr_revision == "refs/pr/1"
    assert "pr.txt" not in hub.list_repo_files("sandbox/m")
    assert "pr.txt" in hub.list_repo_files("sandbox/m", revision="refs/pr/1")
    refs = hub.list_repo_refs("sandbox/m", include_pull_requests=True)
    assert [r.ref for r in refs.pull_requests] == ["refs/pr/1"]


def test_multipart_upload(legacy_lfs, tmp_path):
    server = SandboxServer(tmp_path / "hub", multipart_threshold=1 << 20, multipart_chunk=1 << 20)
    server.start()
    try:
        from tests.sandbox.hubapi import api as make_api

        class H:
            url, token = server.url, server.token

        hub = make_api(H)
        hub.create_repo("sandbox/m")
        data = os.urandom(3 * (1 << 20) + 123)
        hub.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id="sandbox/m")
        entry = hub.get_paths_info("sandbox/m", ["w.bin"])[0]
        assert entry.lfs.sha256 == sha256(data) and entry.size == len(data)
        routes = server.hub.stats.snapshot()["routes"]
        assert routes["PUT lfs-upload-part"]["requests"] == 4
        assert routes["PUT lfs-upload-part"]["bytes_in"] == len(data)
    finally:
        server.stop()


def test_copy_operations(sandbox):
    from huggingface_hub import CommitOperationCopy

    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    big = os.urandom(2000)
    hub.create_commit("sandbox/m", [CommitOperationAdd("a.txt", b"text\n"),
                                    CommitOperationAdd("w.bin", big)], commit_message="add")
    hub.create_commit("sandbox/m", [CommitOperationCopy("a.txt", "copy/a.txt"),
                                    CommitOperationCopy("w.bin", "copy/w.bin")],
                      commit_message="copy")
    info = {p.path: p for p in hub.get_paths_info("sandbox/m", ["copy/a.txt", "copy/w.bin"])}
    assert info["copy/a.txt"].blob_id == git_oid(b"text\n")
    assert info["copy/w.bin"].lfs.sha256 == sha256(big) and info["copy/w.bin"].size == 2000


def test_empty_commit_is_accepted_as_on_the_hub(sandbox):
    import httpx2

    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    head = hub.model_info("sandbox/m").sha
    # The client never sends one (it skips no-op commits); the Hub accepts it and
    # records a commit with an unchanged tree.
    response = httpx2.post(
        f"{sandbox.url}/api/models/sandbox/m/commit/main",
        content=b'{"key": "header", "value": {"summary": "empty", "description": ""}}\n',
        headers={"Authorization": f"Bearer {sandbox.token}",
                 "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    new = response.json()["commitOid"]
    assert new != head and hub.model_info("sandbox/m").sha == new
    assert hub.list_repo_commits("sandbox/m")[0].title == "empty"


def test_moved_repo_old_file_urls_redirect(sandbox):
    from huggingface_hub import hf_hub_download

    hub = api(sandbox)
    hub.create_repo("sandbox/old")
    hub.upload_file(path_or_fileobj=b"kept", path_in_repo="k.txt", repo_id="sandbox/old")
    hub.move_repo("sandbox/old", "sandbox/new")
    path = hf_hub_download("sandbox/old", "k.txt", endpoint=sandbox.url)
    assert open(path).read() == "kept"


def test_big_regular_file_in_a_commit_is_refused(sandbox):
    import base64
    import json

    import httpx2

    api(sandbox).create_repo("sandbox/m")
    big = base64.b64encode(b"a" * 10_000_000).decode()
    lines = [{"key": "header", "value": {"summary": "big", "description": ""}},
             {"key": "file", "value": {"path": "big.txt", "content": big, "encoding": "base64"}}]
    response = httpx2.post(
        f"{sandbox.url}/api/models/sandbox/m/commit/main",
        content="".join(json.dumps(line) + "\n" for line in lines).encode(),
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    assert response.status_code == 400 and "larger than 10 MB" in response.json()["error"]
