"""Pinning one pull: resolve its revision on the Hub to a commit and select the files to pin."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hfsync.hub.client import Hub
from hfsync.hub.repofiles import files_at_commit, resolve_pin
from hfsync.hub.retry import Retry
from hfsync.manifest.model import Manifest, Pull
from hfsync.model.lock import LockedPull
from hfsync.pull.lockfile import allows_unsafe, fingerprint
from hfsync.pull.selection import check_paths, mem_available, select, set_aside

log = logging.getLogger("hfsync.lock")


@dataclass
class Resolved:
    """A freshly resolved pin and what the user should hear about it."""

    entry: LockedPull
    previous: LockedPull | None
    left_out: tuple[str, ...] = ()
    set_aside: tuple[str, ...] = ()  # listed paths never written into a destination (selection.SET_ASIDE)
    license: str | None = None  # the repo's license on the Hub, for policy.licenses


def resolve(
    hub: Hub, retry: Retry, manifest: Manifest, pull: Pull, previous: LockedPull | None, *, allow_unsafe: bool
) -> Resolved:
    """Resolve ``pull`` on the Hub now, from metadata alone (repo info and the tree listing)."""
    commit, license_id = resolve_pin(hub, retry, pull.id, pull.type, pull.revision)
    listing, aside = set_aside(files_at_commit(hub, retry, pull.id, pull.type, commit), pull)
    probe = LockedPull(pull.id, pull.type, pull.revision, commit, "", tuple(listing))
    check_paths(probe, f"the Hub's listing of {pull.key}@{commit[:12]}")
    memory = mem_available() if pull.variant == "auto" and pull.max_memory is None else None
    selection = select(listing, pull, allow_unsafe=allow_unsafe or allows_unsafe(pull, manifest.policy), memory=memory)
    entry = LockedPull(
        pull.id, pull.type, pull.revision, commit, fingerprint(pull, manifest.policy), tuple(selection.files),
        selection.variant,
    )
    return Resolved(entry, previous, selection.left_out, tuple(aside), license=license_id)
