"""A Hub that breaks its answers: every failure is one clear sentence (exit 1), never an internal error."""

from __future__ import annotations

import os

import pytest
from huggingface_hub import HfApi

MANIFEST = "version: 1\nrepos:\n  - id: sandbox/frail\n    source: {path: m}\n"


def _seed(project) -> None:
    project.write("m/config.json", '{"a": 1}\n')
    project.write("m/model.safetensors", os.urandom(20_000))
    project.yaml(MANIFEST)


def _clean(result) -> None:
    assert result.exit_code == 1, result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("action", [{"action": "reset"}, {"action": "truncate", "after_bytes": 5},
                                    {"action": "corrupt"}])
def test_a_commit_whose_answer_is_lost_says_it_may_have_landed_and_a_rerun_converges(project, sandbox, action):
    _seed(project)
    assert project.apply().exit_code == 0
    project.write("m/config.json", '{"a": 2}\n')
    sandbox.add_faults([{"method": "POST", "path": r"/commit/", **action}])
    result = project.apply()
    _clean(result)
    assert "commit to sandbox/frail: the Hub's answer was lost" in result.stderr
    assert "the commit may have landed" in result.stderr and "a rerun sees what landed and converges" in result.stderr
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert open(api.hf_hub_download("sandbox/frail", "config.json")).read() == '{"a": 2}\n'  # it took effect
    sandbox.reset_stats()
    again = project.apply()
    assert again.exit_code == 0, again.output
    assert "POST commit" not in sandbox.stats()["routes"]
    assert len(api.list_repo_commits("sandbox/frail")) == 3  # the repo's first, the seed, the change: no duplicate


@pytest.mark.parametrize(("method", "path", "operation"), [
    ("GET", r"^/api/models/sandbox/frail", "sandbox/frail"),
    ("POST", r"/preupload/", "commit to sandbox/frail"),
    ("POST", r"/info/lfs/objects/batch", "commit to sandbox/frail"),
])
def test_corrupt_answers_are_clean_errors(project, sandbox, method, path, operation, legacy_lfs):
    _seed(project)
    assert project.apply().exit_code == 0
    project.write("m/config.json", '{"a": 3}\n')
    project.write("m/model.safetensors", os.urandom(20_000))
    sandbox.add_faults([{"method": method, "path": path, "action": "corrupt", "times": 50}])
    result = project.apply()
    _clean(result)
    assert "the Hub's answer could not be read" in result.output
    assert operation in result.output
    assert "README" not in result.output  # a broken answer is not blamed on a local file


def test_the_card_check_is_retried_after_a_reset(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml(MANIFEST + "    card: {metadata: {license: mit}}\n")
    sandbox.reset_stats()
    sandbox.add_faults([{"method": "POST", "path": r"^/api/validate-yaml", "action": "reset", "times": 2}])
    result = project.plan()
    assert result.exit_code == 0, result.output
    assert sandbox.stats()["routes"]["POST validate-yaml"]["requests"] == 3


def test_a_card_check_that_keeps_failing_is_a_clean_error(project, sandbox, waitless):
    project.write("m/config.json", "{}\n")
    project.yaml(MANIFEST + "    card: {metadata: {license: mit}}\n")
    sandbox.add_faults([{"method": "POST", "path": r"^/api/validate-yaml", "action": "truncate", "after_bytes": 3,
                         "times": 100}])
    result = project.run("--token", sandbox.token, "plan", "-f", str(project.manifest))
    _clean(result)
    assert "validate card of" in result.output
    assert waitless  # it gave up after the policy's waits, not at the first failure


def test_signed_urls_never_reach_any_output(project, sandbox, tmp_path, legacy_lfs):
    _seed(project)
    project.write("m/big.safetensors", os.urandom(200_000))
    sandbox.add_faults([{"method": "PUT", "path": r"^/sandbox-lfs/upload/", "action": "status", "status": 500,
                         "times": 2}])
    trace = tmp_path / "trace.jsonl"
    result = project.run("-v", "--trace-file", str(trace), "apply", "-f", str(project.manifest), "--auto-approve")
    text = result.output + trace.read_text()
    assert result.exit_code == 0, result.output
    assert "/sandbox-lfs/upload/" in text  # the retried upload is reported, without its signature
    assert "sig=" not in text and "X-Amz-Signature" not in text
