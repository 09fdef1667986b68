"""Pinning one pull: resolve its revision on the Hub to a commit and select the files to pin."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from hfsync.digests import DigestCache
from hfsync.hub.client import Hub
from hfsync.hub.repofiles import files_at_commit, resolve_pin
from hfsync.hub.retry import Retry
from hfsync.manifest.model import Manifest, Pull
from hfsync.pull.lockfile import (
    LockedFile,
    LockedPull,
    allows_unsafe,
    fingerprint,
)
from hfsync.pull.selection import check_paths, mem_available, select

log = logging.getLogger("hfsync.lock")


@dataclass
class Resolved:
    """A freshly resolved pin and what the user should hear about it."""

    entry: LockedPull
    previous: LockedPull | None
    left_out: tuple[str, ...] = ()
    license: str | None = None  # the repo's license on the Hub, for policy.licenses


def resolve(
    hub: Hub, retry: Retry, manifest: Manifest, pull: Pull, previous: LockedPull | None, *, allow_unsafe: bool
) -> Resolved:
    """Resolve ``pull`` on the Hub now; blake3 is carried over for files whose content is unchanged."""
    commit, license_id = resolve_pin(hub, retry, pull.id, pull.type, pull.revision)
    listing = files_at_commit(hub, retry, pull.id, pull.type, commit)
    probe = LockedPull(pull.id, pull.type, pull.revision, commit, "", tuple(listing))
    check_paths(probe, f"the Hub's listing of {pull.key}@{commit[:12]}")
    memory = mem_available() if pull.variant == "auto" and pull.max_memory is None else None
    selection = select(listing, pull, allow_unsafe=allow_unsafe or allows_unsafe(pull, manifest.policy), memory=memory)
    known = {(f.path, f.etag, f.size): f.blake3 for f in previous.files} if previous else {}
    files = tuple(replace(f, blake3=known.get((f.path, f.etag, f.size))) for f in selection.files)
    entry = LockedPull(
        pull.id, pull.type, pull.revision, commit, fingerprint(pull, manifest.policy), files, selection.variant
    )
    return Resolved(entry, previous, selection.left_out, license_id)


def local_blake3(digests: DigestCache, path: Path, file: LockedFile) -> str | None:
    """blake3 of ``path`` if it holds exactly ``file``'s pinned content, else None.

    Reads nothing when the digest cache already vouches for this (size, mtime, inode).
    """
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size != file.size:
            return None
    except OSError:
        return None
    known = digests.known(path)
    if known is not None and known.blake3:
        hub_digest = known.sha256 if file.sha256 else known.git_sha1
        if hub_digest == file.etag and (not file.blake3 or known.blake3 == file.blake3):
            return known.blake3
    found = digests.get(path)
    hub_digest = found.sha256 if file.sha256 else found.git_sha1
    if hub_digest == file.etag and (not file.blake3 or found.blake3 == file.blake3):
        return found.blake3
    return None


