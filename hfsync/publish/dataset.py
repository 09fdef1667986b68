"""What a plan checks of a dataset beyond its files: the card's viewer configs against the
tree as it will be after apply (the Hub's files, plus the uploads, minus what is pruned),
and the files of each split against each other: Parquet shards whose schemas disagree
are an error naming the column and the files; CSV and JSON Lines files whose inferred
column types disagree, and Parquet files the viewer cannot show as they are, are warnings.
The splits are the card's configs, or the Hub's layout conventions when it declares none.
Files are read from the source folder (cards.describe: a Parquet file's footer, a text
file's first 64 kB, each remembered until it changes); files only the Hub holds are named
as not compared.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from hfsync.cards.datafiles import format_of, infer_splits
from hfsync.cards.describe import describable, describe
from hfsync.cards.viewer import README, target_viewer
from hfsync.errors import HfsyncError
from hfsync.inspect import parquet
from hfsync.manifest.model import Manifest, RepoTarget
from hfsync.model.plan import Action, TargetChange
from hfsync.model.remote import RemoteRepo
from hfsync.units import few


def tree_after(remote: RemoteRepo, change: TargetChange) -> set[str]:
    """The paths the repo holds once ``change`` is applied."""
    deleted = {f.path for f in change.files if f.action == Action.DELETE}
    return (set(remote.files) | {f.path for f in change.files}) - deleted


Splits = dict[str, dict[str, list[str]]]


def split_checks(root: Path, splits: Splits, local: Collection[str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) of the files of each split (config -> split -> files) read from ``root``."""
    errors: list[str] = []
    warnings: list[str] = []
    wanted = sorted({f for by_split in splits.values() for files in by_split.values() for f in files
                     if f in local and describable(f)})
    found = describe(root, wanted)
    for path in wanted:
        described = found[path]
        if described.problem is not None:
            warnings.append(f"{path}: {described.problem}")
        elif format_of(path) == "parquet":
            warnings += [f"{path}: {w}" for w in parquet.warnings(described.footer())]
    for config, by_split in splits.items():
        for split, files in by_split.items():
            where = f"split '{split}' of config '{config}'"
            remote_only = sorted(f for f in files if f not in local and describable(f))
            if remote_only:
                warnings.append(f"{where}: {len(remote_only)} file(s) only on the Hub not compared with the "
                                f"others: {few(remote_only)}")
            read = [(f, found[f]) for f in files if f in found and found[f].problem is None]
            shards = [(f, d.footer()) for f, d in read if format_of(f) == "parquet"]
            texts = [(f, parquet.Footer({n: parquet.Column(t) for n, t in d.columns.items() if t != "null"}))
                     for f, d in read if format_of(f) != "parquet"]
            errors += [f"{where}: the Parquet shards disagree: {d}; the viewer needs one schema per split"
                       for d in parquet.disagreements(shards)]
            warnings += [f"{where}: the files' inferred column types disagree: {d}"
                         for d in parquet.disagreements(texts)]
    return errors, warnings


def dataset_review(manifest: Manifest, target: RepoTarget, change: TargetChange, remote: RemoteRepo,
                   local: Collection[str] = ()) -> TargetChange:
    """``change`` with the problems of its dataset card's configs and of its splits' files
    as errors, and what the viewer may not show as warnings; ``local``: the source's files."""
    if target.type != "dataset":
        return change
    card = next((f for f in change.files if f.path == README and f.action != Action.DELETE), None)
    generated = card.content if card is not None and target.card.generate else None
    tree = tree_after(remote, change)
    found = target_viewer(manifest, manifest.repos.index(target), target, tree, generated, remote.card_data)
    errors, warnings = [str(p) for p in found.problems], [str(p) for p in found.warnings]
    splits = {c.name: c.splits for c in found.configs} if found.declared else {"default": infer_splits(sorted(tree))}
    if not errors:
        try:
            more_errors, more_warnings = split_checks(target.source.path, splits, set(local))
        except HfsyncError as error:  # pyarrow missing: named with the extra that brings it
            more_errors, more_warnings = [], [f"Parquet files not compared: {error.explained()}"]
        except OSError as error:
            more_errors, more_warnings = [f"cannot read {error.filename}: {error.strerror}"], []
        errors, warnings = errors + more_errors, warnings + more_warnings
    if not errors and not warnings:
        return change
    return replace(change, errors=(*change.errors, *errors), warnings=(*change.warnings, *warnings))
