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
