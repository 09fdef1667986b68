"""Corners of the protocol: ignores, empty files, PR revisions, disabled repos, transfers."""

from __future__ import annotations

import concurrent.futures
import os

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, hf_hub_download
from huggingface_hub.errors import DisabledRepoError

from tests.sandbox.hubapi import api, sha256


def test_gitignore_and_empty_files(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / ".gitignore").write_text("*.log\n")
    (folder / "run.log").write_text("noise")
    (folder / "empty.txt").write_bytes(b"")
    hub.upload_folder(folder_path=folder, repo_id="sandbox/m")
    files = hub.list_repo_files("sandbox/m")
    assert "run.log" not in files and "empty.txt" in files
    entry = hub.get_paths_info("sandbox/m", ["empty.txt"])[0]
    assert entry.blob_id == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" and entry.size == 0
    path = hf_hub_download("sandbox/m", "empty.txt", endpoint=sandbox.url)
    assert os.path.getsize(path) == 0


def test_pr_revision_download(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    pr = hub.create_commit("sandbox/m", [CommitOperationAdd("p.txt", b"pr")],
                           commit_message="pr", create_pr=True)
    path = hf_hub_download("sandbox/m", "p.txt", revision=pr.pr_revision, endpoint=sandbox.url)
    assert open(path).read() == "pr"


def test_private_lfs_download_by_owner(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/p", private=True)
    data = os.urandom(5000)
    hub.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id="sandbox/p")
    path = hf_hub_download("sandbox/p", "w.bin", endpoint=sandbox.url, token=sandbox.token,
                           cache_dir=tmp_path)
    assert open(path, "rb").read() == data


def test_disabled_repo(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/off")
    sandbox.seed("model", "sandbox/off", disabled=True)
    with pytest.raises(DisabledRepoError):
        hub.model_info("sandbox/off")


def test_lfs_transfer_urls_are_signed_and_checked(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    data = b"\0" * 100
    oid = sha256(data)
    response = httpx2.post(
        f"{sandbox.url}/sandbox/m.git/info/lfs/objects/batch",
        json={"operation": "upload", "transfers": ["basic"], "hash_algo": "sha256",
              "objects": [{"oid": oid, "size": 100}]},
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    href = response.json()["objects"][0]["actions"]["upload"]["href"]
    assert httpx2.put(href.split("&sig=")[0], content=data).status_code == 403
    assert httpx2.put(href, content=b"\1" * 100).status_code == 400  # wrong sha256
    # A chunked body is accepted too.
    assert httpx2.put(href, content=iter([data[:40], data[40:]])).status_code == 200
    again = httpx2.post(
        f"{sandbox.url}/sandbox/m.git/info/lfs/objects/batch",
        json={"operation": "upload", "objects": [{"oid": oid, "size": 100}]},
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    assert again.json()["objects"] == [{"oid": oid, "size": 100, "authenticated": True}]
    anonymous = httpx2.post(
        f"{sandbox.url}/sandbox/m.git/info/lfs/objects/batch",
        json={"operation": "upload", "objects": [{"oid": oid, "size": 100}]},
    )
    assert anonymous.status_code == 401


def test_concurrent_commits_to_one_repo(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/busy")

    def commit(i: int) -> str:
        return hub.upload_file(path_or_fileobj=f"{i}".encode(), path_in_repo=f"f{i}.txt",
                               repo_id="sandbox/busy").oid

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        oids = list(pool.map(commit, range(8)))
    assert len(set(oids)) == 8
    assert len(hub.list_repo_commits("sandbox/busy")) == 9
    assert len(hub.list_repo_files("sandbox/busy")) == 9


def test_unicode_and_special_paths_round_trip(sandbox, tmp_path):
    from huggingface_hub.errors import EntryNotFoundError

    hub = api(sandbox)
    hub.create_repo("sandbox/m")
    names = ["dir/ü file#1.txt", "sp ace/a%20b.bin", "日本/データ.json"]
    hub.create_commit("sandbox/m", [CommitOperationAdd(n, n.encode() * 3) for n in names],
                      commit_message="unicode")
    listed = {f.path for f in hub.list_repo_tree("sandbox/m", recursive=True)}
    assert set(names) <= listed
    assert [f.path for f in hub.list_repo_tree("sandbox/m", path_in_repo="sp ace")] == [
        "sp ace/a%20b.bin"]
    for name in names:
        path = hf_hub_download("sandbox/m", name, endpoint=sandbox.url, cache_dir=tmp_path)
        assert open(path, "rb").read() == name.encode() * 3
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("sandbox/m", "日本/なし.txt", endpoint=sandbox.url, cache_dir=tmp_path)
    assert hub.model_info("sandbox/m", securityStatus=True).security_repo_status["scansDone"]


def test_space_runtime_hardware_variables_secrets(sandbox):
    from huggingface_hub.errors import HfHubHTTPError

    hub = api(sandbox)
    hub.create_repo("sandbox/app", repo_type="space", space_sdk="gradio",
                    space_variables=[{"key": "MODE", "value": "demo"}],
                    space_secrets=[{"key": "API_KEY", "value": "s3cret"}])
    assert {k: v.value for k, v in hub.get_space_variables("sandbox/app").items()} == {
        "MODE": "demo"}
    hub.add_space_variable("sandbox/app", "LEVEL", "3", description="verbosity")
    variables = hub.get_space_variables("sandbox/app")
    assert variables["LEVEL"].value == "3" and variables["LEVEL"].description == "verbosity"
    hub.delete_space_variable("sandbox/app", "MODE")
    assert list(hub.get_space_variables("sandbox/app")) == ["LEVEL"]
    hub.add_space_secret("sandbox/app", "TOKEN", "hidden")
    secrets = hub.get_space_secrets("sandbox/app")
    assert sorted(secrets) == ["API_KEY", "TOKEN"]
    assert "hidden" not in str(vars(secrets["TOKEN"]))  # write-only
    runtime = hub.request_space_hardware("sandbox/app", "t4-small")
    assert runtime.requested_hardware == "t4-small" and runtime.stage == "RUNNING"
    assert hub.get_space_runtime("sandbox/app").hardware == "t4-small"
    assert hub.space_info("sandbox/app").runtime.hardware == "t4-small"
    assert hub.pause_space("sandbox/app").stage == "PAUSED"
    assert hub.restart_space("sandbox/app").stage == "RUNNING"
    with pytest.raises(HfHubHTTPError):
        api(sandbox, sandbox.token_for("bob")).add_space_variable("sandbox/app", "X", "1")


def test_leftovers_of_a_killed_server_are_swept(tmp_path):
    import time

    from hfsync.sandbox.state import sweep_leftovers

    data = tmp_path / "hub"
    old = time.time() - 3600
    partial = data / "lfs" / "tmp" / "up-123"
    parts = data / "lfs" / "tmp" / f"parts-{'0' * 64}" / "00001"
    half_repo = data / "repos" / "models" / "sandbox" / ".tmp-ab-x.git" / "HEAD"
    obj = data / "repos" / "models" / "sandbox" / "m.git" / "objects" / "ab" / ".tmp-1"
    fresh = data / "lfs" / "tmp" / "up-fresh"
    for path in (partial, parts, half_repo, obj, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    for path in (partial, parts.parent, half_repo.parent, obj):
        os.utime(path, (old, old))
    sweep_leftovers(data)
    assert not partial.exists() and not parts.exists() and not half_repo.exists()
    assert not obj.exists() and fresh.exists()
    assert (data / "repos" / "models" / "sandbox" / "m.git" / "objects" / "ab").is_dir()
