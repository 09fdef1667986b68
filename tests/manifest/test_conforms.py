"""manifest.conforms says "valid" exactly when jsonschema does, on hfsync's own schemas.

Checked against jsonschema itself: every example and test manifest, and every document
one edit away from a valid manifest or lock file (each value replaced by values of every
JSON type, each key removed, an unknown key added)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import yaml

from hfsync import schemas
from hfsync.manifest.conforms import conforms
from tests.manifest.test_load import BAD, EXAMPLES, GOOD, HOSTILE_YAML

MANIFEST = """\
version: 1
defaults: {namespace: acme, private: true}
policy: {licenses: [mit], safetensors_only: true, private_by_default: false, libraries: [peft]}
sources: ["https://mirror.example", "oci://registry.example/models"]
repos:
  - id: acme/m
    type: model
    private: false
    gated: auto
    description: a model
    revision: main
    tags: [v1]
    source: {path: m, include: ["*.json"], exclude: ["*.tmp"], prune: true, allow_unsafe: false}
    card: {generate: true, metadata: {license: mit, tags: [a]}, training: t.json, metrics: e.json}
  - id: acme/s
    type: space
    source: {path: s}
    space: {sdk: gradio, hardware: cpu-basic, variables: {A: "1"}}
pulls:
  - {id: org/base, type: model, revision: main, include: ["*.json"], exclude: ["x"], dest: vendor/base,
     allow_unsafe: false, variant: fp16, max_memory: 8GB}
  - {id: org/other, cache: true, max_memory: 1000}
"""
LOCK = {
    "version": 2,
    "pulls": [{
        "id": "org/base", "type": "model", "revision": "main", "commit": "a" * 40, "request": "b" * 16,
        "variant": {"name": "fp16", "reason": "fits"},
        "files": [{"path": "config.json", "size": 10, "git_oid": "c" * 40},
                  {"path": "model.safetensors", "size": 0, "sha256": "d" * 64, "xet_hash": "e" * 64}],
    }],
}
REPLACEMENTS = (None, True, False, 0, 1, 1.0, 1.5, -1, "", "x", "8GB", "auto", "model", "a" * 40, [], ["x"], [1],
                {}, {"x": 1}, {"id": "a/b"})


def _valid(document: Any, schema: dict[str, Any]) -> bool:
    return not any(jsonschema.Draft202012Validator(schema).iter_errors(document))


def _paths(value: Any, at: tuple = ()) -> Iterator[tuple]:
    yield at
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*at, index))


def _edited(document: Any) -> Iterator[Any]:
    """Every document one edit away from ``document``."""
    for path in _paths(document):
        if not path:
            continue
        *parent_path, last = path
        for new in (*REPLACEMENTS, "remove", "unknown key"):
            edited = copy.deepcopy(document)
            parent = edited
            for step in parent_path:
                parent = parent[step]
            if new == "remove":
                del parent[last]
            elif new == "unknown key":
                if not isinstance(parent[last], dict):
                    continue
                parent[last]["unknown"] = 1
            else:
                parent[last] = copy.deepcopy(new)
            yield edited


@pytest.mark.parametrize(("name", "document"), [("manifest", yaml.safe_load(MANIFEST)), ("lock", LOCK)])
def test_agrees_with_jsonschema_one_edit_away_from_a_valid_document(name, document):
    schema = schemas.load("hfsync" if name == "manifest" else "hfsync.lock")
    assert conforms(document, schema) is True and _valid(document, schema)
    disagree, invalid = [], 0
    for edited in _edited(document):
        quick, truth = conforms(edited, schema), _valid(edited, schema)
        invalid += not truth
        if quick is not None and quick != truth:
            disagree.append(edited)
        if truth:
            assert quick is True  # a valid document never needs jsonschema
    assert disagree == []
    assert invalid > 300  # the edits reach the failure paths, not only harmless spots


def test_agrees_with_jsonschema_on_every_test_and_example_manifest():
    schema = schemas.load("hfsync")
    # Not the billion laughs: the expanded document is what read() refuses to build.
    texts = [text for _, text, _ in (*BAD, *HOSTILE_YAML) if "&a" not in text] + [GOOD]
    texts += [p.read_text() for p in sorted(EXAMPLES.rglob("*.yaml")) if p.parent.name != "github"]
    checked = 0
    for text in texts:
        try:
            document = yaml.safe_load(text)
        except (yaml.YAMLError, RecursionError, ValueError):
            continue
        quick = conforms(document, schema)
        assert quick is None or quick == _valid(document, schema), text
        checked += 1
    assert checked > 40


def test_declines_what_it_does_not_evaluate():
    assert conforms("x", {"type": "string", "format": "email"}) is None
    assert conforms({"a": 1}, {"patternProperties": {"^a": {}}, "additionalProperties": False}) is None
    assert conforms(1, {"$ref": "other.json#/x"}) is None
    assert conforms([1], {"enum": [[1]]}) is None
    assert conforms(True, {"enum": [1]}) is False and conforms(1.0, {"const": 1}) is True
    assert conforms(2.0, {"type": "integer"}) is True and conforms(True, {"type": "integer"}) is False

