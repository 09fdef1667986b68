"""Publishing from CI with no stored token: one token per target, exchanged from the job's
OIDC id token at the sandbox's /oauth/token (the Hub's Trusted Publishers)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfsync.hub.client import Hub
from hfsync.hub.oidc import TrustedPublishing
from tests.helpers import Result, hfsync
from tests.oidc_issuer import job_claims

MANIFEST = """version: 1
defaults: {namespace: acme}
repos:
  - id: model-a
    private: true
    source: {path: a}
    card: {generate: false}
  - id: data-b
    type: dataset
    source: {path: b}
    card: {generate: false}
  - id: model-c
    source: {path: c}
    card: {generate: false}
"""
TARGETS = [("model", "acme/model-a"), ("dataset", "acme/data-b"), ("model", "acme/model-c")]


@pytest.fixture
def ci(project, sandbox, issuer, monkeypatch):
    """A GitHub Actions job with `id-token: write` and no HF_TOKEN; the three targets exist
    (made once with a personal token) and trust the job."""
    for name, value in issuer.github_env().items():
        monkeypatch.setenv(name, value)
    owner = HfApi(endpoint=sandbox.url, token=sandbox.token)
    for repo_type, repo_id in TARGETS:
        owner.create_repo(repo_id, repo_type=repo_type, private=repo_id.endswith("-a"))
    for folder in "abc":
        project.write(f"{folder}/{folder}.txt", f"{folder}\n")
    project.yaml(MANIFEST)
    issuer.trust(sandbox, repos=TARGETS)
    return project


def run(project, *args: str) -> Result:
    """hfsync as the CI job runs it: no --token."""
    return hfsync("--endpoint", project.sandbox.url, *args)


def exchanges(sandbox) -> list[tuple[str, str]]:
    return [(e["resource"], e["outcome"]) for e in sandbox.oidc_state()["audit"]]


def commits(sandbox, repo_type: str, repo_id: str) -> list:
    return HfApi(endpoint=sandbox.url, token=sandbox.token).list_repo_commits(repo_id, repo_type=repo_type)


def assert_no_secret(issuer, *texts: str) -> None:
    """Neither an id token, nor the runtime's request token, nor any exchanged Hub token."""
    for text in texts:
        for secret in [*issuer.minted, issuer.request_token]:
            assert secret not in text
        assert not re.search(r"hf_(jwt|oauth)_", text), text


def test_apply_exchanges_one_token_per_target_and_commits_as_the_oidc_user(ci, sandbox, issuer, tmp_path):
    trace = tmp_path / "trace.jsonl"
    result = run(ci, "-vv", "--trace-file", str(trace), "apply", "-f", str(ci.manifest), "--auto-approve")

    assert result.exit_code == 0, result.output
    for repo_type, repo_id in TARGETS:
        assert commits(sandbox, repo_type, repo_id)[0].authors == ["[OIDC]"]
    # One exchange per target for the whole run (plan and apply), one id token for them all.
    assert sorted(exchanges(sandbox)) == [("acme/model-a", "issued"), ("acme/model-c", "issued"),
                                          ("datasets/acme/data-b", "issued")]
    assert len(issuer.minted) == 1
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [line["status"] for line in lines if line["path"] == "/oauth/token"] == [200, 200, 200]
    assert_no_secret(issuer, result.stdout, result.stderr, trace.read_text())


def test_a_saved_plan_holds_no_token_and_is_applied_with_tokens_exchanged_anew(ci, sandbox, issuer, tmp_path):
    plan_file, trace = tmp_path / "plan.json", tmp_path / "trace.jsonl"
    planned = run(ci, "--trace-file", str(trace), "plan", "-f", str(ci.manifest), "--out", str(plan_file))
    assert planned.exit_code == 0, planned.output
    applied = run(ci, "--trace-file", str(trace), "apply", str(plan_file))

    assert applied.exit_code == 0, applied.output
    assert [r for r, _ in exchanges(sandbox)].count("acme/model-a") == 2  # each run its own
    assert_no_secret(issuer, plan_file.read_text(), planned.output, applied.output, trace.read_text())


