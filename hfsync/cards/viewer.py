"""A dataset card's ``configs`` as the viewer will read them, each problem located.

The configs that count are the manifest's ``card.metadata.configs`` when it declares
them (they replace the README's), else the front matter of the card to publish (the
source's README.md, a generated one, or the Hub's). Problems name the manifest's or the
README's line; a card held only by the Hub has no line to name.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfsync.cards.check import FRONT_MATTER
from hfsync.cards.configs import Checked, Config, Key, check
from hfsync.cards.generate import README
from hfsync.errors import Problem
from hfsync.manifest.model import Manifest, RepoTarget
from hfsync.manifest.yamlpos import Document, parse, read


@dataclass(frozen=True)
class Viewer:
    """The configs resolved (empty when the card declares none), and what is wrong with them."""

    configs: tuple[Config, ...] = ()
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    declared: bool = False


def _card_document(text: str, label: str) -> tuple[Document | None, list[Problem]]:
    """The card's front matter with positions that are the card's own lines."""
    match = FRONT_MATTER.search(text)
    if match is None:
        return None, []
    before = text[: match.start(2)].count("\n")
    return parse(Path(label), "\n" * before + match.group(2))


def _located(checked: Checked, place: Any) -> Viewer:
    return Viewer(tuple(checked.configs), tuple(place(k, m) for k, m in checked.problems),
                  tuple(place(k, m) for k, m in checked.warnings), True)


def from_card(text: str, label: str, files: Collection[str]) -> Viewer:
    """The ``configs`` of the card ``text`` (named ``label`` in problems) against ``files``."""
    if not text.startswith("---"):
        return Viewer()
    document, problems = _card_document(text, label)
    if document is None:
        return Viewer()  # front matter that is not YAML: the card check (cards.check) reports it
    data = document.data if isinstance(document.data, dict) else {}
    if "configs" not in data:
        return Viewer()
    located = _located(check(data["configs"], files), lambda k, m: document.problem(("configs", *k), m))
    return Viewer(located.configs, (*problems, *located.problems), located.warnings, True)


def from_manifest(manifest: Manifest, index: int, target: RepoTarget, files: Collection[str]) -> Viewer:
    """The ``configs`` the manifest declares in ``card.metadata`` against ``files``."""
    checked = check(target.card.metadata["configs"], files)
    document, _ = read(manifest.path)
    base: Key = ("repos", index, "card", "metadata", "configs")

    def place(key: Key, message: str) -> Problem:
        if document is None:
            return Problem(str(manifest.path), target.location.line, None, message)
        return document.problem((*base, *key), message)

    return _located(checked, place)


def from_data(configs: Any, label: str, files: Collection[str]) -> Viewer:
    """``configs`` known only as data (the Hub's card data), problems named by ``label``."""
    return _located(check(configs, files), lambda k, m: Problem(label, None, None, m))


def target_viewer(manifest: Manifest, index: int, target: RepoTarget, files: Collection[str],
                  generated: str | None = None, hub_card: Mapping[str, Any] | None = None) -> Viewer:
    """The configs of ``target``'s card against ``files`` (what the repo will hold): the
    manifest's when it declares them, else the source's README.md's, else those of the card
    ``generated`` for it, else (``hub_card``: the Hub's card data) the Hub's card's."""
    if target.type != "dataset":
        return Viewer()
    if "configs" in target.card.metadata:
        return from_manifest(manifest, index, target, files)
    readme = target.source.path / README
    if readme.is_file():
        return from_card(readme.read_text(encoding="utf-8", errors="replace"), str(readme), files)
    if generated is not None:
        return from_card(generated, f"{README} (generated)", files)
    if hub_card is not None and not target.card.generate and "configs" in hub_card:
        return from_data(hub_card["configs"], f"the Hub's {README} of {target.key}", files)
    return Viewer()
