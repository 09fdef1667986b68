"""What the Hub holds for one target, as plain data (read by hub.publish, diffed by diff)."""

from __future__ import annotations

from collections.abc import Mapping
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