def test_an_id_token_from_another_provider_is_taken_from_hf_oidc_id_token(ci, sandbox, issuer, monkeypatch):
    for name in issuer.github_env():
        monkeypatch.delenv(name)
    given = issuer.mint(audience=sandbox.url)
    monkeypatch.setenv("HF_OIDC_ID_TOKEN", given)

    result = run(ci, "apply", "-f", str(ci.manifest), "--auto-approve")

    assert result.exit_code == 0, result.output
    assert len(exchanges(sandbox)) == 3
    assert given not in result.output


def test_a_refused_exchange_names_the_target_and_the_jobs_claims(ci, sandbox, issuer):
    sandbox.trusted_publishers({"publishers": []})
    issuer.job = job_claims(ref="refs/heads/main-backup")  # a branch matching `main` by prefix only

    result = run(ci, "plan", "-f", str(ci.manifest), "--target", "acme/model-c")

    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert ("exchange this job's OIDC id token for a token of acme/model-c: the Hub refused it (invalid_grant): "
            "acme/model-c exists, so none of its trusted publishers matches this job. This job's claims: "
            "repository acme/ml-gitops, ref refs/heads/main-backup, workflow apply-on-merge.yml, "
            f"environment (none), audience {sandbox.url}.") in said
    assert (f"On {sandbox.url}/acme/model-c/settings, under Trusted Publishers, the publisher must name exactly "
            "(no prefix matching): repository = acme/ml-gitops, branch = main-backup, workflow = apply-on-merge.yml"
            ) in said
    assert exchanges(sandbox) == [("acme/model-c", "claims: no publisher's claims all match")]
    assert_no_secret(issuer, result.output)


def test_a_target_to_create_cannot_be_created_with_an_exchanged_token(ci, sandbox, issuer):
    ci.yaml(MANIFEST + "  - id: model-new\n    source: {path: c}\n    card: {generate: false}\n")

    result = run(ci, "plan", "-f", str(ci.manifest))

    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert ("acme/model-new cannot be seen without a token: if it does not exist yet, a token exchanged in CI "
            "cannot create it (a trusted publisher is set on an existing repo): create it once with a personal "
            "token, then add this job as its trusted publisher") in said
    applied = run(ci, "apply", "-f", str(ci.manifest), "--auto-approve")
    assert applied.exit_code == 1 and "nothing was applied" in applied.output
    assert commits(sandbox, "model", "acme/model-c")[0].title == "initial commit"


def test_a_token_for_one_target_is_never_used_for_another(ci, sandbox, issuer, tmp_path):
    """Publishers: model-a and data-b trust the job on main; model-c only in environment `prod`."""
    sandbox.clear_trusted_publishers()
    issuer.trust(sandbox, repos=TARGETS[:2])
    prod = {"repository": "acme/ml-gitops", "environment": "prod"}
    issuer.trust(sandbox, repos=TARGETS[:3], claims=prod)
    plan_file, trace = tmp_path / "plan.json", tmp_path / "trace.jsonl"

    issuer.job = job_claims(environment="prod")  # the reviewed plan was made in `prod`: all three match
    assert run(ci, "plan", "-f", str(ci.manifest), "--out", str(plan_file)).exit_code == 0
    issuer.job = job_claims()  # applied from a job outside `prod`: model-c's exchange is refused
    issuer.minted.clear()
    for args in (("apply", str(plan_file)), ("apply", "-f", str(ci.manifest), "--auto-approve")):
        result = run(ci, "--trace-file", str(trace), *args)
        assert result.exit_code == 1
        assert "token of acme/model-c: the Hub refused it (invalid_grant)" in result.output
        assert_no_secret(issuer, result.output)
    # Nothing went to model-c but reads; and as a plan with an error is applied not at all (the
    # saved one could not be checked fresh), no target holds more than its first commit.
    to_c = [line for line in map(json.loads, trace.read_text().splitlines()) if "acme/model-c" in line["path"]]
    assert {line["method"] for line in to_c} == {"GET"}
    for repo_type, repo_id in TARGETS:
        assert [c.title for c in commits(sandbox, repo_type, repo_id)] == ["initial commit"]


