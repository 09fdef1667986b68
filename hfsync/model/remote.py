"""What the Hub holds for one target, as plain data (read by hub.publish, diffed by diff)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RemoteFile:
    """A file in the remote tree: its git blob oid, and its LFS sha256 when LFS-stored."""

    path: str
    size: int
    oid: str
    lfs_sha256: str | None = None

    @property
    def lfs(self) -> bool:
        return self.lfs_sha256 is not None

    @property
    def content_id(self) -> str:
        """The id to compare local content with: sha256 for LFS files, blob oid otherwise."""
        return self.lfs_sha256 or self.oid


class RemoteFiles(Mapping[str, RemoteFile]):
    """A remote tree's files as its listing gave them: what is compared (size, blob oid, LFS
    sha256) in one tuple per file, and a RemoteFile made only for a file asked for, so a
    listing of 100,000 files costs no object per file beyond its tuple."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, str, str | None]] = {}

    def add(self, path: str, size: int, oid: str, lfs_sha256: str | None) -> None:
        self._entries[path] = (size, oid, lfs_sha256)

    def content_id(self, path: str) -> str | None:
        """``self[path].content_id`` without making the RemoteFile; None when absent."""
        entry = self._entries.get(path)
        return None if entry is None else entry[2] or entry[1]

    def __getitem__(self, path: str) -> RemoteFile:
        size, oid, lfs_sha256 = self._entries[path]
        return RemoteFile(path, size, oid, lfs_sha256)

    def __contains__(self, path: object) -> bool:
        return path in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def content_ids(files: Mapping[str, RemoteFile]) -> Callable[[str], str | None]:
    """The content id of ``files[path]`` by path (None when absent), from a listing without
    making its RemoteFile."""
    if isinstance(files, RemoteFiles):
        return files.content_id

    def content_id(path: str) -> str | None:
        theirs = files.get(path)
        return None if theirs is None else theirs.content_id

    return content_id


@dataclass(frozen=True)
class RemoteRepo:
    """A repo's state on the Hub. ``exists=False`` means it has to be created.

    ``head`` is the commit of the target branch, or of the default branch when the
    target branch does not exist yet (``branch_exists=False``). ``None`` in a setting
    means the Hub did not say (e.g. a Hub without Space runtime support).
    """

    exists: bool
    head: str | None = None
    branch_exists: bool = True
    private: bool | None = None
    gated: str | bool | None = None
    sdk: str | None = None
    hardware: str | None = None
    sleep_time: int | None = None  # seconds; -1: never sleeps
    paused: bool | None = None
    stage: str | None = None  # a Space's runtime stage when read (RUNNING, BUILD_ERROR, ...)
    variables: Mapping[str, str] | None = None
    secrets: frozenset[str] | None = None  # names only: the Hub never returns a secret's value
    granted: frozenset[str] | None = None  # users with access to a gated repo (read when access is declared)
    pending: tuple[str, ...] = ()  # users whose access requests wait for review
    card_data: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, RemoteFile] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


MISSING = RemoteRepo(exists=False)
