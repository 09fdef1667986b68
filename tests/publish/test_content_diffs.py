"""Plans a reviewer can judge: what changed inside each file, end to end against the sandbox Hub."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from hfsync.hub.client import Hub
from hfsync.hub.publish import Publisher
from hfsync.manifest.load import load
from hfsync.model.plan import Plan
from hfsync.publish.planner import make_plan
from hfsync.render.plan import render
from tests.publish.review_scenario import TOKEN, after, before

GOLDEN = Path(__file__).parent / "golden"
MANIFEST = "version: 1\nrepos:\n  - id: acme/review\n    type: model\n    source: {path: src}\n"


@pytest.fixture
def reviewed(project, tmp_path):
    """acme/review on the Hub as ``before()``; the source folder as ``after()``."""
    from huggingface_hub import HfApi

    seed = tmp_path / "seed"
    for path, data in before().items():
        (seed / path).parent.mkdir(parents=True, exist_ok=True)
        (seed / path).write_bytes(data)
    api = HfApi(endpoint=project.sandbox.url, token=project.sandbox.token)
    api.create_repo("acme/review")
    api.upload_folder(folder_path=seed, repo_id="acme/review")
    project.yaml(MANIFEST)
    for path, data in after().items():
        project.write(f"src/{path}", data)
    return project


def plan_of(project, diff="summary", **kwargs) -> Plan:  # type: ignore[no-untyped-def]
    publisher = Publisher(Hub(project.sandbox.url, project.sandbox.token))
    return make_plan(load([project.manifest]), publisher, diff=diff, **kwargs)


def fixed(plan: Plan) -> Plan:
    """The plan with what differs from run to run (commit ids, port, paths) made fixed."""
    data = json.loads(plan.to_json())
    data.update(endpoint="https://hub.example", hfsync_version="0.1.0", manifests={})
    for target in data["targets"]:
        target.update(head="1" * 40 if target["head"] else None, source="src")
    return Plan.from_dict(data)


@pytest.mark.parametrize(("fmt", "name"), [("human", "diffs.txt"), ("markdown", "diffs.md"), ("json", "diffs.json")])
def test_golden_diffs_of_every_kind(reviewed, fmt, name):
    text = render(fixed(plan_of(reviewed)), fmt)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_the_planted_secret_is_in_no_output(reviewed, tmp_path):
    saved = tmp_path / "plan.json"
    for args in ((), ("--diff", "full"), ("--format", "markdown"), ("--format", "json"), ("--out", str(saved))):
        result = reviewed.plan(*args)
        assert result.exit_code == 1  # the gate's finding is an error of the plan
        assert TOKEN not in result.output
        assert "withheld: possible secret in creds.txt:2: Hugging Face Token" in result.stdout
    # A failed plan is still saved for the pull request's comment (apply refuses it): without the secret.
    assert "possible secret in creds.txt:2" in saved.read_text() and TOKEN not in saved.read_text()
    for fmt in ("human", "markdown", "json"):
        assert TOKEN not in render(plan_of(reviewed, diff="full"), fmt)


def test_a_saved_plan_carries_its_diffs(reviewed, tmp_path, monkeypatch):
    reviewed.write("src/creds.txt", "hello\n")  # no secret: the plan can be saved
    saved, job_summary = tmp_path / "plan.json", tmp_path / "summary.md"
    assert reviewed.plan("--out", str(saved)).exit_code == 0
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    reviewed.sandbox.reset_stats()
    assert reviewed.run("github", "summary", str(saved)).exit_code == 0  # the saved plan as markdown
    assert reviewed.sandbox.stats()["requests"] == 0
    assert "!         num_labels  = 2 -> 3" in job_summary.read_text()
    data = json.loads(saved.read_text())
    config = next(f for f in data["targets"][0]["files"] if f["path"] == "config.json")
    assert config["diff"]["entries"][0] == {"key": "num_labels", "old": 2, "new": 3}
    assert "num_labels  = 2 -> 3" in render(Plan.from_dict(data), "human")


def test_no_diff_reads_no_content(reviewed):
    reviewed.sandbox.reset_stats()
    plan = plan_of(reviewed, diff="none")
    assert all(f.diff is None for f in plan.targets[0].files)
    none_stats = reviewed.sandbox.stats()
    reviewed.sandbox.reset_stats()
    plan_of(reviewed, diff="summary")
    summary_stats = reviewed.sandbox.stats()
    changed = sum(f.action != "delete" for f in plan.targets[0].files)
    # At most two reads per changed file, each one request (a redirect to the CDN makes it two).
    assert summary_stats["requests"] - none_stats["requests"] <= 2 * 2 * changed


@pytest.mark.parametrize("budget", [0, 300, 5_000, 100_000])
def test_a_diff_never_fetches_more_than_its_budget(reviewed, budget):
    reviewed.sandbox.reset_stats()
    plan_of(reviewed, diff="none")
    base = reviewed.sandbox.stats()["bytes_out"]
    reviewed.sandbox.reset_stats()
    plan = plan_of(reviewed, diff="full", diff_budget=budget)
    fetched = reviewed.sandbox.stats()["bytes_out"] - base
    assert fetched <= budget
    notes = [f.diff.note for f in plan.targets[0].files if f.diff is not None and f.diff.note]
    if budget < 1000:
        assert any(re.match(r"not compared: the plan's .* diff budget is spent", n) for n in notes)



def test_the_plan_is_the_same_whichever_file_s_content_arrives_first(reviewed):
    """The Hub's copies are read concurrently; the plan lists files, and their diffs, in one order."""
    read = ["README.md", "config.json", "notes.txt", "train.csv", "m.gguf", "model.safetensors",
            "sharded/model-00001-of-00002.safetensors"]
    texts = []
    for order in (read, read[::-1]):
        reviewed.sandbox.clear_faults()
        reviewed.sandbox.add_faults([{"action": "delay", "seconds": 0.04 * i, "path": f"/resolve/[0-9a-f]+/{re.escape(p)}$",
                                      "times": 5} for i, p in enumerate(order)])
        texts.append(render(fixed(plan_of(reviewed)), "human"))
    reviewed.sandbox.clear_faults()
    assert texts[0] == texts[1] == (GOLDEN / "diffs.txt").read_text()
