"""`hfsync github pr` end to end: the sandbox Hub moves, the lock change is pushed to a local
bare remote, and the fake GitHub API sees the pull request created, updated and closed."""

from __future__ import annotations

import hashlib
import os

import git
import pytest
import yaml

from tests.github.conftest import GITHUB_TOKEN, REPO
from tests.helpers import hfsync
from tests.pull.conftest import safetensors_bytes

PULLS = f"/repos/{REPO}/pulls"
BRANCH = "hfsync/upgrade/models/hfsync.yaml"


def _pr(number: int, **extra) -> dict:
    return {"number": number, "html_url": f"https://github.example/{REPO}/pull/{number}", **extra}


@pytest.fixture
def world(sandbox, tmp_path, github, monkeypatch):
    """A checkout of the manifests' repo (manifest in models/, locked) with a bare remote, and its Hub repo."""
    from huggingface_hub import HfApi

    hub = HfApi(endpoint=sandbox.url, token=sandbox.token)
    hub.create_repo("acme/m1")

    def commit(files: dict[str, bytes], message: str) -> str:
        folder = tmp_path / f"up-{len(os.listdir(tmp_path))}"
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        return hub.upload_folder(folder_path=folder, repo_id="acme/m1", commit_message=message).oid

    first = commit({"model.safetensors": safetensors_bytes({"w": ("F32", [2, 2])})}, "First")
    remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    checkout = git.Repo.init(tmp_path / "checkout", initial_branch="main")
    with checkout.config_writer() as config:
        config.set_value("user", "name", "Dev").set_value("user", "email", "dev@example.com")
    manifest = tmp_path / "checkout" / "models" / "hfsync.yaml"
    manifest.parent.mkdir()
    manifest.write_text(yaml.safe_dump({"version": 1, "pulls": [{"id": "acme/m1", "dest": "vendor"}]}))
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    assert hfsync("--endpoint", sandbox.url, "lock", "-f", str(manifest)).exit_code == 0
    checkout.index.add(["models/hfsync.yaml", "models/hfsync.lock"])
    checkout.index.commit("Manifests")
    checkout.create_remote("origin", str(remote.git_dir)).push("main")

    class World:
        pass

    w = World()
    w.sandbox, w.github, w.remote, w.checkout, w.manifest, w.first, w.commit = (
        sandbox, github, remote, checkout, manifest, first, commit)
    w.run = lambda *args: hfsync("--endpoint", sandbox.url, "github", "pr", "-f", str(manifest), "--base", "main",
                                 *args)
    return w


def test_opens_a_pull_request_with_the_lock_change_then_updates_then_closes_it(world):
    github = world.github
    second = world.commit({"model.safetensors": safetensors_bytes({"w": ("BF16", [2, 2])})}, "Cast to bf16")
    github.server.expect_ordered_request(PULLS, method="GET").respond_with_json([])
    github.server.expect_ordered_request(PULLS, method="POST").respond_with_json(_pr(5), status=201)

    result = world.run()
    assert result.exit_code == 0, result.output
    assert f"Created the upgrade pull request of hfsync.yaml: https://github.example/{REPO}/pull/5" in result.stdout
    assert github.requests("GET")[0].args.to_dict() == {"head": "acme:" + BRANCH, "state": "open", "per_page": "100"}
    (sent,) = github.sent_json("POST")
    assert sent["head"] == BRANCH and sent["base"] == "main"
    assert sent["title"] == "hfsync: upgrade acme/m1 (hfsync.yaml)"
    assert "| `acme/m1` | main |" in sent["body"] and "Cast to bf16" in sent["body"]
    assert '!         tensor.w   = "F32 [2, 2]" -> "BF16 [2, 2]"' in sent["body"]
    # The branch on the remote: one commit on top of main, holding the moved lock.
    pushed = world.remote.commit(BRANCH)
    assert pushed.parents[0].hexsha == world.remote.commit("main").hexsha
    lock = yaml.safe_load(pushed.tree["models/hfsync.lock"].data_stream.read())
    assert lock["pulls"][0]["commit"] == second
    assert pushed.message.startswith("hfsync: upgrade acme/m1 (hfsync.yaml)")
    assert world.checkout.head.commit.hexsha == world.remote.commit("main").hexsha  # the checkout did not move
    assert "Cast to bf16" in github.summary.read_text()
    assert GITHUB_TOKEN not in result.output

    # The next night: upstream moved again; the same pull request is updated, the branch rewritten.
    github.server.clear_log()
    third = world.commit({"extra.json": b"{}\n"}, "Add extra")
    world.checkout.git.checkout("--", "models/hfsync.lock")  # a fresh checkout of main in CI
    github.server.expect_ordered_request(PULLS, method="GET").respond_with_json([_pr(5, title="old", body="old")])
    github.server.expect_ordered_request(f"{PULLS}/5", method="PATCH").respond_with_json(_pr(5))
    result = world.run()
    assert result.exit_code == 0, result.output
    assert "Updated the upgrade pull request of hfsync.yaml" in result.stdout
    assert "Add extra" in github.sent_json("PATCH")[0]["body"]
    pushed = world.remote.commit(BRANCH)
    assert yaml.safe_load(pushed.tree["models/hfsync.lock"].data_stream.read())["pulls"][0]["commit"] == third
    assert pushed.parents[0].hexsha == world.remote.commit("main").hexsha

    # The pull request was merged (main holds the moved lock): nothing moves; a stale one is closed.
    world.checkout.git.add("models/hfsync.lock")
    world.checkout.index.commit("Merge upgrade")
    world.checkout.remote("origin").push("main")
    github.server.clear_log()
    github.server.expect_ordered_request(PULLS, method="GET").respond_with_json([_pr(5)])
    github.server.expect_ordered_request(f"/repos/{REPO}/issues/5/comments", method="POST").respond_with_json(
        {}, status=201)
    github.server.expect_ordered_request(f"{PULLS}/5", method="PATCH").respond_with_json(_pr(5))
    result = world.run()
    assert result.exit_code == 0, result.output
    assert "Closed the upgrade pull request of hfsync.yaml" in result.stdout
    assert github.sent_json("PATCH")[-1] == {"state": "closed"}


