"""`hfsync lock`: resolve each pull's revision to a commit and pin every selected file.

Pins in step with the manifest stay as they are (no request) unless ``--update`` moves
them. The Hub gives sha256 (LFS) or the git blob id per file but no blake3, which
``verify`` needs: a moved pin keeps the blake3 of files whose Hub digest did not change,
takes it from a verified local copy when the pull's destination already holds one, and
otherwise streams the file once through the hashes without keeping it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from hfsync.digests import DigestCache
from hfsync.errors import HfsyncError, OfflineError
from hfsync.hub.client import Hub
from hfsync.hub.download import Downloader
from hfsync.hub.retry import Retry
from hfsync.manifest.model import Pull, Workspace
from hfsync.manifest.policy import check_pulls
from hfsync.pull.layout import Layout
from hfsync.pull.lockfile import (
    LockedFile,
    LockedPull,
    LockFile,
    read_lock,
    stale_reasons,
    write_lock,
)
from hfsync.pull.progress import Reporter
from hfsync.pull.resolve import Resolved, local_blake3, resolve
from hfsync.pull.selection import check_targets, selected_pulls

log = logging.getLogger("hfsync.lock")


@dataclass
class LockSummary:
    resolved: list[Resolved] = field(default_factory=list)
    kept: int = 0
    written: list[Path] = field(default_factory=list)
    hashed_remote: int = 0


def run_lock(
    workspace: Workspace,
    hub: Hub | None,
    retry: Retry,
    *,
    update: bool = False,
    ids: tuple[str, ...] = (),
    allow_unsafe: bool = False,
    digests: DigestCache,
    reporter: Reporter | None = None,
) -> LockSummary:
    """Bring every manifest's lock in step; ``update`` re-resolves pins (only ``ids`` when given).

    ``hub`` is None offline: then a lock that needs resolving is an OfflineError.
    """
    check_targets(workspace, ids)
    summary = LockSummary()
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path) or LockFile(manifest.lock_path)
        moving = {p.key for p in selected_pulls(manifest, ids)} if update else set()
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
        resolved_here = []
        for pull in todo:
            assert hub is not None
            resolved_here.append(
                (pull, resolve(hub, retry, manifest, pull, lock.get(pull.type, pull.id), allow_unsafe=allow_unsafe))
            )
        # Every pull's license is judged before anything is downloaded or written.
        check_pulls(manifest, {pull.key: resolved.license for pull, resolved in resolved_here})
        for pull, resolved in resolved_here:
            entry = _fill_blake3(resolved.entry, pull, hub, retry, digests, reporter, summary)
            resolved.entry = entry
            entries[(pull.type, pull.id)] = entry
            summary.resolved.append(resolved)
        new = LockFile(manifest.lock_path, tuple(e for e in entries.values() if e is not None))
        if (manifest.pulls or lock.pulls) and write_lock(new, manifest.path.name):
            summary.written.append(manifest.lock_path)
    return summary


def _fill_blake3(
    entry: LockedPull,
    pull: Pull,
    hub: Hub,
    retry: Retry,
    digests: DigestCache,
    reporter: Reporter | None,
    summary: LockSummary,
    parallelism: int = 8,
) -> LockedPull:
    """Every file of ``entry`` with its blake3: carried over, read locally, or streamed (in parallel)."""
    layout = Layout(pull, entry)
    downloader = Downloader(hub, retry)

    def learn(file: LockedFile) -> tuple[LockedFile, bool]:
        if file.blake3 is not None:
            return file, False
        try:
            value = local_blake3(digests, layout.target(file), file)
        except HfsyncError:
            value = None
        remote = value is None
        if value is None:
            label = f"{entry.key}/{file.path}"
            url = downloader.url(entry.id, entry.type, entry.commit, file.path)
            step = reporter.start(label, file.size) if reporter else (lambda n: None)
            value = downloader.fetch(url, file, None, label=label, advance=step).blake3
            if reporter:
                reporter.finish(label, "hashed", file.size)
        return replace(file, blake3=value), remote

    try:
        with ThreadPoolExecutor(max(1, parallelism)) as pool:
            learned = list(pool.map(learn, entry.files))
    finally:
        downloader.close()
    summary.hashed_remote += sum(remote for _, remote in learned)
    return replace(entry, files=tuple(f for f, _ in learned))