@pytest.mark.parametrize("fault", [{"action": "status", "status": 500}, {"action": "reset"},
                                   {"action": "status", "status": 503, "retry_after": 0}])
def test_an_exchange_that_fails_on_the_way_is_retried(ci, sandbox, issuer, fault):
    sandbox.add_faults([{"method": "POST", "path": "^/oauth/token$", "times": 1, **fault}])

    result = run(ci, "apply", "-f", str(ci.manifest), "--auto-approve", "--parallelism", "1")

    assert result.exit_code == 0, result.output
    assert sandbox.stats()["routes"]["POST oauth-token"]["requests"] == 4
    # A reset drops the answer of an exchange the Hub made: that token is never known, and expires.
    assert len(exchanges(sandbox)) == (4 if fault["action"] == "reset" else 3)


def test_a_refused_exchange_is_not_retried(ci, sandbox, issuer):
    sandbox.add_faults([{"method": "POST", "path": "^/oauth/token$", "times": 1, "status": 400,
                         "message": "invalid_grant"}])
    result = run(ci, "plan", "-f", str(ci.manifest), "--target", "acme/model-c")
    assert result.exit_code == 1
    assert sandbox.stats()["routes"]["POST oauth-token"]["requests"] == 1


def test_a_token_the_hub_expires_mid_apply_is_exchanged_again_and_the_commit_made_once(ci, sandbox, issuer, tmp_path):
    sandbox.add_faults([{"method": "POST", "path": "/api/models/acme/model-c/commit/", "action": "expire_tokens"}])
    trace = tmp_path / "trace.jsonl"

    result = run(ci, "--trace-file", str(trace), "apply", "-f", str(ci.manifest), "--auto-approve")

    assert result.exit_code == 0, result.output
    assert [c.title for c in commits(sandbox, "model", "acme/model-c")][1:] == ["initial commit"]
    assert len(commits(sandbox, "model", "acme/model-c")) == 2
    statuses = [json.loads(line)["status"] for line in trace.read_text().splitlines()
                if json.loads(line)["path"] == "/api/models/acme/model-c/commit/main"]
    assert statuses == [401, 200]
    assert [r for r, _ in exchanges(sandbox)].count("acme/model-c") == 2
    assert_no_secret(issuer, result.output, trace.read_text())


def test_a_token_is_exchanged_again_before_it_expires(ci, sandbox, issuer):
    now = [0.0]
    credentials = TrustedPublishing(sandbox.url, clock=lambda: now[0])
    hub = Hub(sandbox.url, credentials=credentials)
    credentials.publishing([("model", "acme/model-a")])
    sandbox.settings(oidc_token_ttl=3600)
    first = hub.token_for("model", "acme/model-a")
    now[0] = 3600 - 301  # five minutes and a second before the hour
    assert hub.token_for("model", "acme/model-a") == first
    now[0] = 3600 - 299
    second = hub.token_for("model", "acme/model-a")
    assert second != first and credentials.exchanges == 2
    api = HfApi(endpoint=sandbox.url, token=second)
    assert api.model_info("acme/model-a").private is True
    # Repos this run does not publish to are read with no token at all.
    assert hub.token_for("model", "someone/else") is None and credentials.exchanges == 2


def test_reads_of_repos_not_published_need_no_token(ci, sandbox, issuer):
    owner = HfApi(endpoint=sandbox.url, token=sandbox.token)
    owner.create_repo("sandbox/base")
    owner.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id="sandbox/base")
    ci.yaml("version: 1\npulls:\n  - id: sandbox/base\n    dest: vendor/base\n")

    for args in (("lock",), ("pull",), ("plan",)):
        result = run(ci, *args, "-f", str(ci.manifest))
        assert result.exit_code == 0, result.output
    assert exchanges(sandbox) == [] and issuer.minted == []
    assert (Path(ci.root) / "vendor/base/config.json").read_bytes() == b"{}"


GATED = "version: 1\n{defaults}pulls:\n  - id: sandbox/gated-base\n    dest: vendor/base\n"


