"""The lock's entries: what each pull of a manifest is pinned to, down to every file's digest.

Plain data, read and written by hfsync.lock.lockfile; a pin holds only what the Hub's
listing gives (sha256 for LFS files, the git blob id otherwise, the Xet hash when there is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfsync.hubfacts import target_key

VERSION = 2


@dataclass(frozen=True)
class LockedFile:
    """One pinned file: the Hub's digest (sha256 for LFS, git blob id otherwise), and its
    Xet hash when the Hub gives one."""

    path: str
    size: int
    sha256: str | None = None
    git_oid: str | None = None
    xet_hash: str | None = None

    @property
    def etag(self) -> str:
        """The Hub's name for this content: what the HF cache calls its blob."""
        return self.sha256 or self.git_oid or ""

    @property
    def digest(self) -> str:
        """The Hub digest with its kind, for messages and sidecars: ``sha256:...`` or ``git:...``."""
        return f"sha256:{self.sha256}" if self.sha256 else f"git:{self.git_oid}"


@dataclass(frozen=True)
class Variant:
    """The GGUF file chosen for ``variant: auto`` (or a named variant), and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Signature:
    """The pin's model.sig as lock checked it: who signed it, and the sha256 of its bytes."""

    signer: str
    digest: str


@dataclass(frozen=True)
class Ancestor:
    """A model a pin was made from, as the cards said at lock time: ``id`` is a base model of
    ``base_of`` (the pin itself or another ancestor); ``license`` None when its card names none."""

    id: str
    base_of: str
    license: str | None = None


@dataclass(frozen=True)
class LockedPull:
    """One pull as the lock pins it: the revision asked for, the commit it resolved to,
    the request it answers (``fingerprint``), and every selected file."""

    id: str
    type: str
    revision: str
    commit: str
    request: str
    files: tuple[LockedFile, ...]
    variant: Variant | None = None
    signature: Signature | None = None
    license: str | None = None  # the repo's license at lock time, from its card
    lineage: tuple[Ancestor, ...] = ()  # its base models, theirs, and so on, from the cards at lock time

    @property
    def key(self) -> str:
        return target_key(self.type, self.id)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class LockFile:
    """A manifest's lock file: its pinned pulls."""

    path: Path
    pulls: tuple[LockedPull, ...] = ()
    version: int = VERSION  # the format it was read in: an older one is rewritten by `hfsync lock`

    def get(self, pull_type: str, pull_id: str) -> LockedPull | None:
        """The pin of the pull of that type and id, None when the lock has none."""
        return next((p for p in self.pulls if (p.type, p.id) == (pull_type, pull_id)), None)


# Said wherever set_aside leaves files out, so that nothing is dropped without a word.
SET_ASIDE = ("never written into a destination, where .hfsync/ and .cache/ are hfsync's and huggingface_hub's "
             "own folders; .git/ folders need an include pattern naming them")
