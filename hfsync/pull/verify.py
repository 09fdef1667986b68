"""`hfsync verify`: check pulled files against the lock, with no network.

By default every file is rehashed with blake3 and compared with the state record its
pull wrote (hfsync.pull.state), and the record must answer the current lock: a file
recorded for another pin is ``stale``. Big files are hashed one at a time with blake3's
own threads over a memory map; small files side by side on a thread pool, since
per-file overhead, not hashing, dominates them.

Files the lock does not pin are the user's business (a dest folder may hold notes, eval
output) unless ``strict`` asks for them.

``deep`` needs no record: it rehashes against the lock's own digests (sha256 for LFS
files, the git blob sha1 otherwise), for a copy made by other means, and records what
it confirmed so the next verify can be the fast one. For a signed pin it also checks the
pulled model.sig again (the one the lock checked, by trusted keys) and each file against
the digest it signs, from the same read.
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import blake3

from hfsync import digests
from hfsync.errors import LockError, VerifyError
from hfsync.lock.layout import Layout
from hfsync.lock.lockfile import read_lock
from hfsync.lock.selection import Wanted, check_paths
from hfsync.manifest.model import Workspace
from hfsync.model.lock import LockedFile
from hfsync.model.verify import Difference
from hfsync.pull.metrics import PullRecord
from hfsync.pull.state import Recorded, StateRecord, read_state, recorded, write_state
from hfsync.signing.statement import SIGNATURE_FILE, SignedFiles, is_ignored

# Above this, one file is worth all cores; below, files are hashed side by side.
BIG = 16 * 1024 * 1024


@dataclass
class VerifyReport:
    """Files checked, and the labels of those missing, changed, extra, or stale (recorded
    for another pin than the lock's, or not recorded at all)."""

    checked: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[Difference] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    records: dict[str, PullRecord] = field(default_factory=dict)  # per pull, for --metrics-file
    stale: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.extra or self.stale)


def blake3_file(path: Path, size: int | None = None) -> str:
    """blake3 of a file: memory-mapped and multi-threaded when big, a plain read when small."""
    size = os.stat(path).st_size if size is None else size
    if size >= BIG:
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(path)
        return hasher.hexdigest()
    with open(path, "rb") as handle:
        return blake3.blake3(handle.read()).hexdigest()


@dataclass
class _Check:
    key: str  # the pull's
    label: str
    path: Path  # where the user finds the file (through the cache's link)
    file: LockedFile
    state: StateRecord | None  # what its pull recorded (None with --deep, or when there is no record)
    stat: os.stat_result | None = None
    confirmed: Recorded | None = None  # deep: what to record for a file that matched the lock
    signed: SignedFiles | None = None  # deep: what the pull's model.sig signs, checked again offline
    unsigned: str | None = None  # deep: why the file is not what model.sig signed


def run_verify(workspace: Workspace, targets: tuple[str, ...] = (), *, deep: bool = False, strict: bool = False,
               workers: int | None = None) -> VerifyReport:
    """Compare the pulled files of every selected pull with its lock (see the module's docstring);
    ``strict`` also lists files in a destination that the lock does not pin (``extra``)."""
    wanted = Wanted(targets)
    wanted.check(workspace)
    started = time.monotonic()
    report = VerifyReport()
    checks: list[_Check] = []
    fresh: list[tuple[StateRecord, list[_Check]]] = []
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path)
        pulls = wanted.pulls(manifest)
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
            state = None if deep else read_state(layout.state_path())
            metrics = report.records[entry.key] = PullRecord(entry.key, entry.commit, files=len(entry.files))
            if deep:
                fresh.append((StateRecord(layout.state_path(), entry.key, entry.commit), []))
            elif state is None and layout.snapshot().is_dir():
                report.stale.append(f"{entry.key}: no record of a pull into {layout.snapshot()}")
            pinned = {f.path for f in entry.files}
            signed = None
            if deep and entry.signature is not None:
                from hfsync.lock.signature import recheck  # only for signed pins: its key checks

                sig = next((f for f in entry.files if f.path == SIGNATURE_FILE), None)
                signed, problem = recheck(pull, entry, layout.visible(sig)) if sig else (None, "not pinned")
                if problem:
                    report.changed.append(Difference(f"{entry.key}/{SIGNATURE_FILE}", "signature", problem=problem))
            for file in entry.files:
                check = _Check(entry.key, f"{entry.key}/{file.path}", layout.visible(file), file, state,
                               signed=signed if signed is not None and not is_ignored(file.path) else None)
                checks.append(check)
                if deep:
                    fresh[-1][1].append(check)
            if strict and layout.snapshot().is_dir():  # a dest folder may hold the user's own notes
                extra = [f"{entry.key}/{p}" for p in layout.present() if p not in pinned]
                report.extra.extend(extra)
                metrics.extra = len(extra)
    _run(report, checks, deep, workers)
    for state, owned in fresh:
        files = {c.file.path: c.confirmed for c in owned if c.confirmed is not None}
        if files:
            write_state(StateRecord(state.path, state.pull, state.commit, files))
    for found in (report.missing, report.changed, report.extra, report.stale):
        found.sort()
    for metrics in report.records.values():
        metrics.seconds = time.monotonic() - started  # hashed together: each pull took the run
    return report


