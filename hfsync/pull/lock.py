"""`hfsync lock`: resolve each pull's revision to a commit and pin every selected file.

Pins in step with the manifest stay as they are (no request) unless ``--update`` moves
them. A pin comes from the Hub's metadata alone (repo info and the tree listing, one
page per 1,000 entries): locking never reads file content. A lock of an older format is
rewritten in the current one, pins unchanged.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from hfsync.errors import OfflineError
from hfsync.hub.client import Hub
from hfsync.hub.retry import Retry
from hfsync.manifest.model import Manifest, Pull, Workspace
from hfsync.manifest.policy import check_pulls
from hfsync.model.lock import VERSION, LockFile
from hfsync.pull.lockfile import read_lock, stale_reasons, write_lock
from hfsync.pull.resolve import Resolved, resolve
from hfsync.pull.selection import check_targets, selected_pulls

log = logging.getLogger("hfsync.lock")
RESOLVERS = 8  # pulls resolved at once: each is two or three requests, mostly waiting


@dataclass
class LockSummary:
    resolved: list[Resolved] = field(default_factory=list)
    kept: int = 0
    written: list[Path] = field(default_factory=list)
    reformatted: list[Path] = field(default_factory=list)  # lock files rewritten from an older format


def run_lock(
    workspace: Workspace,
    hub: Hub | None,
    retry: Retry,
    *,
    update: bool = False,
    ids: tuple[str, ...] = (),
    allow_unsafe: bool = False,
) -> LockSummary:
    """Bring every manifest's lock in step; ``update`` re-resolves pins (only ``ids`` when given).

    ``hub`` is None offline: then a lock that needs resolving is an OfflineError.
    """
    check_targets(workspace, ids)
    summary = LockSummary()
    with ThreadPoolExecutor(RESOLVERS) as pool:
        for manifest in workspace.manifests:
            _lock_manifest(manifest, hub, retry, pool, summary, update=update, ids=ids, allow_unsafe=allow_unsafe)
    return summary


def _lock_manifest(
    manifest: Manifest, hub: Hub | None, retry: Retry, pool: ThreadPoolExecutor, summary: LockSummary, *,
    update: bool, ids: tuple[str, ...], allow_unsafe: bool,
) -> None:
    moving = {p.key for p in selected_pulls(manifest, ids)} if update else set()

    def resolving(pull: Pull) -> Future[Resolved]:
        assert hub is not None
        return pool.submit(resolve, hub, retry, manifest, pull, None, allow_unsafe=allow_unsafe)

    # The pins --update moves are asked for first: the Hub answers while the lock is read.
    early = {p.key: resolving(p) for p in manifest.pulls if p.key in moving} if hub is not None else {}
    lock = read_lock(manifest.lock_path) or LockFile(manifest.lock_path)
    stale = {p.key for p in manifest.pulls if stale_reasons(manifest, lock, [p.key])}
    todo = [p for p in manifest.pulls if p.key in moving | stale]
    if todo and hub is None:
        raise OfflineError(
            f"{manifest.lock_path} needs {', '.join(p.key for p in todo)} resolved on the Hub, "
            "and this run is offline",
            hint="Run `hfsync lock` where the Hub is reachable, and commit hfsync.lock.",
        )
    entries = {(p.type, p.id): lock.get(p.type, p.id) for p in manifest.pulls}
    summary.kept += len(manifest.pulls) - len(todo)
    futures = [(pull, early.get(pull.key) or resolving(pull)) for pull in todo]
    resolved_here = [(pull, replace(future.result(), previous=lock.get(pull.type, pull.id)))
                     for pull, future in futures]
    # Every pull's license is judged before anything is written.
    check_pulls(manifest, {pull.key: resolved.license for pull, resolved in resolved_here})
    for pull, resolved in resolved_here:
        entries[(pull.type, pull.id)] = resolved.entry
        summary.resolved.append(resolved)
    new = LockFile(manifest.lock_path, tuple(e for e in entries.values() if e is not None))
    if new.pulls == lock.pulls and lock.version == VERSION and lock.path.exists():
        return  # every pin as it was: no need to render the text to find that out
    if (manifest.pulls or lock.pulls) and write_lock(new, manifest.path.name):
        summary.written.append(manifest.lock_path)
        if lock.version != VERSION:
            summary.reformatted.append(manifest.lock_path)
