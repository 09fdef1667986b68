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
    include, exclude = target.source.include, target.source.exclude
    found: list[str] = []
    # scandir's entries know their type: a tree of 100,000 files costs no stat per file.
    folders = [("", os.fspath(root))]
    while folders:
        rel, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                path = rel + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS:
                        folders.append((path + "/", entry.path))
                    continue
                if not entry.is_file() or not selected(path, include, exclude):
                    continue  # a link to a folder is not followed, as os.walk does not
                # A symlink out of the source folder would publish a file nobody declared.
                if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(inside):
                    continue
                found.append(path)
    return sorted(found)