def test_nothing_moved_and_no_pull_request_is_quiet(world):
    world.github.server.expect_request(PULLS, method="GET").respond_with_json([])
    result = world.run()
    assert result.exit_code == 0, result.output
    assert "hfsync.yaml: every pin is current; no upgrade pull request." in result.stdout
    assert not world.github.requests("POST")
    assert BRANCH not in [h.name for h in world.remote.heads]


def test_a_403_on_the_pull_request_falls_back_to_the_job_summary(world):
    world.commit({"model.safetensors": safetensors_bytes({"w": ("F16", [2, 2])})}, "Half")
    world.github.server.expect_request(PULLS, method="GET").respond_with_json([])
    world.github.server.expect_request(PULLS, method="POST").respond_with_json(
        {"message": "GitHub Actions is not permitted to create or approve pull requests."}, status=403)
    result = world.run()
    assert result.exit_code == 0, result.output
    assert "Notice: hfsync could not open or update the upgrade pull request from " + BRANCH in result.stderr
    assert "permissions: pull-requests: write" in result.stderr
    summary = world.github.summary.read_text()
    assert "> [!NOTE]" in summary and "| `acme/m1` | main |" in summary
    assert BRANCH in [h.name for h in world.remote.heads]  # the branch is pushed: a person can open it


def test_a_push_refused_is_an_error_naming_the_permission(world, tmp_path):
    world.commit({"model.safetensors": safetensors_bytes({"w": ("F16", [2, 2])})}, "Half")
    world.checkout.remote("origin").set_url(str(tmp_path / "nowhere.git"))
    result = world.run()
    assert result.exit_code == 1
    assert f"could not push the lock change to origin {BRANCH}" in result.stderr
    assert "permissions: contents: write" in result.stderr
    assert "Traceback" not in result.output
    assert not world.github.requests()


def test_a_manifest_in_a_folder_git_refuses_as_a_ref_gets_an_encoded_branch(world):
    folder = world.manifest.parent.parent / "cfg" / "x.lock" / ".hidden"
    folder.mkdir(parents=True)
    for name in ("hfsync.yaml", "hfsync.lock"):
        (world.manifest.parent / name).rename(folder / name)
    world.checkout.git.add("-A")
    world.checkout.index.commit("Move the manifest")
    world.checkout.remote("origin").push("main")
    world.commit({"model.safetensors": safetensors_bytes({"w": ("F16", [2, 2])})}, "Half")
    world.github.server.expect_ordered_request(PULLS, method="GET").respond_with_json([])
    world.github.server.expect_ordered_request(PULLS, method="POST").respond_with_json(_pr(6), status=201)
    result = hfsync("--endpoint", world.sandbox.url, "github", "pr", "-f", str(folder / "hfsync.yaml"),
                    "--base", "main")
    assert result.exit_code == 0, result.output
    branch = "hfsync/upgrade-encoded/cfg-x-lock-hidden-hfsync-yaml-" + hashlib.sha256(
        b"cfg/x.lock/.hidden/hfsync.yaml").hexdigest()[:16]
    assert world.github.requests("GET")[0].args["head"] == "acme:" + branch
    assert world.github.sent_json("POST")[0]["head"] == branch
    assert yaml.safe_load(world.remote.commit(branch).tree["cfg/x.lock/.hidden/hfsync.lock"].data_stream.read())
