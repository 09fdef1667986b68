"""`hfsync verify`: rehash every pulled file with blake3 and compare it with the lock.

No network. Big files are hashed one at a time with blake3's own threads over a memory
map; small files are spread over a thread pool instead, since per-file overhead, not
hashing, dominates them. Reports missing, changed and extra files.
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import blake3

from hfsync.digests import DigestCache
from hfsync.errors import LockError, VerifyError
from hfsync.manifest.model import Workspace
from hfsync.pull.layout import Layout
from hfsync.pull.lockfile import LockedFile, read_lock
from hfsync.pull.metrics import PullRecord
from hfsync.pull.selection import check_paths, check_targets, selected_pulls

# Above this, one file is worth all cores; below, files are hashed side by side.
BIG = 16 * 1024 * 1024


@dataclass
class VerifyReport:
    """Files checked against the lock, and the labels of those missing, changed or extra."""

    checked: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    records: dict[str, PullRecord] = field(default_factory=dict)  # per pull, for --metrics-file

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.extra)


def blake3_file(path: Path, size: int | None = None) -> str:
    """blake3 of a file: memory-mapped and multi-threaded when big, a plain read when small."""
    size = os.stat(path).st_size if size is None else size
    if size >= BIG:
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(path)
        return hasher.hexdigest()
    with open(path, "rb") as handle:
        return blake3.blake3(handle.read()).hexdigest()


def run_verify(workspace: Workspace, targets: tuple[str, ...] = (), digests: DigestCache | None = None,
               workers: int | None = None) -> VerifyReport:
    """Compare the pulled files of every selected pull with its lock."""
    check_targets(workspace, targets)
    started = time.monotonic()
    report = VerifyReport()
    checks: list[tuple[str, Path, LockedFile, Layout]] = []
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path)
        pulls = selected_pulls(manifest, targets)
        if lock is None and pulls:
            raise LockError(f"{manifest.lock_path} does not exist; nothing to verify against",
                            hint="Run `hfsync lock` and `hfsync pull` first.")
        for pull in pulls:
            entry = lock.get(pull.type, pull.id) if lock else None
            if entry is None:
                raise LockError(f"pull '{pull.key}' is not in {manifest.lock_path}",
                                hint="Run `hfsync lock` and `hfsync pull` first.")
            check_paths(entry, str(manifest.lock_path), LockError)
            layout = Layout(pull, entry)
            pinned = {f.path for f in entry.files}
            record = report.records[entry.key] = PullRecord(entry.key, entry.commit, files=len(entry.files))
            for file in entry.files:
                checks.append((f"{entry.key}/{file.path}", layout.visible(file), file, layout))
            if layout.snapshot().is_dir():
                extra = [f"{entry.key}/{p}" for p in layout.present() if p not in pinned]
                report.extra.extend(extra)
                record.extra = len(extra)
    small = []
    for label, path, file, layout in checks:
        try:
            size = os.stat(path).st_size
        except OSError:
            report.missing.append(label)
            report.records[layout.entry.key].missing += 1
            continue
        if size != file.size:
            report.changed.append(f"{label} ({size} bytes, pinned {file.size})")
            report.records[layout.entry.key].changed += 1
        elif size >= BIG:
            _compare(report, label, file, blake3_file(path, size), layout, digests)
        else:
            small.append((label, path, file, layout))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 1) * 2)) as pool:
        hashed = pool.map(lambda c: blake3_file(c[1], c[2].size), small)
        for (label, _path, file, layout), value in zip(small, hashed, strict=True):
            _compare(report, label, file, value, layout, digests)
    report.missing.sort()
    report.changed.sort()
    report.extra.sort()
    for record in report.records.values():
        record.seconds = time.monotonic() - started  # hashed together: each pull took the run
    return report


def _compare(report: VerifyReport, label: str, file: LockedFile, value: str, layout: Layout,
             digests: DigestCache | None) -> None:
    report.checked += 1
    report.bytes += file.size
    record = report.records[layout.entry.key]
    if value != file.blake3:
        report.changed.append(f"{label} (blake3 {value[:16]}…, pinned {str(file.blake3)[:16]}…)")
        record.changed += 1
        return
    record.verified += 1
    record.bytes_verified += file.size
    if digests is not None:
        # blake3 matched the pin, so the Hub digest pinned beside it holds too: the next
        # pull can skip this file without reading it.
        hub_digest = {"sha256": file.sha256} if file.sha256 else {"git_sha1": file.git_oid or ""}
        digests.remember(layout.target(file), blake3=value, **hub_digest)


def raise_on_mismatch(report: VerifyReport) -> None:
    """VerifyError-like failure listing what differs (the CLI prints the lists first)."""
    if not report.ok:
        count = len(report.missing) + len(report.changed) + len(report.extra)
        raise VerifyError(
            f"{count} file{'s differ' if count != 1 else ' differs'} from the lock",
            hint="Run `hfsync pull` to restore pinned files; remove extra files by hand.",
        )
