"""Card metadata problems, located, from validate (offline) and plan (with the Hub's check)."""

from __future__ import annotations

from pathlib import Path

from hfsync.cards.check import check_metadata
from tests.helpers import hfsync

MANIFEST = """version: 1
defaults: {namespace: sandbox}
repos:
  - id: m
    source: {path: m}
    card:
      metadata:
        license: apache2
        language: [en, english]
        pipeline_tag: text-classify
        base_model: not a repo
  - id: d
    type: dataset
    source: {path: d}
    card:
      metadata: {license: mit, size_categories: [n<1K], task_categories: [text-classification, sorting]}
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.safetensors").write_bytes(b"x")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "train.jsonl").write_text('{"t": 1}\n' * 1200)
    (tmp_path / "hfsync.yaml").write_text(MANIFEST)
    return tmp_path / "hfsync.yaml"


def test_validate_names_each_bad_value_with_its_line(tmp_path):
    manifest = _project(tmp_path)
    result = hfsync("validate", "-f", str(manifest))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [
        "Error: 6 problems in the manifest:",
        f"  {manifest}:8:18: unknown license id 'apache2'; expected a Hub license id such as apache-2.0, mit "
        "or cc-by-4.0 (or 'other' with license_name)",
        f"  {manifest}:9:24: unknown language code 'english'; expected an ISO 639-1 or 639-3 code such as en, "
        "fr or yue",
        f"  {manifest}:10:23: unknown task 'text-classify'; expected a Hub task such as text-classification, "
        "text-generation or image-classification",
        f"  {manifest}:11:21: base_model 'not a repo' is not a Hub repo id ('namespace/name')",
        f"  {manifest}:16:50: size category 'n<1K' does not match the dataset's 1200 rows; expected '1K<n<10K'",
        f"  {manifest}:16:96: unknown task 'sorting'; expected a Hub task such as text-classification, "
        "text-generation or image-classification",
        "Hint: Fix the manifest (or the README.md named) and run `hfsync validate` again.",
    ]


def test_readme_front_matter_problems_name_the_readme(tmp_path):
    manifest = _project(tmp_path)
    manifest.write_text("version: 1\nrepos:\n  - id: sandbox/m\n    source: {path: m}\n")
    readme = tmp_path / "m" / "README.md"
    readme.write_text("---\ntags: [a]\nlanguage: klingon\nlicense: mit\n---\n# M\n")
    result = hfsync("validate", "-f", str(manifest))
    assert result.exit_code == 1
    assert f"  {readme}:3: unknown language code 'klingon'" in result.stderr
    # A value the manifest declares overrides the README's: only the manifest's is judged.
    manifest.write_text("version: 1\nrepos:\n  - id: sandbox/m\n    source: {path: m}\n"
                        "    card: {metadata: {language: [de]}}\n")
    assert hfsync("validate", "-f", str(manifest)).exit_code == 0


def test_front_matter_that_is_not_yaml_or_not_a_mapping_is_a_located_problem(tmp_path):
    manifest = _project(tmp_path)
    manifest.write_text("version: 1\nrepos:\n  - id: sandbox/m\n    source: {path: m}\n")
    readme = tmp_path / "m" / "README.md"
    readme.write_text("---\nlicense: [mit\n---\n# M\n")
    result = hfsync("validate", "-f", str(manifest))
    assert (result.exit_code, result.stderr.splitlines()[1]) == (
        1, f"  {readme}:1: front matter is not valid YAML: expected ',' or ']', but got '<stream end>'")
    readme.write_text("---\n- a list\n---\n# M\n")
    result = hfsync("validate", "-f", str(manifest))
    assert (result.exit_code, result.stderr.splitlines()[1]) == (
        1, f"  {readme}:1: front matter is not valid YAML: repo card metadata block should be a dict")


def test_front_matter_reads_as_huggingface_hubs_repo_card_reads_it():
    from huggingface_hub import RepoCard

    from hfsync.cards.check import front_matter

    for text in ("---\nlicense: mit\ntags: [a, b]\nempty:\nnested: {a: null}\n---\n# body\n",
                 "---\r\nlicense: mit\r\n---\r\nbody", "  ---\nx: 1\n---  \n", "---\n---\n", "no front matter\n",
                 "---\nmodel-index:\n- name: m\n  results: []\n---\n", "---\nx: 1\n---"):
        assert front_matter(text) == RepoCard(text, ignore_metadata_errors=True).data.to_dict(), text


def test_check_metadata_accepts_the_hubs_forms():
    assert check_metadata({"license": "other", "license_name": "x", "language": ["en-US", "zh_Hant", "yue"],
                           "pipeline_tag": "text-generation", "base_model": ["a/b", "c/d"]}, "model") == []
    assert check_metadata({"size_categories": "10K<n<100K", "task_categories": ["translation"]}, "dataset",
                          rows=12_345) == []
    assert [k for k, _ in check_metadata({"size_categories": ["small"]}, "dataset")] == [("size_categories", 0)]


def test_plan_reports_card_problems_and_the_hubs_refusal(tmp_path, sandbox):
    manifest = _project(tmp_path)
    args = ("--endpoint", sandbox.url, "--token", sandbox.token)
    result = hfsync(*args, "plan", "-f", str(manifest))
    assert result.exit_code == 1
    assert "unknown license id 'apache2'" in result.stdout and "unknown task 'sorting'" in result.stdout
    # Offline checks pass, the Hub's /api/validate-yaml does not: plan says so.
    manifest.write_text("version: 1\nrepos:\n  - id: sandbox/m\n    source: {path: m}\n"
                        "    card: {metadata: {license: mit, tags: [{nested: 1}]}}\n")
    sandbox.reset_stats()
    result = hfsync(*args, "plan", "-f", str(manifest))
    assert result.exit_code == 1
    assert 'sandbox/m: the Hub refuses the card: "tags" must be an array of strings' in result.stdout
    assert sandbox.stats()["routes"]["POST validate-yaml"]["requests"] == 1


def test_row_counts_are_remembered_until_the_file_changes(tmp_path, monkeypatch):
    from hfsync.cards import check as cardcheck

    (tmp_path / "a.csv").write_text("x\n1\n2\n")
    calls = []
    real = cardcheck._csv_rows
    monkeypatch.setattr(cardcheck, "_csv_rows", lambda p: calls.append(p) or real(p))
    assert cardcheck.count_rows(tmp_path, ["a.csv"]) == 2
    assert cardcheck.count_rows(tmp_path, ["a.csv"]) == 2
    assert len(calls) == 1  # the second plan reads nothing
    (tmp_path / "a.csv").write_text("x\n1\n2\n3\n")
    assert cardcheck.count_rows(tmp_path, ["a.csv", "b.parquet"]) is None  # parquet: not countable
    assert cardcheck.count_rows(tmp_path, ["a.csv"]) == 3 and len(calls) == 2


def test_validate_reports_schema_and_semantic_problems_in_one_run(tmp_path):
    """A schema error in one entry does not hide what is wrong elsewhere: fixing the first
    problem must not reveal four more. Entries the schema refuses are left out of the
    semantic checks; the others are checked where they stand."""
    (tmp_path / "ok").mkdir()
    manifest = tmp_path / "hfsync.yaml"
    manifest.write_text("""version: 1
