"""What `hfsync validate` checks of publishing, without network: each repo target's card
(declared metadata, README front matter, the files a card is generated from) and the
manifest's publish policy. Plan checks the same, and more, in publish.gate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hfsync.cards.check import front_matter, target_problems
from hfsync.cards.generate import README, read_inputs
from hfsync.cards.viewer import target_viewer
from hfsync.errors import HfsyncError, ManifestError, Problem
from hfsync.hubfacts import license_of
from hfsync.manifest import load as loading
from hfsync.manifest.model import Manifest, RepoTarget
from hfsync.manifest.policy import located, publish_problems
from hfsync.publish.source import source_files


def card_license(target: RepoTarget, card: str | None) -> str | None:
    """The license the card of ``target`` declares: the manifest's, else the front matter
    of ``card`` (the text to publish) or, when None, of the source's README.md."""
    if "license" in target.card.metadata:
        return license_of(target.card.metadata)
    readme = target.source.path / README
    text = card if card is not None else (readme.read_text(encoding="utf-8", errors="replace")
                                          if readme.is_file() else None)
    if text is None or not text.startswith("---"):
        return None
    try:
        return license_of(front_matter(text))
    except ValueError:
        return None  # the card check reports front matter that cannot be read


def _local_license(target: RepoTarget, files: list[str]) -> str | None:
    """The license of the card apply would publish, as far as the disk decides it; the
    inputs of a card to generate are read (HfsyncError naming one that cannot be)."""
    if target.card.generate and not (target.source.path / README).is_file():
        # A generated card's license is the manifest's: what it is built from is only read.
        read_inputs(target, files)
    # The manifest's license, else a README's own (the manifest's metadata merges over it).
    return card_license(target, None)


def offline_problems(manifests: Iterable[Manifest], warnings: list[Problem] | None = None) -> list[Problem]:
    """Card and publish-policy problems of every repo target, without network
    (what `hfsync validate` adds to the schema checks); what was not checked, and why,
    goes to ``warnings``."""
    problems: list[Problem] = []
    for manifest in manifests:
        for index, target in enumerate(manifest.repos):
            try:
                files = source_files(target)
                problems += target_problems(manifest, index, target, files)
                viewer = target_viewer(manifest, index, target, files)
                problems += viewer.problems
                if warnings is not None:
                    warnings += viewer.warnings
                violations = publish_problems(manifest.policy, target, _local_license(target, files), files)
                problems += located(manifest, index, target, violations)
            except HfsyncError as error:
                problems.append(Problem(str(manifest.path), target.location.line, None, error.explained()))
    return problems


@dataclass(frozen=True)
class Validation:
    """What `hfsync validate` found: every problem, the manifests read (none when they could
    not be loaded), and what to do about the problems."""

    problems: list[Problem]
    manifests: tuple[Manifest, ...] = ()
    hint: str | None = None
    warnings: tuple[Problem, ...] = ()


def validate(paths: Sequence[Path]) -> Validation:
    """Load the manifests at ``paths`` and check them as `hfsync validate` does, without network."""
    try:
        workspace = loading.load(paths)
    except ManifestError as error:
        return Validation(error.problems, (), error.hint)
    warnings: list[Problem] = []
    problems = offline_problems(workspace.manifests, warnings)
    return Validation(problems, workspace.manifests,
                      "Fix the manifest (or the README.md named) and run `hfsync validate` again.", tuple(warnings))
