"""JSON and YAML from strangers, parsed within bounds on depth and size.

Python's parsers recurse once per level of nesting (JSON: ``RecursionError`` past about
a thousand levels; YAML's composer likewise), and YAML's aliases let a few lines stand
for billions of values once expanded (a "billion laughs"), or for a value that holds
itself. So depth is measured before anything recurses, in linear time (JSON: the
brackets outside strings; YAML: the scanner's tokens, which it reads without
recursion), and YAML's aliases are counted as expanded before any value is built.
Past a bound, ``Exceeded`` says which, in words a plan shows after "no diff:".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate
from typing import Any

import yaml

# Far beyond any config, card or header a person or a tool writes, far below the stack.
MAX_DEPTH = 64
# Values of a YAML document once its aliases are expanded.
MAX_YAML_VALUES = 100_000


class Exceeded(ValueError):
    """The input is past a bound a reader keeps to; the message says which (``nests deeper than ...``)."""


@contextmanager
def reading(what: str) -> Iterator[None]:
    """``Exceeded`` raised inside, said of ``what`` ("the new file"): which side passed a bound."""
    try:
        yield
    except Exceeded as error:
        raise Exceeded(f"{what} {error}") from None


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def check_json(data: bytes | str, max_values: int | None = None) -> None:
    """Refuse JSON nesting deeper than MAX_DEPTH, or (``max_values``) holding more values,
    counted as separators and brackets outside strings: linear, in C, before any parse."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if max_values is not None and (count := raw.count(b",") + 1) > max_values:
        # Commas in strings count too: refused before the copies below, of a header of up to 100 MB.
        raise Exceeded(f"holds about {count:,} values, over the {max_values:,} a diff reads")
    bare = _STRING.sub(b"", raw)
    steps = memoryview(bare.translate(_BRACKETS, _NOT_BRACKETS)).cast("b")
    if max(accumulate(steps), default=0) > MAX_DEPTH:
        raise Exceeded(f"nests deeper than {MAX_DEPTH} levels")
    if max_values is not None and (count := bare.count(b",") + len(steps) // 2 + 1) > max_values:
        raise Exceeded(f"holds about {count:,} values, over the {max_values:,} a diff reads")


def load_json(data: bytes | str, max_values: int | None = None, **hooks: Any) -> Any:
    """``json.loads(data, **hooks)`` after ``check_json``: ValueError when it is not JSON,
    ``Exceeded`` past a bound."""
    check_json(data, max_values)
    return json.loads(data, **hooks)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
          yaml.FlowSequenceStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def load_yaml(text: str, loader: type = _LOADER) -> Any:
    """``yaml.safe_load(text)`` within bounds (see ``compose_yaml``), read by ``loader``
    (libyaml's when there)."""
    node = compose_yaml(text, loader)
    return None if node is None else yaml.SafeLoader("").construct_document(node)


def compose_yaml(text: str, loader: type = _LOADER) -> yaml.Node | None:
    """The node graph of ``text`` within bounds: nesting deeper than MAX_DEPTH, more than
    MAX_YAML_VALUES values with aliases expanded, or an alias inside the value it names
    raise ``Exceeded``; YAML's own errors are ``yaml.YAMLError`` as from ``safe_load``."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=loader):
            if isinstance(token, _OPENS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise Exceeded(f"nests deeper than {MAX_DEPTH} levels")
            elif isinstance(token, _CLOSES):
                depth -= 1
    except yaml.MarkedYAMLError as error:
        if "nesting depth" in (error.problem or ""):  # libyaml's own bound, reached as it reads ahead
            raise Exceeded(f"nests deeper than {MAX_DEPTH} levels") from None
        raise
    node = yaml.compose(text, Loader=loader)
    if node is not None:
        _expanded(node, {}, set())
    return node


def _expanded(node: yaml.Node, sizes: dict[int, tuple[int, int]], open_: set[int]) -> tuple[int, int]:
    """(values, levels of collections) of ``node`` with its aliases expanded. Memoised by node: an alias
    is the node it names, met again, so this recurses only as deep as the text nests."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_:
        raise Exceeded("holds an alias inside the value it names (a value that contains itself)")
    values, depth = 1, 0
    if isinstance(node, yaml.CollectionNode):
        open_.add(id(node))
        items = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        for item in items:
            size, deep = _expanded(item, sizes, open_)
            values, depth = values + size, max(depth, deep + 1)
            if values > MAX_YAML_VALUES:
                raise Exceeded(f"expands to more than {MAX_YAML_VALUES:,} values (aliases repeat what they name)")
            if depth > MAX_DEPTH:
                raise Exceeded(f"nests deeper than {MAX_DEPTH} levels once its aliases are expanded")
        open_.discard(id(node))
    sizes[id(node)] = (values, depth)
    return values, depth
