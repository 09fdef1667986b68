"""Commits within the Hub's limits: how a target's change is cut into batches, and
what the plan says the Hub will think of the result.

The Hub recommends commits of under 100 files, folders of under 10,000 entries and
repos of under 100,000 files (huggingface.co/docs/hub/repositories-recommendations).
A change over the target's per-commit budget is applied in batches committed to a
pull request, which is merged once at the end: the branch moves in one step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace

from hfsync.model.plan import Action, FileChange, TargetChange
from hfsync.units import human_size

FOLDER_ENTRIES = 10_000
REPO_FILES = 100_000
FILE_RECOMMENDED = 20 * 1000**3
FILE_REFUSED = 50 * 1000**3


def split(files: Iterable[FileChange], max_files: int, max_bytes: int) -> list[tuple[FileChange, ...]]:
    """``files`` in order, cut into batches of at most ``max_files`` operations and
    ``max_bytes`` uploaded bytes (a file bigger than that goes alone); 0: no limit."""
    batches: list[list[FileChange]] = [[]]
    size = 0
    for change in files:
        weight = 0 if change.action == Action.DELETE else change.size
        full = max_files and len(batches[-1]) >= max_files
        heavy = max_bytes and batches[-1] and size + weight > max_bytes
        if full or heavy:
            batches.append([])
            size = 0
        batches[-1].append(change)
        size += weight
    return [tuple(b) for b in batches if b]


def batches_of(target: TargetChange) -> list[tuple[FileChange, ...]]:
    """The commits apply makes for ``target``'s files (one when they fit its budget)."""
    return split(target.files, target.commit_files, target.commit_bytes)


def identity(target: TargetChange, start: str | None) -> str:
    """What names this change on the Hub (in its pull request's title): the target, the
    commit its batches start from (the planned head; a new repo's first commit), and
    every file's planned content. A rerun of the same change finds its pull request by
    it, even once the repo the first run created is planned as existing; another never does."""
    digest = hashlib.sha256(f"{target.repo_type}\0{target.repo_id}\0{target.revision}\0{start}".encode())
    for change in target.files:
        digest.update(f"\0{change.path}\0{change.action}\0{change.sha256 or ''}".encode())
    return digest.hexdigest()[:16]


def _folders(paths: Iterable[str]) -> dict[str, set[str]]:
    entries: dict[str, set[str]] = {}
    for path in paths:
        parent, _, name = path.rpartition("/")
        entries.setdefault(parent, set()).add(name)
        while parent:
            parent, _, name = parent.rpartition("/")
            entries.setdefault(parent, set()).add(name)
    return entries


def hub_notes(change: TargetChange, remote_paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """(reasons, warnings) about the Hub's limits for ``change`` applied on top of
    ``remote_paths``: the batches it will take, and crowded folders, a repo past the
    recommended file count, files past the size limits."""
    if not change.files:
        return [], []
    reasons: list[str] = []
    count = len(batches_of(change))
    if count > 1:
        bound = f"<={change.commit_files} files" + (
            f", <={human_size(change.commit_bytes)}" if change.commit_bytes else "")
        reasons.append(f"applied in {count} commits of {bound} through a pull request; "
                       f"{change.revision} moves once, when it is merged")
    result = set(remote_paths)
    for f in change.files:
        (result.discard if f.action == Action.DELETE else result.add)(f.path)
    warnings: list[str] = []
    crowded = sorted((folder, len(names)) for folder, names in _folders(result).items()
                     if len(names) > FOLDER_ENTRIES)
    warnings += [f"folder {folder or '/'} would hold {n:,} entries; the Hub recommends under "
                 f"{FOLDER_ENTRIES:,} a folder (use subfolders)" for folder, n in crowded]
    if len(result) > REPO_FILES:
        warnings.append(f"the repo would hold {len(result):,} files; the Hub recommends under {REPO_FILES:,} "
                        "(merge small files into fewer, e.g. Parquet or WebDataset shards)")
    for f in change.files:
        if f.action != Action.DELETE and f.size > FILE_RECOMMENDED:
            limit = "refuses files over 50 GB" if f.size > FILE_REFUSED else "recommends files under 20 GB"
            warnings.append(f"{f.path} is {human_size(f.size)}; the Hub {limit} (split it into chunked files)")
    return reasons, warnings


def budgeted(change: TargetChange, commit_files: int, commit_bytes: int,
             remote_files: Mapping[str, object]) -> TargetChange:
    """``change`` with the target's commit budget and what the Hub will think of it."""
    change = replace(change, commit_files=commit_files, commit_bytes=commit_bytes)
    reasons, warnings = hub_notes(change, remote_files)
    if not reasons and not warnings:
        return change
    return replace(change, reasons=(*change.reasons, *reasons), warnings=(*change.warnings, *warnings))
