"""Read YAML keeping where every key and value came from.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two duplicate
keys; a manifest error must name file:line:column, and a duplicate key is a mistake.
So we compose the node graph and build plain Python values beside a position map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hfsync.errors import Problem

Key = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed YAML file: its data and the (line, column) of every value and key."""

    path: Path
    data: Any
    values: dict[Key, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Key, tuple[int, int]] = field(default_factory=dict)

    def where(self, key: Key, *, of_key: bool = False) -> tuple[int, int]:
        """Position of the value at ``key`` (or of its key), falling back to the parent."""
        table = self.keys if of_key else self.values
        probe = tuple(key)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, key: Key, message: str, *, of_key: bool = False) -> Problem:
        """A problem located at the value of ``key`` (at the key itself with ``of_key``)."""
        line, column = self.where(key, of_key=of_key)
        return Problem(str(self.path), line, column, message)


def _tab_problems(path: Path, text: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                Problem(
                    str(path),
                    number,
                    indent.index("\t") + 1,
                    "tab character in indentation; YAML indents with spaces only",
                )
            )
    return problems


def read(path: Path) -> tuple[Document | None, list[Problem]]:
    """Parse ``path``; return the document, or None with the problems that stop parsing."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem(str(path), None, None, "file not found")]
    except OSError as error:
        return None, [Problem(str(path), None, None, f"cannot read: {error.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [Problem(str(path), None, None, f"not UTF-8 text (byte {error.start})")]
    tabs = _tab_problems(path, text)
    if tabs:
        return None, tabs
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or "invalid YAML"
        if error.context:
            message = f"{error.context}: {message}" if error.problem else error.context
        message = f"invalid YAML: {message}"
        if mark is None:
            return None, [Problem(str(path), None, None, message)]
        return None, [Problem(str(path), mark.line + 1, mark.column + 1, message)]
    except yaml.YAMLError as error:
        return None, [Problem(str(path), None, None, f"invalid YAML: {error}")]
    finally:
        loader.dispose()
    if node is None:
        return None, [Problem(str(path), 1, 1, "empty file; expected a mapping with `version: 1`")]
    document = Document(path, None)
    problems: list[Problem] = []
    constructor = yaml.SafeLoader("")
    document.data = _build(node, (), document, problems, constructor)
    return document, problems


def _build(
    node: yaml.Node,
    key: Key,
    document: Document,
    problems: list[Problem],
    constructor: yaml.SafeLoader,
) -> Any:
    document.values[key] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem(
                        str(document.path),
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        "a mapping key must be a plain value",
                    )
                )
                continue
            name = str(constructor.construct_object(key_node))
            line = key_node.start_mark.line + 1
            if name in first_seen:
                problems.append(
                    Problem(
                        str(document.path),
                        line,
                        key_node.start_mark.column + 1,
                        f"duplicate key '{name}' (first at line {first_seen[name]})",
                    )
                )
                continue
            first_seen[name] = line
            document.keys[(*key, name)] = (line, key_node.start_mark.column + 1)
            result[name] = _build(value_node, (*key, name), document, problems, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*key, index), document, problems, constructor)
            for index, item in enumerate(node.value)
        ]
    return constructor.construct_object(node, deep=True)


def dotted(key: Key) -> str:
    """``("repos", 0, "source")`` -> ``repos[0].source``, the way users read paths."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the top level"
