"""Saved plans: what was reviewed is what is published, or apply says "plan is stale"."""

from __future__ import annotations

import json
import os

import jsonschema
from huggingface_hub import HfApi

from hfsync.publish.plan import schema

MANIFEST = "version: 1\nrepos:\n  - id: sandbox/s1\n    source: {path: m}\n"


def setup(project):  # type: ignore[no-untyped-def]
    project.write("m/config.json", "{}\n")
    project.write("m/w.safetensors", os.urandom(2000))
    project.yaml(MANIFEST)
    assert project.apply().exit_code == 0
    project.write("m/config.json", '{"v": 2}\n')
    out = project.root / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    return out


def test_saved_plan_records_heads_and_digests_and_validates(project, sandbox):
    out = setup(project)
    data = json.loads(out.read_text())
    jsonschema.Draft202012Validator(schema()).validate(data)
    (target,) = data["targets"]
    assert target["head"] == HfApi(endpoint=sandbox.url, token=sandbox.token).model_info("sandbox/s1").sha
    assert [(f["path"], f["action"], f["size"]) for f in target["files"]] == [("config.json", "update", 9)]
    assert data["manifests"] == {str(project.manifest): data["manifests"][str(project.manifest)]}
    result = project.run("apply", str(out))
    assert result.exit_code == 0, result.output
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_saved_plan_refused_after_another_client_commits(project, sandbox):
    out = setup(project)
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    planned = api.model_info("sandbox/s1").sha
    api.upload_file(path_or_fileobj=b"x", path_in_repo="other.txt", repo_id="sandbox/s1")
    moved = api.model_info("sandbox/s1").sha
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert "Error: plan is stale; nothing was applied. Since the plan:" in result.stderr
    assert f"sandbox/s1: main moved on the Hub from {planned[:7]} to {moved[:7]}" in result.stderr
    assert api.model_info("sandbox/s1").sha == moved


def test_saved_plan_refused_after_a_local_edit(project, sandbox):
    out = setup(project)
    project.write("m/config.json", '{"v": 3}\n')
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert f"local file {project.root / 'm/config.json'} changed" in result.stderr
    assert "Traceback" not in result.output


def test_touching_a_file_without_changing_it_keeps_the_plan_fresh(project, sandbox):
    out = setup(project)
    path = project.root / "m/config.json"
    os.utime(path, ns=(1, 1))  # stat key changes, content does not: rehash, same digest
    assert project.run("apply", str(out)).exit_code == 0


def test_race_after_the_check_is_refused_by_the_hub(project, sandbox):
    """parent_commit: a commit landing between the freshness check and ours gets a 412."""
    from hfsync.hub import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.publish.apply import apply_plan
    from hfsync.publish.plan import read

    out = setup(project)
    plan = read(out)
    HfApi(endpoint=sandbox.url, token=sandbox.token).upload_file(
        path_or_fileobj=b"x", path_in_repo="other.txt", repo_id="sandbox/s1")
    result = apply_plan(plan, Publisher(Hub(sandbox.url, sandbox.token)))
    (failure,) = result.failures
    assert failure.error.startswith("plan is stale: sandbox/s1: main moved on the Hub during apply")


def test_a_plan_file_that_is_not_a_plan(project, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = project.run("apply", str(bad))
    assert result.exit_code == 1 and f"Error: {bad}: not a plan file (invalid JSON" in result.stderr
    result = project.run("apply", str(tmp_path / "missing.json"))
    assert result.exit_code == 1 and "cannot read plan file" in result.stderr


def test_saved_plan_refused_after_the_card_it_merged_changed(project, sandbox):
    project.write("m/README.md", "# Card\n")
    project.yaml(MANIFEST + "    card: {metadata: {license: mit}}\n")
    out = project.root / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    project.write("m/README.md", "# Card, edited after review\n")
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert f"sandbox/s1: local file {project.root / 'm/README.md'} changed" in result.stderr


def test_someone_elses_gated_repo_is_never_planned_as_a_create(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("alice/gated", token=sandbox.token_for("alice"))
    api.update_repo_settings("alice/gated", gated="manual", token=sandbox.token_for("alice"))
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: alice/gated\n    source: {path: m}\n")
    result = project.plan()
    assert "alice/gated will be updated in place" in result.stdout
    applied = project.apply()
    assert applied.exit_code == 1 and "apply failed for:\n  alice/gated: " in applied.stderr
    assert "Traceback" not in applied.output
