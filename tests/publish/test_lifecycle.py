"""plan/apply against the sandbox Hub: the life of a target, byte-exact uploads, exit codes."""

from __future__ import annotations

import os
import re

import pytest
from huggingface_hub import HfApi

from tests.sandbox.xet import xet_active

pytestmark = pytest.mark.both_paths

MANIFEST = """version: 1
repos:
  - id: sandbox/m1
    private: {private}
    tags: [{tags}]
    source: {{path: m, prune: true}}
    card:
      generate: false  # metadata merged into the Hub's card, not a generated one
      metadata: {{license: mit}}
"""


def api(sandbox) -> HfApi:  # type: ignore[no-untyped-def]
    return HfApi(endpoint=sandbox.url, token=sandbox.token)


def tree(sandbox, repo="sandbox/m1", repo_type="model") -> dict[str, int]:  # type: ignore[no-untyped-def]
    entries = api(sandbox).list_repo_tree(repo, recursive=True, repo_type=repo_type)
    return {e.path: e.size for e in entries if hasattr(e, "blob_id")}


def commits(sandbox, repo="sandbox/m1", repo_type="model") -> int:  # type: ignore[no-untyped-def]
    return len(api(sandbox).list_repo_commits(repo, repo_type=repo_type))


def route(stats: dict, name: str, counter: str = "bytes_in") -> int:
    return stats["routes"].get(name, {}).get(counter, 0)


