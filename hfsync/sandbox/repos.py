"""Repositories: one bare git repo per Hub repo, plus a small JSON of Hub-side metadata.

Layout under the data dir: ``repos/{type}s/{namespace}/{name}.git/`` (a bare git repo
that git itself can read) with ``sandbox.json`` inside it for what git does not hold
(visibility, gating, likes, downloads, creation time, PR counter).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.sandbox.gitstore import FILE_MODE, TREE_MODE, GitStore, TreeEntry, atomic_write
from hfsync.sandbox.lfs import parse_pointer
from hfsync.sandbox.rules import default_gitattributes

REPO_TYPES = ("model", "dataset", "space")
META_FILE = "sandbox.json"


@dataclass(frozen=True)
class Entry:
    """One file at a commit. ``lfs`` is (sha256, size, pointer size) for LFS files."""

    path: str
    oid: str
    size: int
    lfs: tuple[str, int, int] | None = None


@dataclass
class Snapshot:
    """Everything in one commit, flattened: files by path and folders (tree oid) by path."""

    commit: str
    files: dict[str, Entry] = field(default_factory=dict)
    dirs: dict[str, str] = field(default_factory=dict)  # "" is the root tree
    listings: dict[tuple[str, bool], list[str]] = field(default_factory=dict, compare=False, repr=False)

    def listing(self, prefix: str, recursive: bool) -> list[str]:
        """The paths under ``prefix`` (a folder and "/", or "") in the Hub's order: folders first,
        then files, each sorted. Sorted once per commit and folder, not once per page: a
        listing of 100,000 files is 100 pages."""
        paths = self.listings.get((prefix, recursive))
        if paths is None:
            paths = [p for p in (*self.dirs, *self.files) if p and p.startswith(prefix)]
            if not recursive:
                paths = [p for p in paths if "/" not in p[len(prefix):]]
            paths.sort(key=lambda p: (p in self.files, p))
            self.listings[(prefix, recursive)] = paths
        return paths


# Commits are immutable, so their flattened listings and blob facts cache forever
# (bounded); this keeps tree/info/resolve from re-reading objects on every request.
_SNAPSHOTS: OrderedDict[tuple[str, str], Snapshot] = OrderedDict()
_BLOBS: dict[str, tuple[int, tuple[str, int, int] | None]] = {}
_CACHE_LOCK = threading.Lock()


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int) -> str:
    """A date as the Hub writes it (the client requires the trailing Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


class Repo:
    """One Hub repo: its git store and metadata."""

    def __init__(self, repo_type: str, repo_id: str, path: Path) -> None:
        self.type = repo_type
        self.id = repo_id
        self.path = path
        self.git = GitStore(path)
        self.meta: dict = json.loads((path / META_FILE).read_text())

    @property
    def namespace(self) -> str:
        return self.id.split("/", 1)[0]

    def update_meta(self, changes: dict) -> dict:
        """Apply ``changes`` to the metadata on disk (call under the repo's lock).

        Rereads the file first: this object may have been loaded before the lock was
        taken, and saving its stale copy would undo a concurrent settings change.
        """
        self.meta = json.loads((self.path / META_FILE).read_text())
        self.meta.update(changes)
        atomic_write(self.path / META_FILE, json.dumps(self.meta, indent=1).encode())
        return self.meta

    # -- revisions -----------------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        """The commit a branch, tag, full ref, or (short) commit sha names."""
        for ref in (
            f"refs/heads/{rev}",
            f"refs/tags/{rev}",
            rev if rev.startswith("refs/") else "",
        ):
            if ref and ".." not in ref and (oid := self.git.get_ref(ref)):
                return self.git.peel(oid)
        if 7 <= len(rev) <= 40 and all(c in "0123456789abcdefABCDEF" for c in rev):
            oid = self.git.expand_oid(rev)
            if oid and self.git.read_object(oid)[0] == "commit":
                return oid
        return None

    def branch_head(self, branch: str) -> str | None:
        return self.git.get_ref(f"refs/heads/{branch}")

    def snapshot(self, commit: str) -> Snapshot:
        key = (str(self.path), commit)
        with _CACHE_LOCK:
            if key in _SNAPSHOTS:
                _SNAPSHOTS.move_to_end(key)
                return _SNAPSHOTS[key]
        snap = Snapshot(commit)
        self._walk(self.git.read_commit(commit).tree, "", snap)
        with _CACHE_LOCK:
            _SNAPSHOTS[key] = snap
            while len(_SNAPSHOTS) > 256:
                _SNAPSHOTS.popitem(last=False)
        return snap

    def _walk(self, tree: str, prefix: str, snap: Snapshot) -> None:
        # A stack, not recursion: a path 1,000 folders deep is a valid repo path.
        stack = [(tree, prefix)]
        while stack:
            tree, prefix = stack.pop()
            snap.dirs[prefix.rstrip("/")] = tree
            for e in self.git.read_tree(tree):
                if e.is_tree:
                    stack.append((e.oid, f"{prefix}{e.name}/"))
                else:
                    self._file(prefix + e.name, e.oid, snap)

    def _file(self, path: str, oid: str, snap: Snapshot) -> None:
        info = _BLOBS.get(oid)
        if info is None:
            data = self.git.read_blob(oid)
            pointer = parse_pointer(data)
            lfs = (pointer[0], pointer[1], len(data)) if pointer else None
            info = (pointer[1] if pointer else len(data), lfs)
            _BLOBS[oid] = info
        snap.files[path] = Entry(path, oid, info[0], info[1])

    def read_file(self, commit: str, path: str) -> bytes | None:
        entry = self.snapshot(commit).files.get(path)
        return self.git.read_blob(entry.oid) if entry and entry.lfs is None else None

    def history(self, commit: str) -> list[str]:
        """Commit ids from ``commit`` back to the root, first parents only."""
        out, oid = [], commit
        while oid:
            out.append(oid)
            parents = self.git.read_commit(oid).parents
            oid = parents[0] if parents else ""
        return out

    def last_commits(self, commit: str, paths: list[str]) -> dict[str, str]:
        """For each path (file or folder), the newest commit that changed it."""
        wanted, found = set(paths), {}
        chain = self.history(commit)
        for i, oid in enumerate(chain):
            if not wanted:
                break
            here = self.snapshot(oid)
            parent = self.snapshot(chain[i + 1]) if i + 1 < len(chain) else None
            for path in list(wanted):
                now = here.files[path].oid if path in here.files else here.dirs.get(path)
                before = None
                if parent is not None:
                    before = parent.files[path].oid if path in parent.files else parent.dirs.get(path)
                if now != before:
                    found[path] = oid
                    wanted.discard(path)
        return found

    # -- writing -------------------------------------------------------------------

    def write_commit(self, parent: str | None, files: dict[str, str], message: str, author: str) -> str:
        """A commit whose tree holds ``files`` ({path: blob oid}) on top of ``parent``."""
        tree = self._build_tree(files)
        ts = int(time.time())
        oid = self.git.write_commit(tree, [parent] if parent else [], message, author, ts)
        self.update_meta({"lastModified": now_ms()})
        return oid

    def _build_tree(self, files: dict[str, str]) -> str:
        entries: dict[str, list[TreeEntry]] = {"": []}
        for path, oid in files.items():
            folder, _, name = path.rpartition("/")
            entries.setdefault(folder, []).append(TreeEntry(FILE_MODE, name, oid))
            while folder and folder.rpartition("/")[0] not in entries:
                folder = folder.rpartition("/")[0]
                entries.setdefault(folder, [])
        # Write the deepest folders first so each parent can name its children's oids.
        for folder in sorted(entries, key=lambda p: -(p.count("/") + (p != ""))):
            oid = self.git.write_tree(entries[folder])
            if not folder:
                return oid
            parent, _, name = folder.rpartition("/")
            entries[parent].append(TreeEntry(TREE_MODE, name, oid))
        raise AssertionError("unreachable: the root is always written last")


class Registry:
    """All repos under ``root``; one lock per repo serialises its writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._locks: dict[tuple[str, str], threading.RLock] = {}
        self._guard = threading.Lock()

    def _dir(self, repo_type: str, repo_id: str) -> Path:
        ns, name = repo_id.split("/", 1)
        return self.root / f"{repo_type}s" / ns / f"{name}.git"

    def lock(self, repo_type: str, repo_id: str) -> threading.RLock:
        # Reentrant: a move from "a/x" to "a/X" takes the same lock twice.
        with self._guard:
            return self._locks.setdefault((repo_type, repo_id.lower()), threading.RLock())

    def get(self, repo_type: str, repo_id: str) -> Repo | None:
        if repo_id.count("/") != 1 or ".." in repo_id or repo_type not in REPO_TYPES:
            return None
        path = self._dir(repo_type, repo_id)
        if not (path / META_FILE).is_file():
            return None
        return Repo(repo_type, repo_id, path)

    def find_case_insensitive(self, repo_type: str, repo_id: str) -> Repo | None:
        return next((r for r in self.all(repo_type) if r.id.lower() == repo_id.lower()), None)

    def all(self, repo_type: str) -> list[Repo]:
        base = self.root / f"{repo_type}s"
        found = []
        if base.is_dir():
            for ns in sorted(os.listdir(base)):
                for name in sorted(os.listdir(base / ns)):
                    # Hidden names are repos being created or deleted.
                    visible = not name.startswith(".") and name.endswith(".git")
                    if visible and (base / ns / name / META_FILE).is_file():
                        found.append(Repo(repo_type, f"{ns}/{name[:-4]}", base / ns / name))
        return found

    def create(self, repo_type: str, repo_id: str, author: str, meta: dict) -> Repo:
        """Build the repo aside and rename it into place, so it appears whole or not at all."""
        final = self._dir(repo_type, repo_id)
        tmp = final.parent / f".tmp-{secrets.token_hex(4)}-{final.name}"
        git = GitStore.init(tmp)
        created = now_ms()
        full_meta = {
            "_id": secrets.token_hex(12),
            "createdAt": created,
            "lastModified": created,
            "private": False,
            "gated": False,
            "disabled": False,
            "likes": 0,
            "downloads": 0,
            "downloadsAllTime": 0,
            "description": None,
            "prs": 0,
            "granted": [],
            **meta,
        }
        atomic_write(tmp / META_FILE, json.dumps(full_meta, indent=1).encode())
        files = {".gitattributes": git.write_blob(default_gitattributes(repo_type))}
        if repo_type == "space":
            files["README.md"] = git.write_blob(_space_readme(repo_id, meta.get("sdk")))
        repo = Repo(repo_type, repo_id, tmp)
        head = repo.write_commit(None, files, "initial commit", author)
        git.set_ref("refs/heads/main", head)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(tmp, final)
        return Repo(repo_type, repo_id, final)

    def delete(self, repo: Repo) -> None:
        # Rename first (atomic), then remove: a crash mid-rmtree leaves only a hidden dir.
        trash = repo.path.parent / f".trash-{secrets.token_hex(4)}-{repo.path.name}"
        os.rename(repo.path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def move(self, repo: Repo, new_id: str) -> Repo:
        target = self._dir(repo.type, new_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(repo.path, target)
        # Remember the old name: the Hub redirects old-name file URLs to the new name.
        moved = self._moved()
        moved[f"{repo.type}:{repo.id}"] = new_id
        for key, value in moved.items():
            if value == repo.id and key.startswith(f"{repo.type}:"):
                moved[key] = new_id
        moved.pop(f"{repo.type}:{new_id}", None)
        atomic_write(self.root / "moved.json", json.dumps(moved, indent=1).encode())
        return Repo(repo.type, new_id, target)

    def _moved(self) -> dict[str, str]:
        path = self.root / "moved.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def moved_to(self, repo_type: str, repo_id: str) -> str | None:
        """The new id of a repo that was renamed from ``repo_id``, if any."""
        return self._moved().get(f"{repo_type}:{repo_id}")


def _space_readme(repo_id: str, sdk: str | None) -> bytes:
    title = repo_id.split("/", 1)[1]
    return (
        f"---\ntitle: {title}\nemoji: 🚀\ncolorFrom: blue\ncolorTo: green\n"
        f"sdk: {sdk or 'gradio'}\npinned: false\n---\n\n"
        "Check out the configuration reference at "
        "https://huggingface.co/docs/hub/spaces-config-reference\n"
    ).encode()
