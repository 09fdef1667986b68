"""Adding pulls to a manifest by editing its text, so its comments and layout survive.

A YAML round trip would not keep the file as its authors wrote it: PyYAML drops
comments, and ruamel.yaml (tried against the tests in tests/discover/test_add.py) moves
a comment that follows the list above the new items, re-indents an unindented list and
adds blank lines. So the new list items are appended to the text under the top-level
``pulls:`` block (or a new block is added at the end). The result is checked with
``manifest.load`` and rolled back if it does not validate. Every write is atomic.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hfsync.errors import HfsyncError, ManifestError
from hfsync.manifest.load import load
from hfsync.paths import atomic_write

_PULLS_KEY = re.compile(r"^pulls:[ \t]*(?P<value>[^#\s][^#]*?)?[ \t]*(?P<comment>#.*)?$")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)-(?:[ \t]|$)")


@dataclass(frozen=True)
class NewPull:
    """A pull to add: the repo, its type, and where it goes."""

    id: str
    type: str = "model"
    dest: str | None = None

    def default_dest(self) -> str:
        return self.dest or f"vendor/{self.id.split('/')[-1]}"


@dataclass(frozen=True)
class AddResult:
    """What adding pulls did to one manifest."""

    path: Path
    added: tuple[NewPull, ...]
    skipped: tuple[str, ...]  # already pulled by this manifest
    created: bool


def _item_lines(pull: NewPull, indent: str, newline: str) -> list[str]:
    lines = [f"{indent}- id: {pull.id}"]
    if pull.type != "model":
        lines.append(f"{indent}  type: {pull.type}")
    lines.append(f"{indent}  dest: {pull.default_dest()}")
    return [line + newline for line in lines]


def insert_pulls(text: str, pulls: Sequence[NewPull]) -> str:
    """``text`` with ``pulls`` appended as items of its top-level ``pulls:`` list."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    start = next((i for i, line in enumerate(lines) if line.startswith("pulls:")), None)
    if start is None:
        items = [line for p in pulls for line in _item_lines(p, "  ", newline)]
        return "".join([*lines, f"pulls:{newline}", *items])
    match = _PULLS_KEY.match(lines[start].rstrip("\r\n"))
    value = (match.group("value") or "").strip() if match else "?"
    if value in ("[]", "null", "~"):
        comment = match.group("comment") if match else None
        lines[start] = f"pulls:{'  ' + comment if comment else ''}{newline}"
    elif value:
        raise HfsyncError(
            f"cannot add to 'pulls: {value}': the list is written in flow style.",
            hint="Write pulls as a block list (one '- id: ...' item per entry), then retry.",
        )
    # The block runs until the next line at column 0 that is neither a comment nor a
    # list item of an unindented sequence; new items go after its last content line.
    last = start
    indent = None
    for index in range(start + 1, len(lines)):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        item = _ITEM.match(line)
        if not line[0].isspace() and not item:
            break
        if item and indent is None:
            indent = item.group("indent")
        last = index
    items = [line for p in pulls for line in _item_lines(p, indent if indent is not None else "  ", newline)]
    return "".join([*lines[: last + 1], *items, *lines[last + 1 :]])




def add_pulls(path: Path, pulls: Sequence[NewPull]) -> AddResult:
    """Append ``pulls`` to the manifest at ``path`` (created if missing), keeping its text.

    Repos the manifest already pulls are skipped. The edited manifest must load; if it
    does not, the file is put back as it was and the ManifestError is raised.
    """
    created = not path.exists()
    if created:
        original = None
        text = "version: 1\n"
        existing: set[tuple[str, str]] = set()
        dests: set[str] = set()
    else:
        workspace = load([path])  # refuse to edit a manifest that is already broken
        original = path.read_bytes()
        text = original.decode("utf-8")
        manifest = workspace.manifests[0]
        existing = {(p.type, p.id) for p in manifest.pulls}
        dests = {os.path.relpath(p.dest, manifest.root) for p in manifest.pulls if p.dest}
    added: list[NewPull] = []
    skipped: list[str] = []
    for pull in pulls:
        if (pull.type, pull.id) in existing:
            skipped.append(pull.id)
            continue
        existing.add((pull.type, pull.id))
        dest = pull.default_dest()
        if os.path.normpath(dest) in dests:
            # Two repos with one name from different namespaces: keep both apart.
            dest = f"vendor/{pull.id.replace('/', '--')}"
        dests.add(os.path.normpath(dest))
        added.append(NewPull(pull.id, pull.type, dest))
    if not added:
        return AddResult(path, (), tuple(skipped), False)
    atomic_write(path, insert_pulls(text, added))
    try:
        load([path])
    except ManifestError:
        if original is None:
            path.unlink()
        else:
            atomic_write(path, original.decode("utf-8"))
        raise
    return AddResult(path, tuple(added), tuple(skipped), created)
