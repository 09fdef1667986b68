"""The manifest JSON Schema, and its errors said the way a person reads a manifest."""

from __future__ import annotations

import difflib
import json
import re
from typing import TYPE_CHECKING, Any

from hfsync import schemas
from hfsync.errors import Problem
from hfsync.manifest.conforms import conforms
from hfsync.manifest.yamlpos import Document, Key, dotted

if TYPE_CHECKING:
    import jsonschema


def schema() -> dict[str, Any]:
    """The manifest JSON Schema (hfsync/schemas/hfsync.schema.json)."""
    return schemas.load("hfsync")


_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "boolean": "true or false",
    "integer": "an integer",
    "number": "a number",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the string {str(value)!r}"


def schema_problems(document: Document, against: dict[str, Any] | None = None) -> list[Problem]:
    """Every violation of ``against`` (default: the manifest schema) in ``document``, located and explained.

    A valid document is recognised without jsonschema (manifest.conforms); only one that
    may not be valid pays for importing it, which finds and explains the errors."""
    against = against or schema()
    if conforms(document.data, against):
        return []
    import jsonschema

    validator = jsonschema.Draft202012Validator(against)
    problems = []
    for error in validator.iter_errors(document.data):
        problems.extend(_explain(document, error))
    return problems


def schema_error_paths(data: Any) -> list[tuple[str | int, ...]]:
    """Where in ``data`` the manifest schema finds something wrong (empty when it is valid)."""
    against = schema()
    if conforms(data, against):
        return []
    import jsonschema

    return [tuple(error.absolute_path) for error in jsonschema.Draft202012Validator(against).iter_errors(data)]


def _did_you_mean(name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _explain(document: Document, error: jsonschema.ValidationError) -> list[Problem]:
    key: Key = tuple(error.absolute_path)
    where = dotted(key)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return [
            document.problem(
                (*key, name),
                f"unknown key '{name}' in {where}{_did_you_mean(name, allowed)}; expected one of: {', '.join(allowed)}",
                of_key=True,
            )
            for name in extra
        ]
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else "?"
        return [document.problem(key, f"{where} is missing the required key '{name}'")]
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return [document.problem(key, f"{where}: expected {wanted}, got {_describe(error.instance)}")]
    if kind == "enum":
        options = ", ".join(json.dumps(v) for v in error.validator_value)
        hint = _did_you_mean(error.instance, [str(v) for v in error.validator_value]) if isinstance(
            error.instance, str) else ""
        return [document.problem(key, f"{where}: expected one of {options}; got {_describe(error.instance)}{hint}")]
    if kind == "const":
        expected = json.dumps(error.validator_value)
        return [document.problem(key, f"{where}: expected {expected}; got {_describe(error.instance)}")]
    if kind == "minLength":
        return [document.problem(key, f"{where}: must not be empty")]
    if kind == "pattern" and "expected" in error.schema:
        return [document.problem(key, f"{where}: expected {error.schema['expected']}; got {_describe(error.instance)}")]
    if key and key[-1] == "max_memory":
        return [document.problem(key, f"{where}: expected a size such as 8GB or 512MiB, or a number of bytes")]
    return [document.problem(key, f"{where}: {error.message}")]
