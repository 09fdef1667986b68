"""What a plan checks of a dataset beyond its files: the card's viewer configs against the
tree as it will be after apply (the Hub's files, plus the uploads, minus what is pruned),
and the files of each split against each other: Parquet shards whose schemas disagree
are an error naming the column and the files; CSV and JSON Lines files whose inferred
column types disagree, and Parquet files the viewer cannot show as they are, are warnings.
The splits are the card's configs, or the Hub's layout conventions when it declares none.
Files are read from the source folder (a Parquet file's footer, a text file's first
64 kB); files only the Hub holds are named as not compared.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path

from hfsync.cards.datafiles import format_of, infer_splits
from hfsync.cards.datainfo import read_tail
from hfsync.cards.viewer import README, target_viewer
from hfsync.errors import HfsyncError
from hfsync.inspect import parquet, tabular
from hfsync.manifest.model import Manifest, RepoTarget
from hfsync.model.plan import Action, TargetChange
from hfsync.model.remote import RemoteRepo
from hfsync.units import few

TABULAR = ("csv", "tsv", "json")


def tree_after(remote: RemoteRepo, change: TargetChange) -> set[str]:
    """The paths the repo holds once ``change`` is applied."""
    deleted = {f.path for f in change.files if f.action == Action.DELETE}
    return (set(remote.files) | {f.path for f in change.files}) - deleted


def _footers(root: Path, files: Iterable[str], warnings: list[str]) -> list[tuple[str, parquet.Footer]]:
    found = []
    for path in files:
        try:
            footer = parquet.read_footer(read_tail(root / path))
        except parquet.ParquetError as error:
            warnings.append(f"{path}: not a readable Parquet file: {error}")
            continue
        warnings += [f"{path}: {w}" for w in parquet.warnings(footer)]
        found.append((path, footer))
    return found


def _types(root: Path, files: Iterable[str], warnings: list[str]) -> list[tuple[str, parquet.Footer]]:
    found = []
    for path in files:
        with open(root / path, "rb") as handle:
            text = handle.read(tabular.SAMPLE_BYTES).decode("utf-8", errors="replace")
        try:
            columns = tabular.infer_types(path, text)
        except ValueError as error:
            warnings.append(f"{path}: column types not compared: {error}")
            continue
        found.append((path, parquet.Footer({n: parquet.Column(t) for n, t in columns.items() if t != "null"})))
    return found


Splits = dict[str, dict[str, list[str]]]


def split_checks(root: Path, splits: Splits, local: Collection[str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) of the files of each split (config -> split -> files) read from ``root``."""
    errors: list[str] = []
    warnings: list[str] = []
    for config, by_split in splits.items():
        for split, files in by_split.items():
            where = f"split '{split}' of config '{config}'"
            shards = [f for f in files if format_of(f) == "parquet"]
            texts = [f for f in files if format_of(f) in TABULAR and not f.endswith((".gz", ".bz2", ".xz", ".zst"))]
            remote_only = [f for f in shards + texts if f not in local]
            if remote_only:
                warnings.append(f"{where}: {len(remote_only)} file(s) only on the Hub not compared with the "
                                f"others: {few(sorted(remote_only))}")
            schemas = _footers(root, [f for f in shards if f in local], warnings)
            errors += [f"{where}: the Parquet shards disagree: {d}; the viewer needs one schema per split"
                       for d in parquet.disagreements(schemas)]
            inferred = _types(root, [f for f in texts if f in local], warnings)
            warnings += [f"{where}: the files' inferred column types disagree: {d}"
                         for d in parquet.disagreements(inferred)]
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
