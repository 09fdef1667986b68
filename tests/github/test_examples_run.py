"""examples/github/drift.yml, plan-on-pr.yml and upgrade.yml end to end: their steps and the
action's, run by bash with a fake GitHub runtime (tests/github/runner.py) against the sandbox Hub
and a fake GitHub API. apply-on-merge.yml has its own (test_apply_on_merge_oidc.py)."""

from __future__ import annotations

import json

import git
import pytest
from huggingface_hub import HfApi

from tests.github.conftest import REPO
from tests.github.runner import ROOT, run_job, runtime
from tests.helpers import hfsync
from tests.pull.conftest import safetensors_bytes

EXAMPLES = ROOT / "examples" / "github"
ISSUES = f"/repos/{REPO}/issues"
MANIFEST = """version: 1
repos:
  - id: sandbox/m
    private: false
    source: {path: m}
    card: {generate: false}
pulls:
  - id: sandbox/base
    dest: vendor/base
"""


@pytest.fixture
def checkout(tmp_path, sandbox, monkeypatch):
    """The manifest repository on main: one published target and one locked pull, both current;
    its remote a local bare repository."""
    hub = HfApi(endpoint=sandbox.url, token=sandbox.token)
    hub.create_repo("sandbox/base")
    hub.upload_file(path_or_fileobj=safetensors_bytes({"w": ("F32", [2])}), path_in_repo="model.safetensors",
                    repo_id="sandbox/base")
    work = tmp_path / "checkout"
    (work / "m").mkdir(parents=True)
    (work / "m" / "config.json").write_text('{"labels": 2}\n')
    (work / "hfsync.yaml").write_text(MANIFEST)
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    for command in ("apply", "lock"):
        extra = ("--auto-approve",) if command == "apply" else ()
        assert hfsync("--endpoint", sandbox.url, command, "-f", str(work / "hfsync.yaml"), *extra).exit_code == 0
    monkeypatch.delenv("HF_TOKEN")
    repo = git.Repo.init(work, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Dev").set_value("user", "email", "dev@example.com")
    repo.index.add(["hfsync.yaml", "hfsync.lock", "m/config.json"])
    repo.index.commit("Manifests")
    remote = git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo.create_remote("origin", str(remote.git_dir)).push("main")
    repo.remotes.origin.fetch()
    return work


def _job(name, checkout, tmp_path, sandbox, github, **options):  # type: ignore[no-untyped-def]
    temp, env = runtime(tmp_path, sandbox.url)
    env.update({k: str(v) for k, v in (("GITHUB_API_URL", github.server.url_for("/").rstrip("/")),
                                        ("GITHUB_EVENT_PATH", github.summary.parent / "event.json"))})
    return run_job(EXAMPLES / name, checkout, temp, repository=REPO, secrets={"HF_TOKEN": sandbox.token},
                   extra_env=env, **options)


def _night(github, open_issues: list[dict]) -> None:
    github.server.clear_all_handlers()
    github.server.clear_log()
    github.server.expect_request(ISSUES, method="GET").respond_with_json(open_issues)
    github.server.expect_request(ISSUES, method="POST").respond_with_json(
        {"number": 11, "html_url": "https://github.example/i/11"}, status=201)
    github.server.expect_request(f"{ISSUES}/11", method="PATCH").respond_with_json(
        {"number": 11, "html_url": "https://github.example/i/11"})
    github.server.expect_request(f"{ISSUES}/11/comments", method="POST").respond_with_json({}, status=201)


def test_drift_opens_the_issue_for_a_hand_edit_or_a_moved_pull_and_closes_it_once_current(
        checkout, tmp_path, sandbox, github):
    hub = HfApi(endpoint=sandbox.url, token=sandbox.token)
    _night(github, [])
    job = _job("drift.yml", checkout, tmp_path, sandbox, github)
    assert [(s.name, s.returncode) for s in job.steps] == [("hfsync/hfsync@v0", 0), ("Close the drift issue", 0)], \
        job.output
    assert (job.steps[0].outputs["has-changes"], job.steps[0].outputs["has-drift"]) == ("false", "false")
    assert job.steps[0].outputs["hfsync"].endswith("/hfsync")
    assert not github.requests("POST") and len(github.requests("GET")) == 1

    # Someone makes the model private by hand: the Hub differs from the manifest.
    hub.update_repo_settings("sandbox/m", private=True)
    _night(github, [])
    job = _job("drift.yml", checkout, tmp_path, sandbox, github)
    assert [(s.name, s.returncode) for s in job.steps][1:] == [("Open or update the drift issue", 0)], job.output
    assert (job.steps[0].outputs["has-changes"], job.steps[0].outputs["has-drift"]) == ("true", "false")
    (opened,) = github.sent_json("POST")
    assert "private" in opened["body"] and opened["labels"] == ["hfsync-drift"]

    # Set back; now only the pinned upstream moves: drift too, reported apart.
    hub.update_repo_settings("sandbox/m", private=False)
    hub.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id="sandbox/base")
    _night(github, [{"number": 11}])
    job = _job("drift.yml", checkout, tmp_path, sandbox, github)
    assert (job.steps[0].outputs["has-changes"], job.steps[0].outputs["has-drift"]) == ("false", "true"), job.output
    assert "::warning title=hfsync drift::Pulls moved upstream past the lock" in job.output
    (updated,) = github.sent_json("PATCH")
    assert "pull-drift" in updated["body"] and "sandbox/base" in updated["body"]
    assert sandbox.token not in job.output.replace(f"::add-mask::{sandbox.token}", "") + job.summary


