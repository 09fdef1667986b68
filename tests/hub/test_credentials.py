"""Per-target credentials: each request about a repo carries that repo's token, and only it.

Two private repos, one of alice's and one of bob's: the sandbox shows a private repo only
to its owner's token, so a read or download that succeeds on both proves each request
carried its own target's token (a token sent to the wrong repo gets "not found").
"""

from __future__ import annotations

import hashlib

import pytest
from huggingface_hub import HfApi

from hfsync.errors import HubError
from hfsync.hub.client import Credentials, Hub
from hfsync.hub.commit import Upload
from hfsync.hub.content import read_head
from hfsync.hub.discover import head_commit, repo_info
from hfsync.hub.download import Downloader
from hfsync.hub.history import commits_between
from hfsync.hub.publish import Publisher
from hfsync.hub.repofiles import list_files, resolve_pin
from hfsync.hub.xetpull import XetPull
from tests.pull.conftest import safetensors_bytes

ALICE, BOB = "alice/private-weights", "bob/private-weights"
WEIGHTS = safetensors_bytes({"w": ("F32", [70_000])})  # LFS by name (Xet when hf_xet is on)


class PerTarget(Credentials):
    """A personal token, and a scoped one for some repos (as a Trusted Publishers exchange gives)."""

    def __init__(self, personal: str, scoped: dict[tuple[str, str], str]) -> None:
        super().__init__(personal)
        self.scoped = scoped
        self.asked: set[tuple[str, str]] = set()

    def token_for(self, repo_type: str, repo_id: str) -> str | None:
        self.asked.add((repo_type, repo_id))
        return self.scoped.get((repo_type, repo_id), self.token)


@pytest.fixture
def private(sandbox, tmp_path):
    """alice's and bob's private repos, each readable by its owner's token only; the files by repo."""
    contents = {}
    for repo_id in (ALICE, BOB):
        api = HfApi(endpoint=sandbox.url, token=sandbox.token_for(repo_id.split("/")[0]))
        api.create_repo(repo_id, private=True)
        files = {"config.json": f'{{"owner": "{repo_id}"}}\n'.encode(), "model.safetensors": WEIGHTS}
        for path, data in files.items():
            api.upload_file(path_or_fileobj=data, path_in_repo=path, repo_id=repo_id)
        contents[repo_id] = files
    return contents


@pytest.fixture
def hub(sandbox, private):
    """bob's personal token, and alice's token for her repo only."""
    return Hub(sandbox.url, credentials=PerTarget(sandbox.token_for("bob"),
                                                  {("model", ALICE): sandbox.token_for("alice")}))


def test_without_the_scoped_token_the_other_owners_repo_is_not_found(sandbox, private):
    personal = Hub(sandbox.url, sandbox.token_for("bob"))
    with pytest.raises(HubError, match="repository not found"):
        resolve_pin(personal, ALICE, "model", "main")


def test_reads_and_downloads_carry_each_targets_token(xet_on, hub, private, tmp_path):
    downloader = Downloader(hub)
    xet = XetPull(hub, downloader.get)
    for repo_id, files in private.items():
        commit, _ = resolve_pin(hub, repo_id, "model", "main")
        listed = [f for f in list_files(hub, repo_id, "model", commit) if f.path != ".gitattributes"]
        assert sorted(f.path for f in listed) == sorted(files)
        for file in listed:
            target = tmp_path / repo_id / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            url = downloader.url(repo_id, "model", commit, file.path)
            source = xet.source(repo_id, "model", commit, file.xet_hash, None)
            downloader.fetch(url, file, target, partial=tmp_path / "partial", label=file.path, source=source,
                             repo=("model", repo_id)).install()
            assert target.read_bytes() == files[file.path]
        assert any(f.xet_hash for f in listed)  # the Xet path (its token request) was taken too
        assert read_head(hub, repo_id, "model", commit, "config.json", 100) == files["config.json"]
        assert repo_info(hub, "model", repo_id)["sha"] == commit
        assert head_commit(hub, "model", repo_id, "main")["id"] == commit
        assert commits_between(hub, repo_id, "model", None, commit)[0][0].id == commit
    assert hub.credentials.asked == {("model", ALICE), ("model", BOB)}
    downloader.close()


def test_publishing_carries_each_targets_token(sandbox, hub, private):
    publisher = Publisher(hub)
    assert publisher.identity()[0] == "bob"  # a request about no repo carries the personal token
    for repo_id in private:
        remote = publisher.read(repo_id, "model", "main", tags=True)
        assert set(remote.files) == {".gitattributes", "config.json", "model.safetensors"}
        data = f"published to {repo_id}\n".encode()
        upload = Upload("notes.txt", hashlib.sha256(data).hexdigest(), content=data)
        publisher.commits.commit(repo_id, "model", "main", [upload], [], message="notes", description="", parent=remote.head)
        publisher.create_tag(repo_id, "model", "v1", "main")
        owner = HfApi(endpoint=sandbox.url, token=sandbox.token_for(repo_id.split("/")[0]))
        assert "notes.txt" in owner.list_repo_files(repo_id)
        assert [t.name for t in owner.list_repo_refs(repo_id).tags] == ["v1"]
