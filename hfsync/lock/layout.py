"""Where a pull's files live on disk: a plain folder, or the standard Hugging Face cache.

Plain: ``<dest>/<path>``. Cache (``cache: true``), as huggingface_hub lays it out so that
``hf_hub_download(..., local_files_only=True)`` and ``from_pretrained`` find the files:
``<HF_HUB_CACHE>/<type>s--<ns>--<name>/blobs/<etag>`` holds the bytes (etag = sha256 for
LFS files, git blob id otherwise), ``snapshots/<commit>/<path>`` is a relative symlink to
the blob, and ``refs/<revision>`` holds the commit.

What a pull verified is recorded (hfsync.pull.state) in ``<dest>/.hfsync/state.json``
for a plain folder. For the cache layout the record lives in hfsync's own cache
directory, keyed by the snapshot folder: the HF cache belongs to huggingface_hub, whose
tools (``hf cache``, ``scan_cache_dir``) should never meet a file they do not know, and
blobs are shared between snapshots while a record answers one pinned commit.

Paths come from the Hub (or a lock file) and are never trusted: absolute paths, ``..``,
backslashes and paths through a symlink are refused, so nothing is written outside.

Files are assembled where no repo path can name them: ``<dest>/.hfsync/partial/`` (paths
under ``.hfsync/`` are never taken from a listing), or the cache's ``blobs/`` (named by
digests only), so a repo file can never be mistaken for hfsync's own partial of another.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from huggingface_hub import constants

from hfsync.environment import cache_dir
from hfsync.errors import HfsyncError
from hfsync.lock.selection import unsafe_path_reason
from hfsync.manifest.model import Pull
from hfsync.model.lock import LockedFile, LockedPull
from hfsync.paths import atomic_write


class UnsafePathError(HfsyncError):
    """A path would leave its destination."""


def safe_join(root: Path, relative: str, what: str) -> Path:
    """``root/relative`` after checking it stays inside ``root`` without following links."""
    reason = unsafe_path_reason(relative)
    if reason:
        raise UnsafePathError(f"{what}: refusing path {relative!r}: it {reason}")
    path = root
    for part in relative.split("/")[:-1]:
        path = path / part
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise UnsafePathError(
                f"{what}: refusing path {relative!r}: {path} is a link or a file, and links are never followed"
            )
    return path / relative.split("/")[-1]


class Layout:
    """Where one pinned pull's files go."""

    def __init__(self, pull: Pull, entry: LockedPull, cache_root: Path | None = None) -> None:
        self.pull = pull
        self.entry = entry
        if pull.cache:
            from huggingface_hub.file_download import repo_folder_name  # a pull into a folder never loads it

            root = Path(cache_root or constants.HF_HUB_CACHE)
            self.root = root / repo_folder_name(repo_id=entry.id, repo_type=entry.type)
        else:
            assert pull.dest is not None
            self.root = Path(os.path.abspath(pull.dest))

    @property
    def cache(self) -> bool:
        return self.pull.cache

    def snapshot(self) -> Path:
        """The folder where the pull's files appear under their repo paths."""
        return self.root / "snapshots" / self.entry.commit if self.cache else self.root

    def state_path(self) -> Path:
        """Where the record of what was pulled here lives (see the module's docstring)."""
        if self.cache:
            key = hashlib.sha256(os.fsencode(self.snapshot())).hexdigest()[:32]
            return cache_dir() / "pulled" / f"{key}.json"
        return self.root / ".hfsync" / "state.json"

    def target(self, file: LockedFile) -> Path:
        """Where the verified bytes of ``file`` are written."""
        if self.cache:
            return self.root / "blobs" / file.etag
        return safe_join(self.root, file.path, self.entry.key)

    def previous(self, file: LockedFile) -> Path | None:
        """A local copy of an earlier pin of ``file`` to reuse bytes from, if any: the file at
        the destination, or in the cache the newest other snapshot's. Only a hint: what is
        installed is checked against the lock whatever was reused."""
        if not self.cache:
            target = self.target(file)
            return target if target.is_file() and not target.is_symlink() else None
        snapshots = [s for s in (self.root / "snapshots").glob("*") if s.name != self.entry.commit]
        for snapshot in sorted(snapshots, key=lambda s: s.stat().st_mtime, reverse=True):
            candidate = safe_join(snapshot, file.path, self.entry.key)
            if candidate.is_file():
                return candidate.resolve()
        return None

    def visible(self, file: LockedFile) -> Path:
        """Where a user (or transformers) finds ``file``."""
        return safe_join(self.snapshot(), file.path, self.entry.key)

    def partials(self) -> Path:
        """The private folder where files are assembled; refused if it is a link or a file.

        Plain: ``<dest>/.hfsync/partial``. Cache: ``blobs/``, where only digests name files
        (huggingface_hub keeps its own ``.incomplete`` files there too), so that the HF
        cache holds no folder of hfsync's."""
        folder = self.root
        for part in (("blobs",) if self.cache else (".hfsync", "partial")):
            folder = folder / part
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                pass
            if folder.is_symlink() or not folder.is_dir():
                raise UnsafePathError(
                    f"{self.entry.key}: {folder} is a link or a file; hfsync keeps its partial files there and "
                    "never follows links",
                    hint=f"Remove {folder} and pull again.",
                )
        return folder

    def partial(self, target: Path, suffix: str = ".hfsync-partial") -> Path:
        """Where ``target`` is assembled: named by its place, so two files never share one."""
        name = hashlib.sha256(os.fsencode(target.relative_to(self.root))).hexdigest()[:40]
        return self.partials() / (name + suffix if self.cache else name)

    def link(self, file: LockedFile) -> None:
        """Cache layout: point ``snapshots/<commit>/<path>`` at the blob, atomically."""
        if not self.cache:
            return
        pointer = self.visible(file)
        pointer.parent.mkdir(parents=True, exist_ok=True)
        relative = os.path.relpath(self.target(file), pointer.parent)
        if pointer.is_symlink() and os.readlink(pointer) == relative:
            return
        temp = self.partial(pointer, ".hfsync-link")
        temp.unlink(missing_ok=True)
        os.symlink(relative, temp)
        os.replace(temp, pointer)

    def finish(self) -> None:
        """Cache layout: record ``refs/<revision>`` so lookups by branch or tag find the commit."""
        if not self.cache or self.entry.revision == self.entry.commit:
            return
        ref = safe_join(self.root / "refs", self.entry.revision, self.entry.key)
        ref.parent.mkdir(parents=True, exist_ok=True)
        try:
            if ref.read_text() == self.entry.commit:
                return
        except OSError:
            pass
        atomic_write(ref, self.entry.commit)

    def present(self) -> Iterator[str]:
        """Repo paths of the files now in the snapshot folder (hfsync's own files excluded)."""
        top = self.snapshot()
        for folder, dirs, names in os.walk(top):
            rel = os.path.relpath(folder, top)
            if rel == "." and not self.cache:
                dirs[:] = [d for d in dirs if d not in (".hfsync", ".cache")]
            for name in names:
                yield name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
