"""examples/github/apply-on-merge.yml end to end: its steps and the action's, run by bash with a
fake GitHub runtime, publish several targets through the Hub's Trusted Publishers (the test
issuer mints the job's id token, the sandbox exchanges it) with no stored token."""

from __future__ import annotations

import re
import shutil

import pytest
from huggingface_hub import HfApi

from tests.github.runner import ROOT, load, run_job, runtime

WORKFLOW = ROOT / "examples" / "github" / "apply-on-merge.yml"
REPOSITORY = "acme/ml-gitops"
MANIFEST = """version: 1
defaults: {namespace: acme}
repos:
  - id: sentiment
    private: true
    source: {path: models/sentiment}
    card: {generate: false}
  - id: reviews
    type: dataset
    source: {path: data/reviews}
    card: {generate: false}
  - id: tagger
    source: {path: models/tagger}
    card: {generate: false}
"""
TARGETS = [("model", "acme/sentiment"), ("dataset", "acme/reviews"), ("model", "acme/tagger")]


@pytest.fixture
def merged(tmp_path, sandbox, issuer):
    """The manifest repository as checked out on main, its targets on the Hub (made once with a
    personal token) with this workflow as their trusted publisher, as the example's comment says."""
    work = tmp_path / "checkout"
    for rel in ("models/sentiment/config.json", "data/reviews/train.csv", "models/tagger/config.json"):
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(f"{rel}\n")
    (work / "hfsync.yaml").write_text(MANIFEST)
    owner = HfApi(endpoint=sandbox.url, token=sandbox.token)
    for repo_type, repo_id in TARGETS:
        owner.create_repo(repo_id, repo_type=repo_type, private=repo_id.endswith("sentiment"))
    claims = {"repository": REPOSITORY, "branch": "main", "workflow": "apply-on-merge.yml",
              "environment": "huggingface"}
    issuer.trust(sandbox, repos=TARGETS, claims=claims)
    return work


def _runtime(tmp_path, sandbox):
    return runtime(tmp_path, sandbox.url)


def test_apply_on_merge_publishes_every_target_with_no_stored_token(merged, sandbox, issuer, tmp_path):
    workflow = load(WORKFLOW)
    assert workflow["permissions"]["id-token"] == "write"
    code = "\n".join(line.split("#", 1)[0] for line in WORKFLOW.read_text().splitlines())
    assert "secrets." not in code and "hf-token" not in code and "HF_TOKEN" not in code
    temp, env = _runtime(tmp_path, sandbox)

    job = run_job(WORKFLOW, merged, temp, repository=REPOSITORY, issuer=issuer, extra_env=env)

    assert [s.returncode for s in job.steps] == [0, 0], job.output
    assert "HF_TOKEN" not in job.env
    owner = HfApi(endpoint=sandbox.url, token=sandbox.token)
    for repo_type, repo_id in TARGETS:
        head = owner.list_repo_commits(repo_id, repo_type=repo_type)[0]
        assert head.authors == ["[OIDC]"], repo_id
    files = owner.list_repo_files("acme/sentiment")
    assert "config.json" in files
    report = job.steps[-1].stdout
    assert report.startswith("applied=true Plan: 0 to create, 3 to change, 0 to delete"), report
    assert "acme/sentiment" in job.summary
    # The plan and the apply each exchanged one token per target; one id token each.
    issued = [e["resource"] for e in sandbox.oidc_state()["audit"] if e["outcome"] == "issued"]
    assert sorted(issued) == sorted(["acme/sentiment", "datasets/acme/reviews", "acme/tagger"] * 2)
    assert len(issuer.minted) == 2
    texts = [job.output, job.summary, *(p.read_text() for p in temp.rglob("*.json"))]
    for text in texts:
        for secret in [*issuer.minted, issuer.request_token]:
            assert secret not in text
        assert not re.search(r"hf_(jwt|oauth)_", text)

    rerun = run_job(WORKFLOW, merged, temp, repository=REPOSITORY, issuer=issuer, extra_env=env)
    assert [s.returncode for s in rerun.steps] == [0, 0], rerun.output
    assert rerun.steps[-1].stdout.startswith("applied=false No changes.")


def test_without_id_token_write_the_job_says_how_to_publish(merged, sandbox, issuer, tmp_path):
    no_permission = tmp_path / "apply-on-merge.yml"
    shutil.copy(WORKFLOW, no_permission)
    no_permission.write_text(WORKFLOW.read_text().replace("  id-token: write", "  # id-token: write"))
    temp, env = _runtime(tmp_path, sandbox)

    job = run_job(no_permission, merged, temp, repository=REPOSITORY, issuer=issuer, extra_env=env)

    assert job.steps[0].returncode == 1
    assert "permissions: id-token: write" in job.output
    assert issuer.minted == [] and sandbox.oidc_state()["audit"] == []


def test_a_job_outside_the_publishers_environment_is_refused_by_target(merged, sandbox, issuer, tmp_path):
    elsewhere = tmp_path / "apply-on-merge.yml"
    elsewhere.write_text(WORKFLOW.read_text().replace("environment: huggingface", "environment: staging"))
    temp, env = _runtime(tmp_path, sandbox)

    job = run_job(elsewhere, merged, temp, repository=REPOSITORY, issuer=issuer, extra_env=env)

    assert job.steps[0].returncode == 1
    said = " ".join(job.output.split())
    for _, repo_id in TARGETS:
        prefix = "datasets/" if repo_id.endswith("reviews") else ""
        assert f"token of {prefix}{repo_id}: the Hub refused it (invalid_grant)" in said
    assert "environment staging" in said and "environment = staging" in said
    owner = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert [c.title for c in owner.list_repo_commits("acme/tagger")] == ["initial commit"]
