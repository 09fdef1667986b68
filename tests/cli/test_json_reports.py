"""Every command that reports prints, with --format json, one document its shipped JSON Schema
accepts: run on the demo's data (examples/) against the sandbox Hub, through the CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from jsonschema.validators import validator_for

from hfsync import schemas
from tests.github.conftest import REPO, github  # noqa: F401  (the fake GitHub API fixture)
from tests.helpers import hfsync

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _problems(name: str, text: str) -> list[str]:
    """What the schema ``name`` says is wrong with the document ``text`` (one JSON value)."""
    document = json.loads(text)
    schema = schemas.load(name)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator_for(schema)(schema).iter_errors(document)]


@pytest.fixture
def demo(tmp_path, sandbox, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES, project)
    monkeypatch.chdir(project)
    monkeypatch.setenv("HF_ENDPOINT", sandbox.url)
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    return project


def test_every_report_matches_its_schema(demo, github):  # noqa: F811
    comments = f"/repos/{REPO}/issues/7/comments"
    github.server.expect_request(comments, method="GET").respond_with_json([])
    github.server.expect_request(comments, method="POST").respond_with_json(
        {"id": 1, "body": "x", "html_url": "https://github.example/c/1", "user": {"login": "github-actions[bot]"}},
        status=201)
    runs = [
        ("validate.report", ("validate", "--format", "json"), 0),
        ("plan", ("plan", "--format", "json", "--out", "plan.json"), 0),
        ("plan", ("show", "plan.json", "--format", "json"), 0),
        ("scan.report", ("scan", "models", "--format", "json"), 0),
        ("apply.report", ("apply", "plan.json", "--format", "json"), 0),
        ("lock.report", ("lock", "--format", "json"), 0),
        ("pull.report", ("pull", "--format", "json"), 0),
        ("verify.report", ("verify", "--format", "json"), 0),
        ("upgrade.report", ("upgrade", "--format", "json"), 0),
        ("info.report", ("info", "sandbox/sentiment-lora", "--format", "json"), 0),
        ("search.report", ("search", "models", "--format", "json"), 0),
        ("cache-ls.report", ("cache", "ls", "--format", "json"), 0),
        ("cache-prune.report", ("cache", "prune", "--max-size", "0", "--dry-run", "--format", "json"), 0),
        ("github.report", ("github", "comment", "plan.json", "--format", "json"), 0),
    ]
    wrong = {}
    for name, args, code in runs:
        result = hfsync(*args)
        assert result.exit_code == code, (args, result.output)
        if problems := _problems(name, result.stdout):
            wrong[" ".join(args)] = problems
    assert wrong == {}


def test_verify_names_what_differs_as_data(demo):
    assert hfsync("apply", "--auto-approve").exit_code == 0
    assert hfsync("pull").exit_code == 0
    weights = next((demo / "vendor" / "sentiment-lora").rglob("*.safetensors"))
    weights.write_bytes(b"\0" * weights.stat().st_size)  # same size: only the hash tells
    result = hfsync("verify", "--format", "json")
    assert result.exit_code == 1
    assert _problems("verify.report", result.stdout) == []
    [changed] = json.loads(result.stdout)["changed"]
    assert changed["file"] == f"sandbox/sentiment-lora/{weights.relative_to(demo / 'vendor' / 'sentiment-lora')}"
    assert changed["check"] == "blake3" and changed["expected"] != changed["found"] and changed["problem"] is None
    assert len(changed["found"]) == 64  # the whole digest, not a shortened one for a person


def test_apply_reports_byte_counts(demo):
    result = hfsync("apply", "--auto-approve", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    committed = [s for t in report["targets"] for s in t["steps"] if s["action"] == "committed"]
    assert len(committed) == len(report["targets"]) == 4  # one commit per target
    source = sum(f.stat().st_size for f in (demo / "models" / "sentiment-lora").iterdir()
                 if f.suffix in (".safetensors", ".json"))
    model = next(t for t in report["targets"] if t["key"].endswith("sentiment-lora"))
    [commit] = [s for s in model["steps"] if s["action"] == "committed"]
    assert commit["bytes"] > source  # its files and the generated card
    assert report["bytes"] == sum(s["bytes"] for s in committed)
    assert {"action": "created-tag", "name": "v1.0.0"} in model["steps"]
    # each commit's page, as `hf upload` prints it, and the same in the text
    endpoint = os.environ["HF_ENDPOINT"]
    assert commit["url"] == f"{endpoint}/sandbox/sentiment-lora/commit/{commit['commit']}"
    dataset = next(t for t in report["targets"] if t["key"].startswith("dataset:"))
    assert f"{endpoint}/datasets/sandbox/reviews/commit/" in str(dataset["steps"])
    (demo / "models" / "sentiment-lora" / "config.json").write_text('{"changed": true}\n')
    text = hfsync("apply", "--auto-approve")
    assert text.exit_code == 0, text.output
    [line] = [line for line in text.stdout.splitlines() if "committed" in line]
    assert line.startswith("sandbox/sentiment-lora: committed ")
    assert f": {endpoint}/sandbox/sentiment-lora/commit/" in line


def test_pull_and_verify_count_the_same_bytes(demo):
    """The demo's totals agree: what a fresh pull fetched is what verify then checks."""
    assert hfsync("apply", "--auto-approve").exit_code == 0
    pulled = hfsync("pull", "--format", "json")
    verified = hfsync("verify", "--format", "json")
    assert pulled.exit_code == verified.exit_code == 0, pulled.output + verified.output
    report = json.loads(pulled.stdout)
    assert (report["files"], report["bytes"]) == (json.loads(verified.stdout)["checked"], json.loads(verified.stdout)["bytes"])
    assert report["bytes_downloaded"] >= report["bytes"] > 0  # over Xet, the chunks' framing too
    text_pull, text_verify = hfsync("pull").stdout, hfsync("verify").stdout
    files_and_size = text_verify.removeprefix("Verified ").split(":", 1)[0]  # "4 files (473 B)"
    assert text_pull.startswith(f"Pulled 1 pull: {files_and_size} as the lock pins them, 0 downloaded, 4 already in "
                                "place; 0 B fetched."), (text_pull, text_verify)
