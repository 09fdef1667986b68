"""Read YAML keeping where every key and value came from.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two duplicate
keys; a manifest error must name file:line:column, and a duplicate key is a mistake.
So we compose the node graph and build plain Python values beside a position map.

A manifest is a stranger's input too: a NUL byte, nesting deeper than ``MAX_DEPTH``
(found by the scanner, which does not recurse, before the composer, which does), aliases
that expand past ``MAX_VALUES`` values (a "billion laughs"), merge keys (``<<``) and
tags without a plain meaning are each refused as a located problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hfsync.errors import Problem

Key = tuple[str | int, ...]

# Far beyond any manifest, far below what exhausts memory or the stack.
MAX_DEPTH = 64
MAX_VALUES = 100_000
_OPENS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
          yaml.FlowSequenceStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
_PLAIN = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


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
    return parse(path, text)


def parse(path: Path, text: str) -> tuple[Document | None, list[Problem]]:
    """Parse ``text`` (read from ``path``, which problems name) as ``read`` parses a file."""
    tabs = _tab_problems(path, text)
    if tabs:
        return None, tabs
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        column = text.index("\0") - (text.rfind("\n", 0, text.index("\0")) + 1) + 1
        return None, [Problem(str(path), line, column, "NUL character; a manifest is text")]
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # reads the text: a character YAML refuses stops it here
        node = _fast_node(path, text)
        if node is None:
            _check_depth(path, text)
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
    except _Refused as refused:
        return None, [refused.problem]
    except yaml.YAMLError as error:
        return None, [Problem(str(path), *_reader_position(text, error), f"invalid YAML: {error}")]
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None, [Problem(str(path), 1, 1, "empty file; expected a mapping with `version: 1`")]
    document = Document(path, None)
    problems: list[Problem] = []
    constructor = yaml.SafeLoader("")
    try:
        document.data = _build(node, (), document, problems, constructor, [MAX_VALUES])
    except _Refused as refused:
        return None, [refused.problem]
    return document, problems


class _Refused(Exception):
    """A document refused as a whole, at one place."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _at(path: Path, mark: yaml.Mark | None, message: str) -> Problem:
    if mark is None:
        return Problem(str(path), None, None, message)
    return Problem(str(path), mark.line + 1, mark.column + 1, message)


def _fast_node(path: Path, text: str) -> yaml.Node | None:
    """The node graph of ``text`` composed by libyaml, when PyYAML has it: the same nodes
    and marks in a fraction of the time. None when libyaml is missing or refuses the text:
    PyYAML's own parser then reads it again, and its messages are the ones reported."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return None
    loader = None
    try:
        _check_depth(path, text, fast)
        loader = fast(text)
        return loader.get_single_node() or None
    except yaml.YAMLError:
        return None
    finally:
        if loader is not None:
            loader.dispose()


def _check_depth(path: Path, text: str, loader: type = yaml.SafeLoader) -> None:
    """Refuse nesting past MAX_DEPTH, reading tokens (the scanner does not recurse)."""
    depth = 0
    for token in yaml.scan(text, Loader=loader):
        if isinstance(token, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(_at(path, token.start_mark, f"nested more than {MAX_DEPTH} levels deep"))
        elif isinstance(token, _CLOSES):
            depth -= 1


def _reader_position(text: str, error: yaml.YAMLError) -> tuple[int | None, int | None]:
    position = getattr(error, "position", None)  # a ReaderError (a character YAML refuses)
    if not isinstance(position, int):
        return None, None
    return text.count("\n", 0, position) + 1, position - (text.rfind("\n", 0, position) + 1) + 1


def _build(
    node: yaml.Node,
    key: Key,
    document: Document,
    problems: list[Problem],
    constructor: yaml.SafeLoader,
    budget: list[int],
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _Refused(_at(document.path, node.start_mark, f"the document expands to more than {MAX_VALUES} "
                           "values (aliases repeat what they name); a manifest needs far fewer"))
    document.values[key] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN:
        raise _Refused(_at(document.path, node.start_mark, f"invalid YAML value: the tag {node.tag!r} is not "
                           "supported; a manifest holds plain mappings, lists and values"))
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
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(_at(document.path, key_node.start_mark,
                                    "merge keys (<<) are not supported; write the keys out"))
                continue
            name = str(_scalar(key_node, document, constructor))
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
            result[name] = _build(value_node, (*key, name), document, problems, constructor, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*key, index), document, problems, constructor, budget)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, document, constructor)


def _scalar(node: yaml.Node, document: Document, constructor: yaml.SafeLoader) -> Any:
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise _Refused(_at(document.path, node.start_mark, f"invalid YAML value: {problem}")) from None


def dotted(key: Key) -> str:
    """``("repos", 0, "source")`` -> ``repos[0].source``, the way users read paths."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the top level"
