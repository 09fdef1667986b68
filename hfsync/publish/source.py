"""A target's source folder: which of its files the target publishes.

The selection follows huggingface_hub's ``upload_folder``: ``include``/``exclude`` globs
matched with fnmatch (``*`` crosses folders), ``.git`` and ``.cache`` never published.

Symbolic links are followed, files and folders alike (an HF cache snapshot is a folder of
links into ``../../blobs``), as long as they stay inside the manifest's git repository (the
manifest's folder when it is in none): a link elsewhere would publish a file nobody
reviewed. Such a link, a dangling one and a loop are errors naming the link, unless the
globs leave it out.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path

from hfsync.errors import HfsyncError
from hfsync.manifest.model import RepoTarget

# Folders upload_folder never publishes either.
SKIPPED_DIRS = frozenset({".git", ".cache"})
_EXCLUDE_FIX = "or leave it out with source.exclude"


def selected(path: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether ``path`` passes the include globs (all pass when there are none) and no exclude glob."""
    if include and not any(fnmatch.fnmatchcase(path, p) for p in include):
        return False
    return not any(fnmatch.fnmatchcase(path, p) for p in exclude)


def source_files(target: RepoTarget) -> list[str]:
    """Paths (relative, forward slashes, sorted) of the source files the target publishes."""
    return sorted(source_links(target))


def source_links(target: RepoTarget) -> dict[str, str | None]:
    """Each source file the target publishes -> the symbolic link it is reached through
    (as the link reads), None for a plain file. HfsyncError for a link that cannot be published."""
    root = target.source.path
    walk = _Walk(target, _boundary(target.location.file.parent))
    found: dict[str, str | None] = {}
    # scandir's entries know their type: a tree of 100,000 files costs no stat per file.
    # Each folder to walk: (path in the repo, path on disk, the link it is reached through,
    # the real paths of it and the folders above it, where a link leading back is a loop).
    folders: list[tuple[str, str, str | None, tuple[str, ...]]] = [("", os.fspath(root), None, (str(root.resolve()),))]
    while folders:
        rel, folder, via, seen = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                path = rel + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS:
                        # A plain folder's real path follows from its parent's: no system call.
                        folders.append((path + "/", entry.path, via, (*seen, os.path.join(seen[-1], entry.name))))
                elif not entry.is_symlink():
                    if entry.is_file(follow_symlinks=False) and walk.wanted(path):
                        found[path] = via
                elif (real := walk.followed(entry.path, path, seen)) is not None:
                    link = os.readlink(entry.path)
                    if os.path.isdir(real):
                        folders.append((path + "/", entry.path, via or link, (*seen, real)))
                    else:
                        found[path] = via or link
    return found


class _Walk:
    """The checks a source walk makes of each link it meets."""

    def __init__(self, target: RepoTarget, boundary: Path) -> None:
        self.include, self.exclude = target.source.include, target.source.exclude
        self.base = os.path.abspath(target.location.file.parent)
        self.boundary = boundary

    def wanted(self, path: str) -> bool:
        return not (self.include or self.exclude) or selected(path, self.include, self.exclude)

    def left_out(self, link: str, path: str) -> bool:
        """Whether the globs leave out what ``link`` leads to: a file, or a folder with all it holds."""
        if not os.path.isdir(link):
            return not self.wanted(path)
        under = path + "/\x00"  # stands for anything in the folder: only a glob covering all matches
        return any(fnmatch.fnmatchcase(under, p) for p in self.exclude)

    def shown(self, path: str) -> str:
        """``path`` as the user names it: from the manifest's folder when it lies inside."""
        path = os.path.abspath(path)
        return os.path.relpath(path, self.base) if Path(path).is_relative_to(self.base) else path

    def followed(self, link: str, path: str, seen: tuple[str, ...]) -> str | None:
        """Where ``link`` leads (a real path inside the boundary), None when the globs leave it out."""
        if self.left_out(link, path):
            return None
        name, target = self.shown(link), os.readlink(link)
        try:
            real = Path(link).resolve(strict=True)
        except FileNotFoundError:
            raise HfsyncError(f"{name} is a symbolic link to {target}, which does not exist",
                              hint=f"Point it at the file, remove it, {_EXCLUDE_FIX}.") from None
        except (RuntimeError, OSError):  # ELOOP: links that lead to each other
            raise HfsyncError(f"{name} is a symbolic link in a loop of links",
                              hint=f"Remove it, {_EXCLUDE_FIX}.") from None
        if not real.is_relative_to(self.boundary):
            raise HfsyncError(
                f"{name} is a symbolic link to {target}, outside {self.boundary}: hfsync publishes only "
                "what the manifest's repository holds",
                hint=f"Copy the file in its place (cp -L), {_EXCLUDE_FIX}.")
        if str(real) in seen:
            raise HfsyncError(f"{name} is a symbolic link that leads back into {self.shown(str(real))}",
                              hint=f"Remove it, {_EXCLUDE_FIX}.")
        return str(real)


def _boundary(base: Path) -> Path:
    """Where a source's links may lead: the git work tree holding the manifest, else the
    manifest's folder (which holds every source folder)."""
    base = base.resolve()
    return next((p for p in (base, *base.parents) if (p / ".git").exists()), base)