@pytest.fixture
def gated(ci, sandbox, issuer):
    """A gated base model alice was granted, and alice's CI/CD access trusting the job."""
    owner = HfApi(endpoint=sandbox.url, token=sandbox.token)
    owner.create_repo("sandbox/gated-base")
    owner.upload_file(path_or_fileobj=b'{"base": 1}', path_in_repo="config.json", repo_id="sandbox/gated-base")
    owner.update_repo_settings("sandbox/gated-base", gated="manual")
    sandbox.seed("model", "sandbox/gated-base", granted=["alice"])
    issuer.trust(sandbox, users=["alice"])
    return ci


def test_lock_and_pull_read_gated_repos_with_the_named_users_read_only_token(gated, sandbox, issuer, tmp_path):
    gated.yaml(GATED.format(defaults="defaults: {hub_user: alice}\n"))
    trace = tmp_path / "trace.jsonl"
    for args in (("lock",), ("pull", "--locked")):
        result = run(gated, "--trace-file", str(trace), *args, "-f", str(gated.manifest))
        assert result.exit_code == 0, result.output
        assert_no_secret(issuer, result.output, trace.read_text())
    assert (gated.root / "vendor/base/config.json").read_bytes() == b'{"base": 1}'
    assert exchanges(sandbox) == [("alice", "issued"), ("alice", "issued")]  # one per run
    assert_no_secret(issuer, (gated.root / "hfsync.lock").read_text())


def test_the_hub_user_may_be_given_as_an_option(gated, sandbox, issuer):
    gated.yaml(GATED.format(defaults=""))
    assert run(gated, "lock", "-f", str(gated.manifest)).exit_code == 0  # metadata: no token needed
    refused = run(gated, "pull", "-f", str(gated.manifest))
    assert refused.exit_code == 1 and "gated" in refused.output
    assert exchanges(sandbox) == []

    result = run(gated, "pull", "--hub-user", "alice", "-f", str(gated.manifest))

    assert result.exit_code == 0, result.output
    assert exchanges(sandbox) == [("alice", "issued")]


def test_a_user_token_cannot_publish(gated, sandbox, issuer):
    """The read-only token is for repos not published to: a target still needs its own publisher."""
    sandbox.clear_trusted_publishers()
    issuer.trust(sandbox, users=["alice"])
    gated.yaml(MANIFEST.replace("defaults: {namespace: acme}", "defaults: {namespace: acme, hub_user: alice}"))
    result = run(gated, "plan", "-f", str(gated.manifest), "--target", "acme/model-c")
    assert result.exit_code == 1
    assert "token of acme/model-c: the Hub refused it (invalid_grant)" in result.output


@pytest.mark.parametrize(("case", "said"), [
    ("wrong audience", "audience https://huggingface.co"),
    ("expired", "the id token expired"),
    ("not yet valid", "repository acme/ml-gitops"),
    ("signed by another key", "repository acme/ml-gitops"),
    ("alg none", "repository acme/ml-gitops"),
])
def test_a_hostile_id_token_given_by_the_job_publishes_nothing(ci, sandbox, issuer, monkeypatch, case, said):
    from tests.oidc_issuer import Key

    for name in issuer.github_env():
        monkeypatch.delenv(name)
    aud = sandbox.url
    token = {
        "wrong audience": lambda: issuer.mint(audience="https://huggingface.co"),
        "expired": lambda: issuer.mint(audience=aud, exp=1_600_000_000, iat=1_599_999_000, nbf=1_599_999_000),
        "not yet valid": lambda: issuer.mint(audience=aud, nbf=4_000_000_000),
        "signed by another key": lambda: issuer.mint(audience=aud, key=Key(kid=issuer.key.kid)),
        "alg none": lambda: issuer.mint(audience=aud, key=None),
    }[case]()
    monkeypatch.setenv("HF_OIDC_ID_TOKEN", token)

    result = run(ci, "apply", "-f", str(ci.manifest), "--auto-approve")

    assert result.exit_code == 1
    assert said in result.output
    assert "the Hub refused it (invalid_grant)" in result.output
    assert token not in result.output
    assert [e["outcome"] for e in sandbox.oidc_state()["audit"] if e["outcome"] == "issued"] == []
    for repo_type, repo_id in TARGETS:
        assert [c.title for c in commits(sandbox, repo_type, repo_id)] == ["initial commit"]