def test_plan_on_pr_comments_the_plan_of_what_changed_and_keeps_it(checkout, tmp_path, sandbox, github):
    (checkout / "m" / "config.json").write_text('{"labels": 3}\n')  # the pull request's change
    comments = f"{ISSUES}/7/comments"
    github.server.expect_request(comments, method="GET").respond_with_json([])
    github.server.expect_request(comments, method="POST").respond_with_json(
        {"id": 1, "html_url": "https://github.example/c/1"}, status=201)

    job = _job("plan-on-pr.yml", checkout, tmp_path, sandbox, github, event="pull_request", base_ref="main")

    assert [(s.name, s.returncode) for s in job.steps] == [("hfsync/hfsync@v0", 0), ("Keep the plan", 0)], job.output
    assert job.steps[0].outputs["has-changes"] == "true"
    (comment,) = github.sent_json("POST")
    assert "sandbox/m" in comment["body"] and "labels" in comment["body"]
    assert json.loads(open(job.steps[0].outputs["plan-file"]).read())["targets"]


def test_upgrade_opens_one_pull_request_moving_the_pin(checkout, tmp_path, sandbox, github):
    hub = HfApi(endpoint=sandbox.url, token=sandbox.token)
    hub.upload_file(path_or_fileobj=safetensors_bytes({"w": ("BF16", [2])}), path_in_repo="model.safetensors",
                    repo_id="sandbox/base", commit_message="Cast to bf16")
    pulls = f"/repos/{REPO}/pulls"
    github.server.expect_request(pulls, method="GET").respond_with_json([])
    github.server.expect_request(pulls, method="POST").respond_with_json(
        {"number": 5, "html_url": "https://github.example/pull/5"}, status=201)

    job = _job("upgrade.yml", checkout, tmp_path, sandbox, github)

    assert [(s.name, s.returncode) for s in job.steps] == [("hfsync/hfsync@v0", 0)], job.output
    assert job.steps[0].outputs["has-changes"] == "true"
    (opened,) = github.sent_json("POST")
    assert opened["head"] == "hfsync/upgrade/hfsync.yaml" and "Cast to bf16" in opened["body"]
    remote = git.Repo(tmp_path / "remote.git")
    assert "hfsync.lock" in remote.commit("hfsync/upgrade/hfsync.yaml").stats.files
