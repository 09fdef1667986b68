"""hfsync info: metadata, policy verdicts, the cache by branch and by commit, offline, slow Hub."""

from __future__ import annotations

import json
import re

from hfsync.discover.info import card_summary, parse_id
from tests.discover.conftest import requests_to
from tests.helpers import hfsync

POLICY = """\
version: 1
policy:
  licenses: [apache-2.0, mit]
  libraries: [transformers]
"""


def info(hub, *args: str) -> dict:
    result = hfsync("--endpoint", hub.url, "info", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def verdicts(report: dict) -> dict[str, tuple[str, str]]:
    return {v["check"]: (v["status"], v["detail"]) for v in report["verdicts"]}


def test_metadata_of_an_adapter(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no manifest here: no verdicts
    report = info(hub, "sandbox/sentiment-adapter")
    assert report["license"] == "apache-2.0"
    assert (report["task"], report["library"]) == ("text-classification", "peft")
    assert report["base_models"] == ["sandbox/base-llm"]
    assert (report["gated"], report["private"]) == (False, False)
    assert report["files"] == 4
    assert set(report["sizes"]) == {".gitattributes", ".md", ".safetensors", ".json"}
    assert report["sizes"][".safetensors"] == len(b"sandbox/sentiment-adapter/adapter_model.safetensors\n")
    assert report["summary"] == "A model for the discover tests. It has two lines."
    assert report["last_commit"]["id"] == report["sha"]
    assert report["last_commit"]["title"] == "Add sandbox/sentiment-adapter"
    assert report["verdicts"] == []


def test_verdicts_against_the_manifest_policy(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hfsync.yaml").write_text(POLICY)
    good = verdicts(info(hub, "acme/model-00"))  # apache-2.0, transformers, safetensors
    assert good == {
        "license": ("ok", "apache-2.0 is allowed"),
        "safetensors": ("ok", "1 .safetensors file(s)"),
        "pickle": ("ok", "no pickle files"),
        "library": ("ok", "loads with transformers"),
    }
    bad = verdicts(info(hub, "acme/model-07"))  # llama3, peft, pickle only
    assert bad == {
        "license": ("fail", "llama3 is not allowed (policy: apache-2.0, mit)"),
        "safetensors": ("fail", "no .safetensors weights"),
        "pickle": ("fail", "pickle-only weights: pytorch_model.bin"),
        "library": ("fail", "made for peft, not transformers"),
    }


def test_text_format_and_an_explicit_manifest(hub, tmp_path):
    manifest = tmp_path / "team.yaml"
    manifest.write_text(POLICY.replace("  libraries: [transformers]\n", "  safetensors_only: false\n"))
    result = hfsync("--endpoint", hub.url, "info", "acme/model-03", "-f", str(manifest))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("acme/model-03 (model), commit ")
    assert "  license      llama3" in lines
    assert "  library      transformers" in lines
    assert f"Policy ({manifest}):" in lines
    assert "  WARN     pickle       pickle-only weights: pytorch_model.bin" in lines
    assert "  FAIL     license      llama3 is not allowed (policy: apache-2.0, mit)" in lines


def test_datasets_and_spaces_by_prefix(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dataset = info(hub, "dataset:acme/reviews")
    assert (dataset["type"], dataset["task"], dataset["license"]) == ("dataset", "text-classification", "cc-by-4.0")
    space = info(hub, "acme/demo", "--type", "space")
    assert (space["type"], space["library"]) == ("space", "gradio")


def test_by_branch_expires_by_commit_never(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = info(hub, "acme/model-01")
    assert (requests_to(hub, "GET repo-info"), requests_to(hub, "GET commits"), requests_to(hub, "GET resolve")) == (1, 1, 1)
    assert info(hub, "acme/model-01") == first
    assert hub.stats()["requests"] == 3  # within the TTL: nothing more
    monkeypatch.setenv("HFSYNC_METADATA_TTL", "0")
    assert info(hub, "acme/model-01") == first
    # Expired: the branch is asked again; commit and card are keyed by the commit and stay.
    assert (requests_to(hub, "GET repo-info"), hub.stats()["requests"]) == (2, 4)
    # By commit id: answered from the entry the branch answer left, even with TTL 0.
    by_commit = info(hub, "acme/model-01", "--revision", first["sha"])
    assert by_commit["sha"] == first["sha"] and by_commit["revision"] == first["sha"]
    assert hub.stats()["requests"] == 4


def test_offline(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    online = info(hub, "acme/model-02")
    hub.reset_stats()
    result = hfsync("--endpoint", hub.url, "info", "acme/model-02", "--offline", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == online
    assert result.stderr.startswith("Offline: answered from the metadata cache (data ")
    result = hfsync("--endpoint", hub.url, "info", "acme/model-05", "--offline")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: Offline, and the metadata cache holds no answer for model acme/model-05 from {hub.url}.\n")
    assert hub.stats()["requests"] == 0


def test_missing_repo_is_a_clear_error(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = hfsync("--endpoint", hub.url, "info", "acme/no-such-model")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: reading acme/no-such-model: repository not found, or not visible with this token.\n"
        "Hint: Check the id and type, and that HF_TOKEN can read it.\n"
    )


def test_slow_hub_warns_once_and_suggests_offline(hub, tmp_path, monkeypatch):
    # No real delay: a threshold of 0 s makes every request slow, 600 s none (the watch's
    # own clock is tested with a fake one in tests/hub).
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HFSYNC_SLOW_SECONDS", "0")
    result = hfsync("--endpoint", hub.url, "info", "acme/model-04")
    assert result.exit_code == 0, result.output
    # Several slow requests, one warning; nothing cached yet, so no --offline suggestion.
    assert result.stderr.count("WARNING") == 1
    assert re.search(r"WARNING hfsync.hub: The Hub is slow: reading model acme/model-04 took \d+\.\d s\.\n",
                     result.stderr)
    assert "--offline" not in result.stderr
    # Cached but expired: the warning suggests --offline.
    monkeypatch.setenv("HFSYNC_METADATA_TTL", "0")
    result = hfsync("--endpoint", hub.url, "info", "acme/model-04")
    assert result.stderr.count("WARNING") == 1
    assert re.search(r"The metadata cache can answer from data \d+ s old: rerun with --offline to use it\.",
                     result.stderr)
    # A fast Hub: no warning.
    monkeypatch.setenv("HFSYNC_SLOW_SECONDS", "600")
    assert "WARNING" not in hfsync("--endpoint", hub.url, "info", "acme/model-04").stderr


def test_parse_id_and_card_summary():
    assert parse_id("acme/m", None) == ("model", "acme/m")
    assert parse_id("space:acme/s", None) == ("space", "acme/s")
    assert parse_id("datasets/acme/d", None) == ("dataset", "acme/d")
    assert parse_id("acme/d", "dataset") == ("dataset", "acme/d")
    card = "---\nlicense: mit\n---\n<div>x</div>\n# Title\n[![badge](u)](v)\n\nFirst line\nsecond line.\n\nLater."
    assert card_summary(card) == "First line second line."
    assert card_summary("") is None
    assert card_summary("x" * 500).endswith("…") and len(card_summary("x" * 500)) == 400


def test_gated_and_private_repos(sandbox, tmp_path, monkeypatch):
    from huggingface_hub import CommitOperationAdd, HfApi

    monkeypatch.chdir(tmp_path)
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/secret", private=True)
    api.create_commit("acme/secret", [CommitOperationAdd("model.safetensors", b"x")], commit_message="w")
    api.create_repo("acme/gated")
    api.update_repo_settings("acme/gated", gated="manual")
    anonymous = hfsync("--endpoint", sandbox.url, "info", "acme/secret")
    assert anonymous.exit_code == 1
    assert "acme/secret: repository not found, or not visible with this token." in anonymous.stderr
    owner = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "info", "acme/secret")
    assert owner.exit_code == 0, owner.output
    assert "  private      yes" in owner.stdout.splitlines()
    assert sandbox.token not in owner.output
    gated = hfsync("--endpoint", sandbox.url, "info", "acme/gated", "--format", "json")
    assert json.loads(gated.stdout)["gated"] == "manual"


def test_parameters_and_dtypes_when_the_hub_gives_them():
    from hfsync.discover.info import _report
    from hfsync.manifest.model import Policy
    from hfsync.render.info import render_text

    item = {"id": "acme/big", "sha": "a" * 40, "safetensors": {"parameters": {"BF16": 7_000_000_000, "F32": 1024},
                                                               "total": 7_000_001_024},
            "siblings": [{"rfilename": "model-00001.safetensors", "size": 9_000_000_000},
                         {"rfilename": "model-00002.safetensors", "lfs": {"size": 5_000_000_000}},
                         {"rfilename": "config.json", "size": 700}],
            "cardData": {"license": "mit", "base_model": ["x/a", "x/b"]}, "tags": [], "likes": 1, "downloads": 5}
    report = _report(item, "model", None, None, None, Policy(licenses=("mit",)))
    assert (report.parameters, report.dtypes) == (7_000_001_024, {"BF16": 7_000_000_000, "F32": 1024})
    assert report.sizes == {".safetensors": 14_000_000_000, ".json": 700}
    text = render_text(report, "hfsync.yaml").splitlines()
    assert "  parameters   7.0B (BF16: 7.0B, F32: 1.0k)" in text
    assert "  size         14.0 GB in 3 files: .safetensors 14.0 GB, .json 700 B" in text
    assert "  base model   x/a, x/b" in text
    assert "  OK       license      mit is allowed" in text


def test_a_gated_repo_without_access_shows_its_public_metadata_and_says_what_is_withheld(sandbox, tmp_path,
                                                                                      monkeypatch):
    from huggingface_hub import CommitOperationAdd, HfApi

    monkeypatch.chdir(tmp_path)
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/gated-llm")
    card = b"---\nlicense: mit\npipeline_tag: text-generation\n---\n# G\n\nA gated model.\n"
    api.create_commit("acme/gated-llm", [CommitOperationAdd("model.safetensors", b"x" * 100),
                                         CommitOperationAdd("README.md", card)], commit_message="w")
    api.update_repo_settings("acme/gated-llm", gated="manual")

    text = hfsync("--endpoint", sandbox.url, "info", "acme/gated-llm")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert "  license      mit" in lines and "  task         text-generation" in lines
    assert "  gated        manual" in lines
    assert ("               this token has no access: the files' content and the card's text are withheld; "
            "request access on the repo's page on the Hub (the rest is its public metadata)") in lines
    assert not any(line.startswith("  summary") for line in lines)

    report = json.loads(hfsync("--endpoint", sandbox.url, "info", "acme/gated-llm", "--format", "json").stdout)
    assert (report["gated"], report["withheld"], report["license"], report["files"]) == (
        "manual", ["files", "card"], "mit", 3)
    assert report["summary"] is None

    owner = json.loads(hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "info", "acme/gated-llm",
                              "--format", "json").stdout)
    assert (owner["withheld"], owner["summary"]) == ([], "A gated model.")


def test_a_huge_card_is_read_only_as_far_as_its_summary_needs(sandbox, tmp_path, monkeypatch):
    from huggingface_hub import CommitOperationAdd, HfApi

    monkeypatch.chdir(tmp_path)
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/huge-card")
    card = b"---\nlicense: mit\n---\n# Huge\n\nA model with a long card.\n\n" + b"more words " * 3_000_000
    api.create_commit("acme/huge-card", [CommitOperationAdd("README.md", card)], commit_message="w")
    sandbox.reset_stats()
    report = json.loads(hfsync("--endpoint", sandbox.url, "info", "acme/huge-card", "--format", "json").stdout)
    assert report["summary"] == "A model with a long card."
    sent = sum(route["bytes_out"] for name, route in sandbox.stats()["routes"].items() if name.startswith("GET "))
    assert sent < len(card) // 2  # 33 MB of card; the first MB read, and what the sockets held
