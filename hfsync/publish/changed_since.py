"""Which targets changed since a git ref, for `plan --changed-since` in large monorepos.

A target is planned when its manifest entry or one of its files (source folder, card
training/metrics files) differs between the ref and the working tree, untracked files
included. The comparison starts at the merge base of the ref and HEAD, so commits that
reached the base branch after this branch forked are not counted as this branch's changes.

Entries are compared as YAML data, not as text: reordering, comments and re-indentation
change no plan, and anchors resolve. A change anywhere else in a manifest (``defaults``,
``policy``, ``version`` or any other top-level key) plans every target of that manifest,
since it can change every one of them; so does a manifest that did not exist at the ref.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import git
import yaml

from hfsync.errors import HfsyncError
from hfsync.manifest.model import Manifest, Pull, RepoTarget, Workspace

log = logging.getLogger(__name__)


class ChangesError(HfsyncError):
    """The git facts --changed-since needs are not available."""


@dataclass(frozen=True)
class Changed:
    """The targets to plan: ``repos`` and ``pulls`` hold target keys; ``reasons`` says why."""

    base: str
    repos: frozenset[str]
    pulls: frozenset[str]
    reasons: dict[str, str] = field(default_factory=dict)

    def __contains__(self, target: RepoTarget | Pull) -> bool:
        return target.key in (self.repos if isinstance(target, RepoTarget) else self.pulls)


def changed_since(workspace: Workspace, ref: str, repo_path: Path | None = None) -> Changed:
    """The targets of ``workspace`` whose entry or files changed between ``ref`` and the working tree."""
    first = workspace.manifests[0].path if workspace.manifests else Path.cwd()
    repo = _open(repo_path or first.resolve().parent)
    root = Path(repo.working_tree_dir).resolve()  # type: ignore[arg-type]  # a repo found from a folder has a work tree
    base = _merge_base(repo, ref)
    changed = _changed_paths(repo, base)
    # Each changed path under every folder holding it: one lookup per target, however many changed.
    touched: dict[PurePosixPath, PurePosixPath] = {}
    for path in sorted(changed):
        for folder in (path, *path.parents):
            touched.setdefault(folder, path)
    repos: set[str] = set()
    pulls: set[str] = set()
    reasons: dict[str, str] = {}
    for manifest in workspace.manifests:
        manifest_path = _relative(manifest.path, root)
        if manifest_path is None:
            raise ChangesError(f"{manifest.path} is outside the git repository at {root}")
        everything, entries = (
            _manifest_changes(base, manifest, manifest_path) if manifest_path in changed else (None, set())
        )
        lock_changed = _relative(manifest.lock_path, root) in changed
        for target in manifest.repos:
            why = everything or _entry_reason(target, entries, manifest) or _file_reason(target, touched, root)
            if why:
                repos.add(target.key)
                reasons[target.key] = why
        for pull in manifest.pulls:
            why = everything or _entry_reason(pull, entries, manifest)
            if not why and lock_changed:
                why = f"{manifest.lock_path.name} changed"
            if why:
                pulls.add(pull.key)
                reasons.setdefault(pull.key, why)
    log.info("changed since %s (merge base %s): %d target(s)", ref, base.hexsha[:12], len(reasons))
    for key, why in sorted(reasons.items()):
        log.info("  %s: %s", key, why)
    return Changed(base.hexsha, frozenset(repos), frozenset(pulls), reasons)


def _open(path: Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ChangesError(
            f"--changed-since needs a git repository; {path} is not in one"
        ) from None


def _merge_base(repo: git.Repo, ref: str) -> git.Commit:
    try:
        commit = repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise ChangesError(
            f"--changed-since: unknown git ref '{ref}'",
            hint="Fetch it first; in GitHub Actions use actions/checkout with fetch-depth: 0.",
        ) from None
    try:
        bases = repo.merge_base(commit, repo.head.commit)
    except (ValueError, git.GitCommandError):
        bases = []
    if not bases:
        raise ChangesError(
            f"--changed-since: '{ref}' and HEAD share no history",
            hint="A shallow clone lacks it; in GitHub Actions use actions/checkout with fetch-depth: 0.",
        )
    return bases[0]


def _changed_paths(repo: git.Repo, base: git.Commit) -> set[PurePosixPath]:
    # Diffing a commit against None compares it with the working tree: staged and
    # unstaged edits alike. Both sides of a rename count.
    paths: set[PurePosixPath] = set()
    for diff in base.diff(None):
        paths.update(PurePosixPath(p) for p in (diff.a_path, diff.b_path) if p)
    paths.update(PurePosixPath(p) for p in repo.untracked_files)
    return paths


def _relative(path: Path, root: Path) -> PurePosixPath | None:
    try:
        return PurePosixPath(path.resolve().relative_to(root).as_posix())
    except ValueError:
        return None


def _old_data(base: git.Commit, path: PurePosixPath) -> Any:
    try:
        blob = base.tree / str(path)
    except KeyError:
        return None
    try:
        return yaml.safe_load(blob.data_stream.read().decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None


def _manifest_changes(base: git.Commit, manifest: Manifest, path: PurePosixPath) -> tuple[str | None, set]:
    """Why every target of the manifest changed (or None), and the entries that changed.

    Entries are (section, type, qualified id) of every entry that is new or differs.
    """
    old = _old_data(base, path)
    if not isinstance(old, dict):
        return f"{manifest.path.name} is new or was not a valid manifest at the base", set()
    new = yaml.safe_load(manifest.path.read_text(encoding="utf-8"))
    for key in sorted(set(old) | set(new)):
        if key not in ("repos", "pulls") and old.get(key) != new.get(key):
            return f"'{key}' changed in {manifest.path.name}, which affects every target", set()
    entries = set()
    for section in ("repos", "pulls"):
        before = {_entry_id(section, raw, manifest): raw for raw in old.get(section) or []}
        for raw in new.get(section) or []:
            key = _entry_id(section, raw, manifest)
            if key is not None and before.get(key) != raw:
                entries.add(key)
    return None, entries


def _entry_id(section: str, raw: Any, manifest: Manifest) -> tuple[str, str, str] | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    name, namespace = raw["id"], manifest.defaults.namespace
    # A changed namespace default plans everything anyway, so the current one qualifies both sides.
    qualified = f"{namespace}/{name}" if namespace and "/" not in name else name
    return section, str(raw.get("type", "model")), qualified


def _entry_reason(target: RepoTarget | Pull, entries: set, manifest: Manifest) -> str | None:
    section = "repos" if isinstance(target, RepoTarget) else "pulls"
    if (section, target.type, target.id) in entries:
        return f"its entry in {manifest.path.name} changed"
    return None


def _file_reason(target: RepoTarget, touched: dict[PurePosixPath, PurePosixPath], root: Path) -> str | None:
    for path in (target.source.path, target.card.training, target.card.metrics):
        rel = _relative(path, root) if path is not None else None
        if rel is not None and rel in touched:
            return f"{touched[rel]} changed"
    return None
