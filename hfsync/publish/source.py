"""A target's source folder: which of its files the target publishes.

The selection follows huggingface_hub's ``upload_folder``: ``include``/``exclude`` globs
matched with fnmatch (``*`` crosses folders), ``.git`` and ``.cache`` never published.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path

from hfsync.manifest.model import RepoTarget

# Folders upload_folder never publishes either.
SKIPPED_DIRS = frozenset({".git", ".cache"})


def selected(path: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether ``path`` passes the include globs (all pass when there are none) and no exclude glob."""
    if include and not any(fnmatch.fnmatchcase(path, p) for p in include):
        return False
    return not any(fnmatch.fnmatchcase(path, p) for p in exclude)


def source_files(target: RepoTarget) -> list[str]:
    """Paths (relative, forward slashes, sorted) of the source files the target publishes."""
    root = target.source.path
    inside = root.resolve()
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        rel = Path(folder).relative_to(root).as_posix()
        for name in names:
            path = name if rel == "." else f"{rel}/{name}"
            full = Path(folder, name)
            if not full.is_file() or not selected(path, target.source.include, target.source.exclude):
                continue
            # A symlink out of the source folder would publish a file nobody declared.
            if full.is_symlink() and not full.resolve().is_relative_to(inside):
                continue
            found.append(path)
    return sorted(found)
