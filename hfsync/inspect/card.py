"""A model card (README.md): its YAML front matter compared by key, its body as text."""

from __future__ import annotations

from typing import Any

import yaml

from hfsync.inspect.bounded import load_yaml, reading
from hfsync.inspect.jsonkeys import diff_json
from hfsync.inspect.text import unified
from hfsync.model.inspect import Entry


def split(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body). A card without front matter, or with front matter that is
    not a YAML mapping, is all body; front matter past the bounds of ``load_yaml`` raises
    ``Exceeded``."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    try:  # libyaml when there: a card's front matter may be large (eval results), and is read twice per diff
        front = load_yaml(text[3:end])
    except yaml.YAMLError:
        return {}, text
    if not isinstance(front, dict):
        return {}, text
    body = text[end + 4 :].removeprefix("\n")
    return front, body


def diff_card(old: str, new: str) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
    """(front matter keys old -> new, prefixed ``card.``; the body's unified diff)."""
    with reading("the new front matter"):
        new_front, new_body = split(new)
    with reading("the Hub's front matter"):
        old_front, old_body = split(old)
    entries = tuple(Entry(f"card.{e.key}", e.old, e.new) for e in diff_json(_plain(old_front), _plain(new_front)))
    return entries, unified(old_body, new_body)


def _plain(value: Any) -> Any:
    """YAML's dates and the like as strings, so the entries stay JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