def _run(report: VerifyReport, checks: list[_Check], deep: bool, workers: int | None) -> None:
    """Hash what needs hashing (big files one by one, small ones side by side) and judge each."""
    big: list[_Check] = []
    small: list[_Check] = []
    for check in checks:
        metrics = report.records[check.key]
        try:
            check.stat = os.stat(check.path)
        except OSError:
            report.missing.append(check.label)
            metrics.missing += 1
            continue
        problem = None if deep else _stale(check)
        if problem is not None:
            metrics.changed += 1
            if problem:  # "" when the whole pull has no record: said once already
                report.stale.append(f"{check.label} ({problem}; run `hfsync pull`)")
        elif check.stat.st_size != check.file.size:
            report.changed.append(Difference(check.label, "size", check.stat.st_size, check.file.size))
            metrics.changed += 1
        else:
            (big if check.file.size >= BIG else small).append(check)
    hash_one = _deep_hash if deep else _fast_hash
    for check in big:
        _judge(report, check, hash_one(check), deep)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 1) * 2)) as pool:
        for check, value in zip(small, pool.map(hash_one, small), strict=True):
            _judge(report, check, value, deep)


def _stale(check: _Check) -> str | None:
    """Why the record cannot vouch for this file under the current lock, or None when it can."""
    if check.state is None:
        return ""
    known = check.state.files.get(check.file.path)
    if known is None:
        return "not in the record of what was pulled"
    if not known.answers(check.file):
        return f"pulled as {known.digest[:19]}…, the lock pins {check.file.digest[:19]}…"
    return None


def _fast_hash(check: _Check) -> str:
    return blake3_file(check.path, check.file.size)


def _deep_hash(check: _Check) -> str:
    """The lock's own kind of digest, with blake3 from the same read kept on the check for the record."""
    lfs = check.file.sha256 is not None
    found = digests.hash_file(check.path, sha256=lfs or check.signed is not None, git_sha1=not lfs)
    hub_digest = found.sha256 if lfs else found.git_sha1
    if check.signed is not None:
        from hfsync.lock.signature import signed_mismatch

        check.unsigned = signed_mismatch(check.signed.files.get(check.file.path), found)
    if hub_digest == check.file.etag:
        assert check.stat is not None
        check.confirmed = recorded(check.stat, check.file, found.blake3)
    return hub_digest


def _judge(report: VerifyReport, check: _Check, value: str, deep: bool) -> None:
    report.checked += 1
    report.bytes += check.file.size
    metrics = report.records[check.key]
    if deep:
        if value != check.file.etag:
            kind = "sha256" if check.file.sha256 else "git-sha1"
            report.changed.append(Difference(check.label, kind, value, check.file.etag))
            metrics.changed += 1
            return
        if check.unsigned:
            report.changed.append(Difference(check.label, "signature", problem=check.unsigned))
            metrics.changed += 1
            return
    else:
        assert check.state is not None
        known = check.state.files[check.file.path]
        if value != known.blake3:
            report.changed.append(Difference(check.label, "blake3", value, known.blake3))
            metrics.changed += 1
            return
    metrics.verified += 1
    metrics.bytes_verified += check.file.size


def raise_on_mismatch(report: VerifyReport) -> None:
    """VerifyError-like failure listing what differs (the CLI prints the lists first)."""
    if not report.ok:
        count = len(report.missing) + len(report.changed) + len(report.extra) + len(report.stale)
        raise VerifyError(
            f"{count} file{'s differ' if count != 1 else ' differs'} from the lock",
            hint="Run `hfsync pull` to restore pinned files and its record (`hfsync verify --deep` checks a copy "
            "made by other means against the lock's digests)"
            + ("; remove extra files by hand, or verify without --strict." if report.extra else "."),
        )