def test_create_noop_change_prune_settings_tag(project, sandbox):
    p = project
    p.write("m/config.json", '{"a": 1}\n')
    p.write("m/model.safetensors", os.urandom(300_000))
    p.write("m/extra.safetensors", os.urandom(1000))
    p.yaml(MANIFEST.format(private="false", tags="v1"))

    # create
    result = p.plan("--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert '+ model "sandbox/m1"' in result.stdout and "+ tag \"v1\"" in result.stdout
    assert result.stdout.endswith("Plan: 1 to create, 0 to change, 0 to delete (4 files, 301.0 kB to upload).\n")
    result = p.apply()
    assert result.exit_code == 0, result.output
    assert tree(sandbox) == {".gitattributes": tree(sandbox)[".gitattributes"], "README.md": 21,
                             "config.json": 9, "model.safetensors": 300_000, "extra.safetensors": 1000}
    assert api(sandbox).model_info("sandbox/m1").card_data.to_dict() == {"license": "mit"}
    created = commits(sandbox)

    # no-op: plan says so, apply makes no commit
    result = p.plan("--detailed-exitcode")
    assert (result.exit_code, result.stdout) == (0, "No changes.\n")
    assert p.apply().exit_code == 0
    assert commits(sandbox) == created

    # change one file: exactly its bytes go up, in one commit
    p.write("m/model.safetensors", os.urandom(300_000))
    sandbox.reset_stats()
    result = p.apply()
    assert result.exit_code == 0, result.output
    stats = sandbox.stats()
    if xet_active():  # random bytes: one xorb, stored uncompressed, plus its chunk headers and footer
        assert 300_000 < route(stats, "POST xorb-upload") < 301_000
        assert stats["routes"]["POST xorb-upload"]["requests"] == 1
        assert stats["routes"]["POST shard-upload"]["requests"] == 1
        assert "PUT lfs-upload" not in stats["routes"]
    else:
        assert route(stats, "PUT lfs-upload") == 300_000
        assert stats["routes"]["PUT lfs-upload"]["requests"] == 1
    assert stats["routes"]["POST commit"]["requests"] == 1
    assert commits(sandbox) == created + 1
    sent = sum(route(stats, r) for r in ("POST xorb-upload", "POST shard-upload", "PUT lfs-upload"))
    reported = re.search(r"as [0-9a-f]{7} \(([0-9.]+) kB sent\)", result.stdout)
    assert reported and abs(float(reported.group(1)) * 1000 - sent) <= 0.005 * sent  # what the Hub received

    # delete with prune
    (p.root / "m/extra.safetensors").unlink()
    result = p.plan()
    assert '- file "extra.safetensors" (1.0 kB, lfs, absent from source (prune: true))' in result.stdout
    assert p.apply().exit_code == 0
    assert "extra.safetensors" not in tree(sandbox)

    # settings change
    p.yaml(MANIFEST.format(private="true", tags="v1"))
    result = p.plan()
    assert "~ private = false -> true" in result.stdout
    before = commits(sandbox)
    applied = p.apply()
    assert applied.exit_code == 0
    assert "sandbox/m1: set private = true\n" in applied.stdout  # as the plan writes it
    assert api(sandbox).model_info("sandbox/m1").private is True
    assert commits(sandbox) == before  # a setting is not a commit

    # tag on the current head
    p.yaml(MANIFEST.format(private="true", tags="v1, v2"))
    assert '+ tag "v2"' in p.plan().stdout
    assert p.apply().exit_code == 0
    refs = api(sandbox).list_repo_refs("sandbox/m1")
    head = api(sandbox).model_info("sandbox/m1").sha
    assert {t.name: t.target_commit for t in refs.tags}["v2"] == head
    assert p.plan("--detailed-exitcode").exit_code == 0


def test_commit_message_carries_provenance(project, sandbox, monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    project.write("m/config.json", "{}\n")
    project.yaml(MANIFEST.format(private="false", tags=""))
    assert project.apply().exit_code == 0
    last = api(sandbox).list_repo_commits("sandbox/m1")[0]
    assert last.title == "Publish sandbox/m1: 2 added (hfsync)"
    assert "Run: https://github.com/acme/models/actions/runs/42" in last.message
    assert "Manifest commit: none (not a git checkout)" in last.message


def test_detailed_exitcode_values(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml(MANIFEST.format(private="false", tags=""))
    assert project.plan("--detailed-exitcode").exit_code == 2
    assert project.plan().exit_code == 0  # changes, but no --detailed-exitcode
    assert project.apply().exit_code == 0
    assert project.plan("--detailed-exitcode").exit_code == 0
    project.yaml("version: 1\nrepos:\n  - id: sandbox/m1\n    bogus: 1\n    source: {path: m}\n")
    result = project.plan("--detailed-exitcode")
    assert result.exit_code == 1 and "bogus" in result.stderr
    unreachable = project.run("--endpoint", "http://127.0.0.1:9", "plan", "-f", str(project.manifest),
                              "--detailed-exitcode")
    assert unreachable.exit_code == 1


def test_requests_per_target_do_not_grow_with_files(project, sandbox):
    counts = []
    for n in (3, 40):
        for i in range(n):
            project.write(f"m{n}/f{i:03}.json", f"{i}\n")
        project.yaml(f"version: 1\nrepos:\n  - id: sandbox/r{n}\n    source: {{path: m{n}}}\n")
        assert project.apply().exit_code == 0
        sandbox.reset_stats()
        assert project.plan("--detailed-exitcode").exit_code == 0
        counts.append(sandbox.stats()["requests"])
    assert counts[0] == counts[1] == 2  # repo info + one tree listing


def test_apply_without_terminal_needs_auto_approve(project):
    project.write("m/config.json", "{}\n")
    project.yaml(MANIFEST.format(private="false", tags=""))
    result = project.run("apply", "-f", str(project.manifest))
    assert result.exit_code == 1
    assert "Error: apply needs --auto-approve when not run from a terminal" in result.stderr


def test_no_token_in_any_output_or_plan_file(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml(MANIFEST.format(private="false", tags="v1"))
    out = project.root / "plan.json"
    outputs = [project.plan("--out", str(out)), project.plan("--format", "markdown"),
               project.plan("--format", "json"), project.run("apply", str(out)), project.plan()]
    assert all(r.exit_code == 0 for r in outputs), [r.output for r in outputs]
    for result in outputs:
        assert sandbox.token not in result.output
    assert sandbox.token not in out.read_text()