defaults: {namespace: sandbox}
policy: {licenses: [apache-2.0, not-a-license]}
repos:
  - id: broken
    type: modle
    source: {path: ok}
  - id: fine-but-missing
    source: {path: nowhere}
  - id: ok
    source: {path: ok}
pulls:
  - id: "sandbox/bad id!"
    dest: vendor/base
  - id: sandbox/other
    revision: [not, a, string]
""")
    result = hfsync("validate", "-f", str(manifest))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 5 problems in the manifest:"
    where = [line.strip().split(": ", 1)[0] for line in lines[1:6]]
    said = [line.strip().split(": ", 1)[1] for line in lines[1:6]]
    assert where == [f"{manifest}:{n}" for n in ("3:33", "6:11", "9:20", "13:9", "16:15")]
    assert said[0].startswith("unknown license id 'not-a-license'")
    assert said[1] == ('repos[0].type: expected one of "model", "dataset", "space"; got the string \'modle\' '
                       "(did you mean 'model'?)")
    assert said[2].startswith("source path 'nowhere' does not exist")
    assert said[3].startswith("invalid repo id 'sandbox/bad id!'")
    assert said[4] == "pulls[1].revision: expected a string, got a list"


def test_validate_json_lists_every_problem_of_one_run(tmp_path):
    manifest = tmp_path / "hfsync.yaml"
    manifest.write_text("version: 1\nrepos:\n  - id: a/b\n    type: modle\n    source: {path: x}\n"
                        "  - id: a/c\n    source: {path: missing}\n")
    result = hfsync("validate", "-f", str(manifest), "--format", "json")
    assert result.exit_code == 1
    import json

    problems = json.loads(result.stdout)["problems"]
    assert [(p["line"], p["message"].split(":")[0]) for p in problems] == [
        (4, "repos[0].type"), (7, "source path 'missing' does not exist")]
