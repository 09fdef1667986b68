"""The quick "valid" for hfsync's own schemas, without importing jsonschema.

jsonschema is the authority on what a schema means and says every error; importing it
(its referencing and attrs chain, its format checkers, the metaschemas it reads) costs
more than the rest of `hfsync validate`, which pre-commit runs on every commit. Most
documents are valid, so ``conforms`` answers that question alone for the keywords
hfsync's schemas use, with jsonschema's semantics (Draft 2020-12), and declines to
answer (None) on any other keyword or reference. A document it does not call valid goes
to jsonschema, which finds and explains the errors: the texts are jsonschema's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# Keywords that do not constrain the instance.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default",
                          "deprecated", "readOnly", "writeOnly", "expected"})


class _Unknown(Exception):
    """A keyword or reference this module does not evaluate: jsonschema decides."""


def conforms(instance: Any, schema: dict[str, Any]) -> bool | None:
    """Whether ``instance`` is valid against ``schema`` as jsonschema's Draft202012Validator
    judges it; None when the schema uses something not evaluated here."""
    try:
        return _valid(instance, schema, schema)
    except _Unknown:
        return None


def _valid(instance: Any, schema: Any, root: dict[str, Any]) -> bool:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, dict):
        raise _Unknown(repr(schema))
    for keyword, value in schema.items():
        check = _KEYWORDS.get(keyword)
        if check is None:
            if keyword in _ANNOTATIONS:
                continue
            raise _Unknown(keyword)
        if not check(instance, value, schema, root):
            return False
    return True


def _is(instance: Any, name: str) -> bool:
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if name == "number":
        return isinstance(instance, int | float)
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    raise _Unknown(f"type {name}")


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality (its _utils.equal) where one side is not a container."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list | dict) and isinstance(two, list | dict):
        raise _Unknown("equality of containers")
    if isinstance(one, bool) or isinstance(two, bool):  # true is not 1
        return type(one) is type(two) and bool(one == two)
    return bool(one == two)


def _type(instance: Any, value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    names = [value] if isinstance(value, str) else value
    return any(_is(instance, name) for name in names)


def _properties(instance: Any, value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(_valid(instance[name], sub, root) for name, sub in value.items() if name in instance)


def _additional(instance: Any, value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        raise _Unknown("patternProperties")
    known = schema.get("properties", {})
    return all(_valid(instance[name], value, root) for name in instance if name not in known)


def _required(instance: Any, value: list[Any], schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, dict) or all(name in instance for name in value)


def _items(instance: Any, value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if "prefixItems" in schema:
        raise _Unknown("prefixItems")
    return not isinstance(instance, list) or all(_valid(item, value, root) for item in instance)


def _enum(instance: Any, value: list[Any], schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return any(_equal(instance, option) for option in value)


def _const(instance: Any, value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return _equal(instance, value)


def _min_length(instance: Any, value: int, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, str) or len(instance) >= value


def _pattern(instance: Any, value: str, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, str) or re.search(value, instance) is not None


def _minimum(instance: Any, value: float, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not _is(instance, "number") or instance >= value


def _one_of(instance: Any, value: list[Any], schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return sum(1 for sub in value if _valid(instance, sub, root)) == 1


def _ref(instance: Any, value: str, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    prefix = "#/$defs/"
    name = value[len(prefix):] if value.startswith(prefix) else None
    defs = root.get("$defs", {})
    if name is None or "/" in name or "~" in name or name not in defs:
        raise _Unknown(f"$ref {value}")
    return _valid(instance, defs[name], root)


_KEYWORDS: dict[str, Callable[[Any, Any, dict[str, Any], dict[str, Any]], bool]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "enum": _enum,
    "const": _const,
    "minLength": _min_length,
    "pattern": _pattern,
    "minimum": _minimum,
    "oneOf": _one_of,
    "$ref": _ref,
    "$defs": lambda instance, value, schema, root: True,  # definitions, used through $ref
}
