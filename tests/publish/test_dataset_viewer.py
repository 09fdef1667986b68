"""A dataset card's viewer configs, checked before anything is sent: through validate (the
source folder), plan (the tree as it will be after apply, pruning included) and the PR comment."""

from __future__ import annotations

import html
import json

import jsonschema

from tests.helpers import hfsync

CARD = """---
license: mit
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.csv
  - split: test
    path: "data/test-*.csv"
---
# Reviews
"""
MANIFEST = "version: 1\nrepos:\n  - id: acme/reviews\n    type: dataset\n    source: {path: src, prune: true}\n"


def _seed(project) -> None:  # type: ignore[no-untyped-def]
    project.yaml(MANIFEST)
    project.write("src/README.md", CARD)
    project.write("src/data/train.csv", "text,label\nok,1\n")
    project.write("src/data/test-0.csv", "text,label\nbad,0\n")


def test_validate_locates_a_pattern_that_matches_nothing_in_the_source(project):
    _seed(project)
    assert hfsync("validate", "-f", str(project.manifest)).exit_code == 0
    (project.root / "src/data/train.csv").rename(project.root / "src/data/train-0.csv")
    result = hfsync("validate", "-f", str(project.manifest))
    assert result.exit_code == 1
    readme = project.root / "src/README.md"
    assert result.stderr.splitlines()[:2] == [
        "Error: 1 problem in the manifest:",
        f"  {readme}:7:11: data_files pattern 'data/train.csv' (config 'default', split 'train') matches no file "
        "the repo will hold; files near it: data/test-0.csv, data/train-0.csv",
    ]


def test_validate_json_report_carries_the_line(project):
    _seed(project)
    project.write("src/README.md", CARD.replace("path: data/train.csv", "path: missing.jsonl"))
    report = json.loads(hfsync("validate", "-f", str(project.manifest), "--format", "json").stdout)
    assert report["valid"] is False
    [problem] = report["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == (str(project.root / "src/README.md"), 7, 11)


def test_configs_the_manifest_declares_are_located_in_the_manifest(project):
    _seed(project)
    project.yaml(MANIFEST + "    card:\n      metadata:\n        configs:\n          - config_name: x\n"
                 "            data_files: nothing/*.csv\n")
    result = hfsync("validate", "-f", str(project.manifest))
    assert result.exit_code == 1
    assert (f"  {project.manifest}:10:25: data_files pattern 'nothing/*.csv' (config 'x', split 'train') "
            "matches no file the repo will hold; files near it: data/test-0.csv, data/train.csv") in result.stderr


def test_plan_checks_the_tree_after_apply_pruning_included(project):
    _seed(project)
    assert project.apply().exit_code == 0
    # The train file is renamed: prune deletes the Hub's copy, and the card no longer matches.
    (project.root / "src/data/train.csv").rename(project.root / "src/data/train-0.csv")
    result = project.plan()
    assert result.exit_code == 1
    readme = project.root / "src/README.md"
    expected = (f"{readme}:7:11: data_files pattern 'data/train.csv' (config 'default', split 'train') matches "
                "no file the repo will hold; files near it: data/test-0.csv, data/train-0.csv")
    assert expected in result.stdout
    markdown = project.plan("--format", "markdown")
    assert markdown.exit_code == 1
    assert expected in html.unescape(markdown.stdout)  # the path is escaped for markdown; read as written
    # Without prune the Hub keeps data/train.csv: the card still matches once applied.
    project.yaml(MANIFEST.replace(", prune: true", ""))
    assert project.plan().exit_code == 0


def test_plan_checks_a_card_only_the_hub_holds(project, sandbox):
    from huggingface_hub import HfApi

    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/reviews", repo_type="dataset")
    api.upload_file(path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id="acme/reviews",
                    repo_type="dataset")
    project.yaml(MANIFEST.replace("prune: true", "prune: false") + "    card: {generate: false}\n")
    project.write("src/data/train.csv", "text,label\nok,1\n")
    result = project.plan()
    assert result.exit_code == 1
    assert ("the Hub's README.md of dataset:acme/reviews: data_files pattern 'data/test-*.csv' (config 'default', "
            "split 'test') matches no file the repo will hold") in result.stdout


BAD_CARDS = [
    # (front matter after "configs:", the README line and column named, the message)
    ("\n- config_name: a\n  data_files: {train: x.csv}\n", 4, 15, "data_files must be a pattern, a list of "
     "patterns, or a list of {split, path} (path: a pattern or a list of patterns); got a mapping"),
    ("\n- config_name: a\n  data_files:\n  - split: my train\n    path: data/train.csv\n", 5, 12,
     "split name 'my train' is not valid"),
    ("\n- config_name: a\n  data_files: ../outside/*.csv\n", 4, 15, "'../outside/*.csv' contains '..'; "
     "data_files name files inside the repo"),
    ("\n- config_name: a\n  data_files: data/*.csv\n- config_name: a\n  data_files: data/*.csv\n", 5, 16,
     "config name 'a' is declared twice (first as configs[0])"),
    ("\n- config_name: default\n  data_files: data/*.csv\n- config_name: b\n  default: true\n"
     "  data_files: data/*.csv\n", 3, 1, "more than one default config: default, b"),
    ("\n- config_name: a\n  data_files: [data/*.csv, notes.jsonl]\n", 4, 15, "config 'a' mixes file formats"),
    (" data/*.csv\n", 2, 10, "configs must be a list of configs"),
]


def test_each_configs_problem_is_located_at_its_readme_line(project):
    _seed(project)
    project.write("src/notes.jsonl", '{"a": 1}\n')
    readme = project.root / "src/README.md"
    for configs, line, column, message in BAD_CARDS:
        readme.write_text(f"---\nconfigs:{configs}---\n# x\n")
        result = hfsync("validate", "-f", str(project.manifest))
        assert result.exit_code == 1, configs
        assert f"  {readme}:{line}:{column}: {message}" in result.stderr, (configs, result.stderr)


def test_validate_says_what_it_did_not_check(project):
    _seed(project)
    project.write("src/README.md", CARD.replace("path: data/train.csv", "path: hf://datasets/acme/other/x.csv"))
    result = hfsync("validate", "-f", str(project.manifest))
    assert result.exit_code == 0
    readme = project.root / "src/README.md"
    assert (f"Warning: {readme}:7:11: 'hf://datasets/acme/other/x.csv' names files outside this repo; not "
            "checked") in result.stderr
    report = json.loads(hfsync("validate", "-f", str(project.manifest), "--format", "json").stdout)
    assert report["valid"] is True and [w["line"] for w in report["warnings"]] == [7]
    jsonschema.validate(report, json.loads(hfsync("schema", "validate.report").stdout))
