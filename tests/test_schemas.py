"""The published JSON Schemas: one source, the repository's top-level schemas/, which the package
ships byte for byte (its files link there and the build copies what they lead to)."""

from __future__ import annotations

import json
from pathlib import Path

from hfsync import schemas

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_ships_exactly_the_published_schemas():
    published = {p.name.removesuffix(".schema.json"): p.read_bytes() for p in (ROOT / "schemas").glob("*.json")}
    shipped = {name: (ROOT / "hfsync" / "schemas" / f"{name}.schema.json").read_bytes() for name in schemas.NAMES}
    assert sorted(published) == sorted(schemas.NAMES)
    assert shipped == published


def test_each_schema_has_a_stable_id_named_like_its_file():
    for name in schemas.NAMES:
        schema = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
        assert schema["$id"] == f"https://hfsync.dev/schemas/{name}.schema.json"
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_hfsync_schema_prints_each_one():
    from tests.helpers import hfsync

    for name in schemas.NAMES:
        result = hfsync("schema", name)
        assert result.exit_code == 0
        assert result.stdout == (ROOT / "schemas" / f"{name}.schema.json").read_text()


def test_the_readme_reference_is_the_one_the_schema_makes():
    from hfsync.render.reference import BEGIN, END, reference

    readme = (ROOT / "README.md").read_text()
    written = readme.split(BEGIN + "\n", 1)[1].split(END, 1)[0]
    assert written == reference(), "the README's manifest reference is stale: run `python scripts/reference.py`"


def test_hfsync_schema_reference_prints_it():
    from hfsync.render.reference import reference
    from tests.helpers import hfsync

    result = hfsync("schema", "--reference")
    assert result.exit_code == 0
    assert result.stdout == reference()
    assert "| `repos[].space.secrets.NAME.env` | string | required | `env: OPENAI_KEY` |" in result.stdout
    assert "| `repos[].commit.max_files` | integer | `100` | `max_files: 50` |" in result.stdout


def test_every_manifest_key_has_a_meaning_and_an_example_the_schema_accepts():
    import jsonschema

    from hfsync.render.reference import keys

    defs = schemas.load("hfsync")["$defs"]
    listed = keys()
    assert len(listed) > 80
    for key, node, _ in listed:
        assert node.get("description"), f"{key} has no description"
        assert node.get("examples"), f"{key} has no example"
        check = jsonschema.Draft202012Validator({**node, "$defs": defs})
        for value in [*node["examples"], *([node["default"]] if "default" in node else [])]:
            assert not list(check.iter_errors(value)), f"{key}: {value!r} is not valid for it"


def test_a_key_added_to_the_schema_without_the_reference_fails_the_check(monkeypatch):
    from hfsync.render import reference as module

    before = module.reference()
    grown = json.loads(schemas.text("hfsync"))
    grown["properties"]["telemetry"] = {"type": "boolean", "description": "Send usage data.", "examples": [False]}
    monkeypatch.setattr(module.schemas, "load", lambda name: grown)
    after = module.reference()
    assert after != before
    assert "| `telemetry` | boolean | — | `telemetry: false` | Send usage data. |" in after
