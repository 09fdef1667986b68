"""What a plan checks of a dataset beyond its files: the card's viewer configs against the
tree as it will be after apply (the Hub's files, plus the uploads, minus what is pruned).
A problem is an error of the target; what was not checked is a warning saying so.
"""

from __future__ import annotations

from dataclasses import replace

from hfsync.cards.viewer import README, target_viewer
from hfsync.manifest.model import Manifest, RepoTarget
from hfsync.model.plan import Action, TargetChange
from hfsync.model.remote import RemoteRepo


def tree_after(remote: RemoteRepo, change: TargetChange) -> set[str]:
    """The paths the repo holds once ``change`` is applied."""
    deleted = {f.path for f in change.files if f.action == Action.DELETE}
    return (set(remote.files) | {f.path for f in change.files}) - deleted


def dataset_review(manifest: Manifest, target: RepoTarget, change: TargetChange, remote: RemoteRepo) -> TargetChange:
    """``change`` with the problems of its dataset card's configs as errors (warnings too)."""
    if target.type != "dataset":
        return change
    card = next((f for f in change.files if f.path == README and f.action != Action.DELETE), None)
    generated = card.content if card is not None and target.card.generate else None
    found = target_viewer(manifest, manifest.repos.index(target), target, tree_after(remote, change),
                          generated, remote.card_data)
    if not found.problems and not found.warnings:
        return change
    return replace(change, errors=(*change.errors, *map(str, found.problems)),
                   warnings=(*change.warnings, *map(str, found.warnings)))
