"""The manifest loader and `hfsync validate`: good manifests load, bad ones are located."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from hfsync.manifest.build import parse_size
from hfsync.manifest.load import load
from tests.helpers import hfsync

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD = """\
version: 1
defaults: {namespace: acme, private: true}
repos:
  - id: sentiment
    source: {path: models/sentiment}
pulls:
  - id: org/base
    dest: vendor/base
"""


def write(tmp_path: Path, text: str, name: str = "hfsync.yaml") -> Path:
    (tmp_path / "models" / "sentiment").mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# (name, manifest text, expected "line:column: message" lines)
BAD = [
    ("yaml syntax", "version: 1\nrepos: [\n", ["3:1: invalid YAML: while parsing a flow node: expected the node content, but found '<stream end>'"]),
    ("unclosed quote", 'version: 1\ndefaults: {namespace: "acme}\n', ["3:1: invalid YAML: while scanning a quoted scalar: found unexpected end of stream"]),
    ("tab indentation", "version: 1\ndefaults:\n\tnamespace: acme\n", ["3:1: tab character in indentation; YAML indents with spaces only"]),
    ("empty file", "", ["1:1: empty file; expected a mapping with `version: 1`"]),
    ("not a mapping", "- 1\n- 2\n", ["1:1: the top level: expected a mapping, got a list"]),
    ("duplicate key", "version: 1\nversion: 1\n", ["2:1: duplicate key 'version' (first at line 1)"]),
    ("duplicate nested key", "version: 1\ndefaults:\n  namespace: a\n  namespace: b\n", ["4:3: duplicate key 'namespace' (first at line 3)"]),
    ("missing version", "repos: []\n", ["1:1: the top level is missing the required key 'version'"]),
    ("wrong version", "version: 2\n", ["1:10: version: expected 1; got the number 2"]),
    ("unknown top key", "version: 1\nrepo: []\n", ["2:1: unknown key 'repo' in the top level (did you mean 'repos'?); expected one of: collections, defaults, policy, pulls, repos, sources, version"]),
    ("unknown repo key", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n    privat: true\n", ["5:5: unknown key 'privat' in repos[0] (did you mean 'private'?); expected one of: access, card, commit, description, gated, id, private, revision, signing, source, space, tags, type"]),
    ("unknown source key", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment, prune_all: true}\n", ["4:38: unknown key 'prune_all' in repos[0].source (did you mean 'prune'?); expected one of: allow_unsafe, exclude, include, path, prune"]),
    ("private not bool", "version: 1\nrepos:\n  - id: acme/m\n    private: yes please\n    source: {path: models/sentiment}\n", ["4:14: repos[0].private: expected true or false, got the string 'yes please'"]),
    ("repos not list", "version: 1\nrepos: {id: acme/m}\n", ["2:8: repos: expected a list, got a mapping"]),
    ("bad type", "version: 1\nrepos:\n  - id: acme/m\n    type: modle\n    source: {path: models/sentiment}\n", ['4:11: repos[0].type: expected one of "model", "dataset", "space"; got the string \'modle\' (did you mean \'model\'?)']),
    ("bad gated", "version: 1\nrepos:\n  - id: acme/m\n    gated: true\n    source: {path: models/sentiment}\n", ['4:12: repos[0].gated: expected one of false, "auto", "manual"; got the boolean true']),
    ("missing source", "version: 1\nrepos:\n  - id: acme/m\n", ["3:5: repos[0] is missing the required key 'source'"]),
    ("missing source path", "version: 1\nrepos:\n  - id: acme/m\n    source: {prune: true}\n", ["4:13: repos[0].source is missing the required key 'path'"]),
    ("empty id", "version: 1\nrepos:\n  - id: ''\n    source: {path: models/sentiment}\n", ["3:9: repos[0].id: must not be empty"]),
    ("tags not list", "version: 1\nrepos:\n  - id: acme/m\n    tags: v1\n    source: {path: models/sentiment}\n", ["4:11: repos[0].tags: expected a list, got the string 'v1'"]),
    ("bad sdk", "version: 1\nrepos:\n  - id: acme/s\n    type: space\n    space: {sdk: flask}\n    source: {path: models/sentiment}\n", ['5:18: repos[0].space.sdk: expected one of "gradio", "streamlit", "docker", "static"; got the string \'flask\'']),
    ("bad max_memory", "version: 1\npulls:\n  - id: a/b\n    cache: true\n    max_memory: lots\n", ["5:17: pulls[0].max_memory: expected a size such as 8GB or 512MiB, or a number of bytes"]),
    ("id without namespace", "version: 1\nrepos:\n  - id: lonely\n    source: {path: models/sentiment}\n", ["3:9: repo id 'lonely' has no namespace; write 'namespace/lonely' or set defaults.namespace"]),
    ("id with double dash", "version: 1\nrepos:\n  - id: acme/bad--name\n    source: {path: models/sentiment}\n", ["3:9: invalid repo id 'acme/bad--name'; expected 'namespace/name' using letters, digits, '-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..', at most 96 characters"]),
    ("id with bad chars", "version: 1\nrepos:\n  - id: acme/has space\n    source: {path: models/sentiment}\n", ["3:9: invalid repo id 'acme/has space'; expected 'namespace/name' using letters, digits, '-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..', at most 96 characters"]),
    ("id too long", f"version: 1\nrepos:\n  - id: acme/{'x' * 97}\n    source: {{path: models/sentiment}}\n", [f"3:9: invalid repo id 'acme/{'x' * 97}'; expected 'namespace/name' using letters, digits, '-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..', at most 96 characters"]),
    ("pull id with three parts", "version: 1\npulls:\n  - id: a/b/c\n    cache: true\n", ["3:9: invalid repo id 'a/b/c'; expected 'namespace/name' using letters, digits, '-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..', at most 96 characters"]),
    ("missing source folder", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/missing}\n", ["4:20: source path 'models/missing' does not exist: create it, or fill it with the repo as the Hub has it: hf download acme/m --local-dir models/missing"]),
    ("source is a file", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: hfsync.yaml}\n", ["4:20: source path 'hfsync.yaml' is not a folder"]),
    ("path escape with dotdot", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: ../outside}\n", ["4:20: source path '../outside' leaves the manifest's folder {root}; expected a folder inside it"]),
    ("absolute source path", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: /etc}\n", ["4:20: source path '/etc' leaves the manifest's folder {root}; expected a folder inside it"]),
    ("path escape through symlink", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/link}\n", ["4:20: source path 'models/link' leaves the manifest's folder {root}; expected a folder inside it"]),
    ("bad glob", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment, include: ['[abc']}\n", ["4:48: glob '[abc' has an unclosed '['"]),
    ("glob with dotdot", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment, exclude: ['../x']}\n", ["4:48: glob '../x' must not contain '..'"]),
    ("both dest and cache", "version: 1\npulls:\n  - id: a/b\n    dest: vendor/b\n    cache: true\n", ["3:5: pull 'a/b' needs exactly one of 'dest: FOLDER' or 'cache: true', not both"]),
    ("neither dest nor cache", "version: 1\npulls:\n  - id: a/b\n", ["3:5: pull 'a/b' needs exactly one of 'dest: FOLDER' or 'cache: true'"]),
    ("two pulls same dest", "version: 1\npulls:\n  - id: a/b\n    dest: vendor\n  - id: a/c\n    dest: vendor/c\n", ["5:5: pull 'a/c' writes to {root}/vendor/c, which overlaps where 'a/b' ({root}/hfsync.yaml:3:5) writes; give each pull its own folder"]),
    ("unknown license", "version: 1\npolicy:\n  licenses: [apache-2.0, apache2]\n", ["3:26: unknown license id 'apache2'; expected a Hub license id such as apache-2.0, mit or cc-by-4.0"]),
    ("space without sdk", "version: 1\nrepos:\n  - id: acme/s\n    type: space\n    source: {path: models/sentiment}\n", ["3:5: a space needs space.sdk (gradio, streamlit, docker or static)"]),
    ("space settings on a model", "version: 1\nrepos:\n  - id: acme/m\n    space: {sdk: gradio}\n    source: {path: models/sentiment}\n", ["4:12: 'space' settings need type: space, not model"]),
    ("missing training file", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n    card: {training: nope.json}\n", ["5:22: card training file 'nope.json' does not exist inside the manifest's folder"]),
    ("several problems at once", "version: 1\nrepos:\n  - id: acme/a--b\n    source: {path: models/none}\npulls:\n  - id: x/y\n", [
        "3:9: invalid repo id 'acme/a--b'; expected 'namespace/name' using letters, digits, '-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..', at most 96 characters",
        "4:20: source path 'models/none' does not exist: create it, or fill it with the repo as the Hub has it: "
        "hf download acme/a--b --local-dir models/none",
        "6:5: pull 'x/y' needs exactly one of 'dest: FOLDER' or 'cache: true'",
    ]),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD, ids=[case[0] for case in BAD])
def test_bad_manifest_is_located_and_explained(tmp_path, name, text, expected):
    path = write(tmp_path, text)
    os.symlink("/tmp", tmp_path / "models" / "link")
    result = hfsync("validate", "-f", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = [line.strip() for line in result.stderr.splitlines()]
    count = len(expected)
    assert lines[0] == f"Error: {count} problem{'s' if count != 1 else ''} in the manifest:"
    reported = [line for line in lines[1:] if line.startswith(str(path))]
    assert reported == [f"{path}:{e.format(root=tmp_path)}" for e in expected]
    assert lines[-1] == "Hint: Fix the manifest and run `hfsync validate` again."


def test_duplicate_ids_across_files_are_reported(tmp_path):
    one = write(tmp_path, "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n", "one.yaml")
    two = write(tmp_path, "version: 1\ndefaults: {namespace: acme}\nrepos:\n  - id: m\n    source: {path: models/sentiment}\n", "two.yaml")
    result = hfsync("validate", "-f", str(one), "-f", str(two))
    assert result.exit_code == 1
    assert f"{two}:4:5: duplicate model 'acme/m'; first declared at {one}:3:5" in result.stderr


def test_a_folder_of_manifests_loads_every_yaml_file(tmp_path):
    write(tmp_path, "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n", "a.yaml")
    write(tmp_path, "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n", "b.yml")
    result = hfsync("validate", "-f", str(tmp_path))
    assert result.exit_code == 1
    assert "duplicate model 'acme/m'" in result.stderr


def test_missing_manifest_file(tmp_path):
    result = hfsync("validate", "-f", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}: file not found" in result.stderr


def test_good_manifest_loads_with_defaults_applied(tmp_path):
    path = write(tmp_path, GOOD)
    workspace = load([path])
    (manifest,) = workspace.manifests
    (repo,) = manifest.repos
    assert repo.id == "acme/sentiment"
    assert repo.type == "model"
    assert repo.private is True
    assert repo.revision == "main"
    assert repo.gated is None
    assert repo.source.path == tmp_path / "models" / "sentiment"
    assert repo.location.line == 4
    (pull,) = manifest.pulls
    assert pull.id == "org/base"
    assert pull.dest == tmp_path / "vendor" / "base"
    assert manifest.lock_path == tmp_path / "hfsync.lock"
    assert manifest.policy.safetensors_only is True


def test_private_by_default_policy_applies_when_unset(tmp_path):
    path = write(tmp_path, "version: 1\npolicy: {private_by_default: true}\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n")
    (repo,) = load([path]).manifests[0].repos
    assert repo.private is True


def test_validate_accepts_every_example():
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        if path.parent.name == "github":
            continue
        result = hfsync("validate", "-f", str(path))
        assert result.exit_code == 0, result.output
        assert "valid" in result.stdout


def test_examples_validate_against_the_json_schema():
    import json

    import jsonschema
    import yaml

    schema = json.loads((EXAMPLES.parent / "hfsync" / "schemas" / "hfsync.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted(EXAMPLES.rglob("hfsync*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


@pytest.mark.parametrize(("text", "size"), [("8GB", 8 * 10**9), ("512MiB", 512 * 2**20), ("1.5 GiB", int(1.5 * 2**30)), ("100", 100)])
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_quiet_validate_prints_nothing_on_success(tmp_path):
    path = write(tmp_path, GOOD)
    result = hfsync("-q", "validate", "-f", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    bad = write(tmp_path, "version: 2\n", "bad.yaml")
    result = hfsync("-q", "validate", "-f", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:1:10: version: expected 1; got the number 2" in result.stderr


HOSTILE_YAML = [
    ("billion laughs", "version: 1\nx: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
     + "repos: []\n", "the document expands to more than 100000 values (aliases repeat what they name)"),
    ("laughs in card metadata", "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n"
     "    card:\n      metadata:\n        a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
         f"        {n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
     "the document expands to more than 100000 values"),
    ("deep flow nesting", "version: 1\nx: " + "[" * 20_000 + "]" * 20_000 + "\n", "2:67: nested more than 64 levels deep"),
    ("deep block nesting", "version: 1\n" + "".join(" " * i + f"k{i}:\n" for i in range(100)) + " " * 100 + "v: 1\n",
     "nested more than 64 levels deep"),
    ("NUL byte", "version: 1\nrepos: []\n# a\0b\n", "3:4: NUL character; a manifest is text"),
    ("control character", "version: 1\nrepos: []\nx: \x07\n", "3:4: invalid YAML: unacceptable character"),
    ("merge key", "version: 1\nbase: &b {private: true}\nrepos:\n  - <<: *b\n    id: acme/m\n    source: {path: models/sentiment}\n",
     "4:5: merge keys (<<) are not supported; write the keys out"),
    ("python tag", "version: 1\nx: !!python/name:os.system ''\n", "2:4: invalid YAML value: could not determine a constructor"),
    ("python tag on a list", "version: 1\nrepos: !!python/object:os.system [ls]\n", "2:8: invalid YAML value: the tag"),
    ("bad timestamp", "version: 1\nwhen: !!timestamp 2024-13-45\n", "2:7: invalid YAML value"),
]


@pytest.mark.parametrize(("name", "text", "expected"), HOSTILE_YAML, ids=[case[0] for case in HOSTILE_YAML])
def test_hostile_yaml_is_a_located_error(tmp_path, name, text, expected):
    import resource

    path = write(tmp_path, text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = hfsync("validate", "-f", str(path))
    assert result.exit_code == 1, result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output
    assert f"{path}:" in result.stderr and expected in result.stderr, result.stderr
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: no expansion in memory


def test_repo_and_pull_ids_differing_only_in_case_are_duplicates(tmp_path):
    one = write(tmp_path, "version: 1\nrepos:\n  - id: acme/m\n    source: {path: models/sentiment}\n"
                "pulls:\n  - id: Org/Base\n    dest: a\n", "one.yaml")
    two = write(tmp_path, "version: 1\nrepos:\n  - id: ACME/M\n    source: {path: models/sentiment}\n"
                "pulls:\n  - id: org/base\n    dest: b\n", "two.yaml")
    result = hfsync("validate", "-f", str(one), "-f", str(two))
    assert result.exit_code == 1
    assert (f"{two}:3:5: duplicate model 'ACME/M'; first declared at {one}:3:5 as 'acme/m' "
            "(the Hub does not tell repo ids apart by case)") in result.stderr
    assert f"{two}:6:5: duplicate pull of model 'org/base'; first declared at {one}:6:5 as 'Org/Base'" in result.stderr


def test_include_and_exclude_take_a_single_pattern(tmp_path):
    """`include: "*.safetensors"` is one pattern, as a person writes it, not a list of characters."""
    from hfsync.manifest.load import load

    (tmp_path / "m").mkdir()
    manifest = tmp_path / "hfsync.yaml"
    manifest.write_text('version: 1\nrepos:\n  - id: acme/m\n    source: {path: m, include: "*.safetensors", '
                        'exclude: "*.tmp"}\npulls:\n  - id: acme/base\n    include: "*.json"\n    dest: vendor/base\n')
    [loaded] = load([manifest]).manifests
    assert loaded.repos[0].source.include == ("*.safetensors",) and loaded.repos[0].source.exclude == ("*.tmp",)
    assert loaded.pulls[0].include == ("*.json",)
    manifest.write_text('version: 1\nrepos:\n  - id: acme/m\n    source: {path: m, include: ""}\n')
    result = hfsync("validate", "-f", str(manifest))
    assert result.exit_code == 1 and f"{manifest}:4:" in result.stderr
