"""`hfsync lock`: resolve each pull's revision to a commit and pin every selected file.

Pins in step with the manifest stay as they are (no request) unless ``--update`` moves
them. A pin comes from the Hub's metadata alone (repo info and the tree listing, one
page per 1,000 entries): locking never reads file content. A lock of an older format is
rewritten in the current one, pins unchanged.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.errors import OfflineError
from hfsync.hub.client import Hub
from hfsync.lock.lockfile import read_lock
from hfsync.lock.pin import RESOLVERS, Pins, Resolved, merged, pin, resolve, save, stale_reasons
from hfsync.lock.selection import Wanted
from hfsync.manifest.model import Manifest, Workspace
from hfsync.model.lock import VERSION, LockFile

log = logging.getLogger("hfsync.lock")


@dataclass
class LockSummary:
    resolved: list[Resolved] = field(default_factory=list)
    kept: int = 0
    written: list[Path] = field(default_factory=list)
    reformatted: list[Path] = field(default_factory=list)  # lock files rewritten from an older format


def run_lock(
    workspace: Workspace,
    hub: Hub | None,
    *,
    update: bool = False,
    ids: tuple[str, ...] = (),
    allow_unsafe: bool = False,
) -> LockSummary:
    """Bring every manifest's lock in step; ``update`` re-resolves pins (only ``ids`` when given).

    ``hub`` is None offline: then a lock that needs resolving is an OfflineError.
    """
    wanted = Wanted(ids)
    wanted.check(workspace)
    summary = LockSummary()
    with ThreadPoolExecutor(RESOLVERS) as pool:
        for manifest in workspace.manifests:
            _lock_manifest(manifest, hub, pool, summary, update=update, wanted=wanted, allow_unsafe=allow_unsafe)
    return summary


def _lock_manifest(
    manifest: Manifest, hub: Hub | None, pool: ThreadPoolExecutor, summary: LockSummary, *,
    update: bool, wanted: Wanted, allow_unsafe: bool,
) -> None:
    moving = {p.key for p in wanted.pulls(manifest)} if update else set()
    # The pins --update moves are asked for first: the Hub answers while the lock is read.
    early = {p.key: pool.submit(resolve, hub, manifest, p, None, allow_unsafe=allow_unsafe)
             for p in manifest.pulls if p.key in moving} if hub is not None else {}
    lock = read_lock(manifest.lock_path) or LockFile(manifest.lock_path)
    stale = {p.key for p in manifest.pulls if stale_reasons(manifest, lock, [p.key])}
    todo = [p for p in manifest.pulls if p.key in moving | stale]
    summary.kept += len(manifest.pulls) - len(todo)
    if todo and hub is None:
        raise OfflineError(
            f"{manifest.lock_path} needs {', '.join(p.key for p in todo)} resolved on the Hub, "
            "and this run is offline",
            hint="Run `hfsync lock` where the Hub is reachable, and commit hfsync.lock.",
        )
    pins = pin(hub, manifest, lock, todo, allow_unsafe=allow_unsafe, pool=pool, started=early) \
        if hub is not None else Pins(merged(manifest, lock, ()), ())
    summary.resolved.extend(pins.resolved)
    if save(manifest, lock, pins.lock):
        summary.written.append(manifest.lock_path)
        if lock.version != VERSION:
            summary.reformatted.append(manifest.lock_path)