def test_a_push_that_outlasts_its_token_is_sent_in_parts_each_with_a_live_token(xet_on, sandbox, issuer, monkeypatch,
                                                                              tmp_path):
    """An hour passes while each part's bytes go up (the sandbox expires every token it issued, and
    hfsync's clock, which reads the sandbox's count of those hours, moves an hour too): each part
    starts with a token exchanged again, so no request is ever refused, hf_xet's included."""
    import hashlib
    import os

    from hfsync.hub import commit as hub_commit
    from hfsync.hub import trace
    from hfsync.hub.commit import Upload
    from hfsync.hub.publish import Publisher

    for name, value in issuer.github_env().items():
        monkeypatch.setenv(name, value)
    HfApi(endpoint=sandbox.url, token=sandbox.token).create_repo("acme/big")
    issuer.trust(sandbox, repos=[("model", "acme/big")])
    hours = sandbox.server.hub.oidc
    credentials = TrustedPublishing(sandbox.url, clock=lambda: 3600.0 * hours.expirations)
    credentials.publishing([("model", "acme/big")])
    monkeypatch.setattr(hub_commit, "UPLOAD_PART", 1)  # one file per part
    uploads = []
    for index in range(3):
        path = tmp_path / f"shard-{index}.safetensors"
        path.write_bytes(os.urandom(200_000))
        uploads.append(Upload(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), path))
    publisher = Publisher(Hub(sandbox.url, credentials=credentials))
    head = publisher.read("acme/big", "model", "main").head
    sandbox.add_faults([{"method": "POST", "path": "^/v1/xorbs/", "action": "expire_tokens", "times": 3}])
    trace.start(tmp_path / "trace.jsonl")
    try:
        commit = publisher.commits.commit("acme/big", "model", "main", uploads, [], message="shards", description="",
                                  parent=head)
    finally:
        trace.stop()

    assert hours.expirations == 3  # three hours went by
    lines = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]
    assert [line["path"] for line in lines if line["status"] == 401] == []
    assert [line["status"] for line in lines if line["path"].endswith("/preupload/main")] == [200, 200, 200]
    assert [r for r, _ in exchanges(sandbox)] == ["acme/big"] * 4  # the first, and one per hour gone
    assert HfApi(endpoint=sandbox.url, token=sandbox.token).list_repo_commits("acme/big")[0].commit_id == commit


def test_an_id_token_github_will_not_give_is_said_as_githubs_refusal(ci, sandbox, issuer, monkeypatch):
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ghs_stale_request_token")

    result = run(ci, "apply", "-f", str(ci.manifest), "--auto-approve")

    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "request an OIDC id token from GitHub Actions: GitHub answered 401." in said
    assert "The job needs `permissions: id-token: write`" in said
    assert said.count("GitHub answered 401") == 3 and issuer.requests == 1  # each target says so; asked once
    assert "ghs_stale_request_token" not in result.output and "HF_TOKEN" not in said
    assert exchanges(sandbox) == []


def test_an_endless_id_token_answer_is_read_only_up_to_the_limit(ci, sandbox, issuer, monkeypatch):
    from tests.hostile import SLACK, EndlessServer

    endless = EndlessServer({"/id-token": (200, {"Content-Type": "application/json"}, b'{"value": "',
                                           b"e" * 65536)}, cap=160 * 1024 * 1024)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{endless.url}/id-token?x=1")
    try:
        result = run(ci, "apply", "-f", str(ci.manifest), "--auto-approve")
        sent = endless.sent_to("/id-token")
    finally:
        endless.close()
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert (f"request an OIDC id token from GitHub Actions: GET /id-token: {endless.host} sent more than 64 MiB, "
            "the most hfsync reads for that answer") in said
    assert said.count("sent more than 64 MiB") == 3 and len(endless.requests) == 1  # each target says so; asked once
    assert "Traceback" not in result.output
    assert exchanges(sandbox) == []
    assert sent <= 64 * 1024 * 1024 + SLACK
