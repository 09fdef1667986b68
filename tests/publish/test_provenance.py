"""Provenance: the manifest repo's HEAD and dirty flag (GitPython), the Actions run URL."""

from __future__ import annotations

import git

from hfsync.environment import run_url
from hfsync.model.plan import Provenance
from hfsync.publish.provenance import collect, commit_description


def test_git_head_and_dirty_flag(tmp_path):
    repo = git.Repo.init(tmp_path)
    (tmp_path / "hfsync.yaml").write_text("version: 1\n")
    repo.index.add(["hfsync.yaml"])
    head = repo.index.commit("manifest", author=git.Actor("a", "a@example.com")).hexsha
    assert collect(tmp_path, {}) == Provenance(head, False, None, checkout=True)
    (tmp_path / "hfsync.yaml").write_text("version: 1\nrepos: []\n")
    assert collect(tmp_path, {}).dirty is True


def test_outside_a_git_checkout(tmp_path):
    assert collect(tmp_path, {}) == Provenance(None, False, None)


def test_run_url_needs_all_three_variables():
    env = {"GITHUB_SERVER_URL": "https://github.com/", "GITHUB_REPOSITORY": "acme/m", "GITHUB_RUN_ID": "7"}
    assert run_url(env) == "https://github.com/acme/m/actions/runs/7"
    assert run_url({k: v for k, v in env.items() if k != "GITHUB_RUN_ID"}) is None


def test_commit_description_lists_the_facts():
    text = commit_description(Provenance("a" * 40, True, "https://ci/run/1"), "b" * 40)
    assert text.splitlines()[2:] == [
        f"Manifest commit: {'a' * 40} (dirty tree)", "Run: https://ci/run/1", f"Planned against: {'b' * 40}"]


def test_a_repository_with_no_commits_yet_is_said_so(project, sandbox):
    from huggingface_hub import HfApi

    git.Repo.init(project.root)
    project.write("m/a.txt", "hi\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/fresh\n    source: {path: m}\n")
    assert collect(project.root, {}) == Provenance(None, False, None, checkout=True)
    assert project.apply().exit_code == 0
    (commit, *_) = HfApi(endpoint=sandbox.url, token=sandbox.token).list_repo_commits("sandbox/fresh")
    assert "Manifest commit: none (the manifest's git repository has no commits yet)" in commit.message
    assert "not a git checkout" not in commit.message
