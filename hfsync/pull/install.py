"""`hfsync pull`: the lock's files on disk, verified, in parallel, resumable, offline-capable.

The run is planned first (hfsync.pull.jobs: one job per file, as data), then a small
executor runs the jobs and keeps how each ended. A file is checked on disk first: one the
destination's state record (hfsync.pull.state) says was verified for this pin, at this
(size, mtime, inode), is kept without reading; one of unknown history is rehashed and kept
if it matches the lock's digest. The rest are downloaded (see hfsync.hub.download) in
parallel, their blake3 computed on the way. Every file found or installed is recorded, even
when others fail. Offline, nothing is requested: the pull succeeds from disk or names every
missing file. What the run did (the summary, the metrics) is computed from how the jobs ended.
"""

from __future__ import annotations

import concurrent.futures
import os
import stat as stats
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from hfsync import digests
from hfsync.errors import AccessError, ContentError, HfsyncError, OfflineError, Unavailable
from hfsync.hub.client import Hub
from hfsync.hub.download import Fetched
from hfsync.hub.partial import fsync_dirs
from hfsync.hub.retry import Retry
from hfsync.hub.xetpull import LocalCopy
from hfsync.lock.pin import save
from hfsync.manifest.model import Workspace
from hfsync.model.lock import LockedPull
from hfsync.model.progress import Reporter
from hfsync.pull.jobs import FileJob, PullJobs, PullOptions, plan_jobs
from hfsync.pull.metrics import PullRecord, metrics_written
from hfsync.pull.safetensors import SafetensorsError, check_file
from hfsync.pull.sources import Sources, SourceSpec, open_sources
from hfsync.pull.state import Recorded, StateRecord, recorded, write_state

EDITED = "changed since it was pulled"
_EARLIER = "an earlier pin's copy"
# What resolves a failure a rerun can fix: a connection cut, a server failing (hfsync.errors.Unavailable).
RERUN = "Run `hfsync pull` again: finished files are skipped and partial ones resume."


@dataclass(frozen=True)
class Done:
    """How one job ended: ``present``, ``downloaded``, ``missing`` (offline), ``failed`` or
    ``gated`` (the Hub keeps the repo's files from this token)."""

    job: FileJob
    outcome: str
    verified: Recorded | None = None  # what to record for the file now in place
    source: str = ""  # where the bytes came from, when downloaded
    received: int = 0  # bytes received over the network, when downloaded
    resumed: int = 0  # bytes of an interrupted earlier run's partial that the download continued
    differs: str | None = None  # why a file at the target was not the pinned one, when one was there
    error: str = ""  # the failure, naming its file
    fix: str = ""  # what resolves the failure (see _fix)
    rejected: tuple[str, ...] = ()  # sources passed over for this file
    seconds: float = 0.0  # since the run started


@dataclass(frozen=True)
class PullSummary:
    """What a pull did, from how its jobs ended; the failures are reported by ``raise_on_failure``."""

    pulls: int = 0
    downloaded: int = 0
    present: int = 0
    resumed: int = 0  # of the downloaded, those that continued an interrupted run's partial
    bytes_downloaded: int = 0
    replaced: tuple[str, ...] = ()  # files changed since they were pulled, put back
    locks_written: tuple[Path, ...] = ()
    records: dict[str, PullRecord] = field(default_factory=dict)  # per pull, for --metrics-file
    failures: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()  # what resolves the failures, each said once
    missing: tuple[str, ...] = ()  # offline: files that could not be installed from disk, and why
    gated: dict[str, LockedPull] = field(default_factory=dict)  # pulls whose files the Hub keeps from this token


def run_pull(workspace: Workspace, hub: Hub | None, retry: Retry, options: PullOptions,
             reporter: Reporter) -> PullSummary:
    """Install every wanted pull's pinned files; HfsyncError naming each file that failed.

    ``hub`` (None offline) carries its own retry policy; ``retry`` is the one for the mirrors
    and registries files may come from first. ``options.metrics_file`` is written whether the
    run succeeds or not."""
    executor = Executor(None if options.offline else hub, retry, options.parallelism, reporter)
    with metrics_written(options.metrics_file, "pull", executor.records):
        planned = plan_jobs(workspace, hub, options)
        executor.run(planned)
        summary = summarize(planned, executor.done)
        raise_on_failure(summary, hub)
        for layout, _ in planned.pins:
            layout.finish()
        written = tuple(r.manifest.lock_path for r in planned.relocks if save(r.manifest, r.before, r.after))
        return replace(summary, locks_written=written, failures=(), missing=(), gated={})


def summarize(planned: PullJobs, done: list[Done]) -> PullSummary:
    """The run's account, from its plan and how each job ended."""
    downloaded = [d for d in done if d.outcome == "downloaded"]
    failed = [d for d in done if d.outcome == "failed"]
    gated = {d.job.layout.entry.key: d.job.layout.entry for d in done if d.outcome == "gated"}
    return PullSummary(
        pulls=len(planned.pins),
        downloaded=len(downloaded),
        present=sum(d.outcome == "present" for d in done),
        resumed=sum(d.resumed > 0 for d in downloaded),
        bytes_downloaded=sum(d.received for d in downloaded),
        replaced=tuple(sorted(d.job.label for d in downloaded if d.differs == EDITED)),  # said, not asked
        records=_records(planned, done),
        failures=tuple(sorted(d.error for d in failed)),
        fixes=tuple(dict.fromkeys(d.fix for d in sorted(failed, key=lambda d: d.error))),
        missing=tuple(sorted(f"{d.job.label} ({d.differs or 'not on disk'})" for d in done if d.outcome == "missing")),
        gated=gated,
    )


def _records(planned: PullJobs, done: list[Done]) -> dict[str, PullRecord]:
    records = {entry.key: PullRecord(entry.key, entry.commit, files=len(entry.files)) for _, entry in planned.pins}
    for d in done:
        record = records[d.job.layout.entry.key]
        record.seconds = max(record.seconds, d.seconds)
        for name in d.rejected:
            record.refused(name)
        served = len(d.job.links)
        if d.outcome in ("failed", "gated"):
            record.changed += served
        elif d.outcome == "missing":
            record.missing += served
        else:
            if d.outcome == "downloaded":
                record.took(d.source, d.job.file.size * served)
            record.verified += served
            record.bytes_verified += d.job.file.size * served
    return records


def raise_on_failure(summary: PullSummary, hub: Hub | None) -> None:
    """The run's failures as one error: gated repos first, then files that failed, then files missing offline."""
    if summary.gated:
        raise _refused(hub, summary.gated, summary.failures, summary.fixes)
    if summary.failures:
        raise HfsyncError(
            _files(summary.failures, "{} could not be pulled; the others are in place"), hint=" ".join(summary.fixes))
    if summary.missing:
        raise OfflineError(
            _files(summary.missing, "offline, and {} cannot be installed from disk", "pinned "),
            hint="Pull once where the Hub is reachable (or copy the files in), then pull offline.",
        )


def _files(lines: tuple[str, ...], head: str, kind: str = "") -> str:
    count = f"{len(lines)} {kind}file{'s' if len(lines) != 1 else ''}"
    return head.format(count) + ":\n" + "\n".join(f"  {line}" for line in lines)


def _fix(error: HfsyncError) -> str:
    """What resolves a file's failure: running again when that can (a passing failure, or one
    nothing more is known of), else the error's own hint (a credential refused for another
    host, bytes that do not match the lock: a rerun meets them again)."""
    return RERUN if isinstance(error, Unavailable) or not error.hint else error.hint


def _refused(hub: Hub | None, gated: dict[str, LockedPull], failures: tuple[str, ...],
             fixes: tuple[str, ...]) -> AccessError:
    """Gated repos this token was not granted: running again changes nothing until access is given."""
    keys = sorted(gated)
    one = len(keys) == 1
    message = (f"{', '.join(keys)} {'is' if one else 'are'} gated on the Hub and this token has not been granted "
               f"access: none of {'its' if one else 'their'} files were pulled.")
    if failures:
        message += (f"\n{len(failures)} other file{'s' if len(failures) != 1 else ''} could not be pulled:\n"
                    + "\n".join(f"  {f}" for f in failures))
    pages = f" ({', '.join(hub.page(gated[k].type, gated[k].id) for k in keys)})" if hub is not None else ""
    return AccessError(message, hint=(
        f"Request access on the repo's page{pages} while logged in as the token's user, then use that token "
        "(HF_TOKEN, --token or `hf auth login`); a fine-grained token also needs read access to gated repos."
        + (" Then run `hfsync pull` again: finished files are skipped." if failures else "")
        + "".join(f" {fix}" for fix in fixes if fix != RERUN)))


# --- the executor -------------------------------------------------------------------


class Executor:
    """Runs the planned jobs: transfers on one pool, fsync and rename on another (a transfer
    thread moves on to the next file), and keeps how each job ended, in ``done``."""

    def __init__(self, hub: Hub | None, retry: Retry, parallelism: int, reporter: Reporter) -> None:
        self.hub = hub
        self.retry = retry
        self.workers = max(1, parallelism)
        self.reporter = reporter
        self.planned = PullJobs()
        self.done: list[Done] = []
        self.started = time.monotonic()

    def records(self) -> list[PullRecord]:
        return list(_records(self.planned, self.done).values())

    def run(self, planned: PullJobs) -> None:
        """Run every job of ``planned``; every file in place is recorded, whatever else happens."""
        self.planned = planned
        for note in planned.notes:
            self.reporter.note(note)
        try:
            self._run(planned.jobs)
        finally:
            _write_states(planned.jobs, self.done)

    def _run(self, jobs: tuple[FileJob, ...]) -> None:
        chains: dict[tuple[SourceSpec, ...], Sources | None] = {
            specs: open_sources(specs, self.hub, self.retry, self.reporter.note) for specs in {j.sources for j in jobs}}
        self.reporter.begin(len(jobs), sum(j.file.size for j in jobs))
        with ThreadPoolExecutor(self.workers) as pool, \
                ThreadPoolExecutor(self.workers, thread_name_prefix="hfsync-install") as finishers:
            ordered = sorted(jobs, key=lambda j: -j.file.size)  # big files first keeps every worker busy
            transfers = [pool.submit(self._transfer, job, chains[job.sources], finishers) for job in ordered]
            installing: list[Future[Done]] = []
            try:
                for future in concurrent.futures.as_completed(transfers):
                    ended = future.result()
                    if isinstance(ended, Done):
                        self._settle(ended)
                    else:
                        installing.append(ended)
                for finished in concurrent.futures.as_completed(installing):
                    self._settle(finished.result())
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                finishers.shutdown(wait=False, cancel_futures=True)
                raise
            finally:
                for chain in chains.values():
                    if chain is not None:
                        chain.close()
        fsync_dirs({d.job.target.parent for d in self.done if d.outcome == "downloaded"})

    def _settle(self, done: Done) -> None:
        self.done.append(done)
        if done.outcome != "missing":
            outcome = "failed" if done.outcome == "gated" else "resumed" if done.resumed else done.outcome
            self.reporter.finish(done.job.label, outcome, done.job.file.size)

    def _ended(self, job: FileJob, outcome: str, *, verified: Recorded | None = None, source: str = "",
               received: int = 0, resumed: int = 0, differs: str | None = None, error: HfsyncError | None = None,
               rejected: tuple[str, ...] = ()) -> Done:
        said, fix = (error.message, _fix(error)) if error is not None else ("", "")
        return Done(job, outcome, verified, source, received, resumed, differs, said, fix, rejected,
                    time.monotonic() - self.started)

    def _transfer(self, job: FileJob, sources: Sources | None, finishers: ThreadPoolExecutor) -> Done | Future[Done]:
        """The job checked on disk, else its bytes fetched and handed to a finisher."""
        rejected: list[str] = []
        try:
            disk = _in_place(job)
            if disk.verified is not None:
                _link(job)
                return self._ended(job, "present", verified=disk.verified)
            if sources is None:
                return self._ended(job, "missing", differs=disk.differs)
            job.target.parent.mkdir(parents=True, exist_ok=True)
            fetched, source = sources.fetch(
                job.layout.entry, job.file, job.target, partial=job.layout.partial(job.target),
                previous=_previous(job), label=job.label, advance=self.reporter.start(job.label, job.file.size),
                accept=_safetensors_gate(job.label) if job.safetensors else None, rejected=rejected.append)
        except AccessError:
            return self._ended(job, "gated", rejected=tuple(rejected))
        except HfsyncError as error:
            return self._ended(job, "failed", error=error, rejected=tuple(rejected))  # it names its file
        return finishers.submit(self._install, job, fetched, source, disk.differs, tuple(rejected))

    def _install(self, job: FileJob, fetched: Fetched, source: str, differs: str | None,
                 rejected: tuple[str, ...]) -> Done:
        """Verified bytes moved into place (fsync and rename), and the paths they serve linked."""
        try:
            fetched.install()
            verified = recorded(os.stat(job.target), job.file, fetched.blake3)
            _link(job)
        except HfsyncError as error:
            return self._ended(job, "failed", error=error, rejected=rejected)
        return self._ended(job, "downloaded", verified=verified, source=source, received=fetched.received,
                           resumed=fetched.resumed, differs=differs, rejected=rejected)


def _link(job: FileJob) -> None:
    for file in job.links:
        job.layout.link(file)


def _safetensors_gate(label: str) -> Callable[[BinaryIO], None]:
    def accept(handle: BinaryIO) -> None:
        try:
            check_file(handle)
        except (SafetensorsError, OSError) as error:
            raise ContentError(
                f"{label}: not a valid safetensors file ({error}); it was not installed.",
                hint="The repo holds a corrupt or disguised .safetensors file; report it to its owner.",
            ) from None

    return accept


@dataclass(frozen=True)
class _OnDisk:
    verified: Recorded | None = None  # the file at the target holds the pinned content
    differs: str | None = None  # else what is there instead, if anything


def _in_place(job: FileJob) -> _OnDisk:
    """Whether the file at the job's target holds the pinned content; reads nothing when the
    record vouches for this pin at the file's current stat key."""
    try:
        found = os.lstat(job.target)
    except OSError:
        return _OnDisk()
    known = job.state.files.get(job.file.path)
    if not stats.S_ISREG(found.st_mode):
        return _OnDisk(differs="not a regular file")
    if known is not None and known.unchanged(found):
        if known.answers(job.file):
            return _OnDisk(known)
        if known.refutes(job.file):
            return _OnDisk(differs=_EARLIER)  # the previous pin's copy, as recorded: reading it would only say so
    if found.st_size != job.file.size:
        return _OnDisk(differs=EDITED if known is None or found.st_size != known.size else _EARLIER)
    try:
        hashed = digests.hash_file(job.target)
    except OSError:
        return _OnDisk()
    if (hashed.sha256 if job.file.sha256 else hashed.git_sha1) != job.file.etag:
        return _OnDisk(differs=EDITED if known is None or hashed.blake3 != known.blake3 else _EARLIER)
    return _OnDisk(recorded(found, job.file, hashed.blake3))


def _previous(job: FileJob) -> LocalCopy | None:
    """The previous pin's copy of the job's file, with its Xet hash when the record vouches for it."""
    path = job.layout.previous(job.file)
    if path is None:
        return None
    known = job.state.files.get(job.file.path)
    try:
        vouched = path == job.target and known is not None and known.unchanged(os.lstat(path))
    except OSError:
        vouched = False
    return LocalCopy(path, known.xet_hash if vouched and known is not None else None)


def _write_states(jobs: tuple[FileJob, ...], done: list[Done]) -> None:
    """Record every file now in place, per destination; keep what is known of the others."""
    verified = {d.job: d.verified for d in done if d.verified is not None}
    by_state: dict[Path, tuple[StateRecord, list[FileJob]]] = {}
    for job in jobs:
        by_state.setdefault(job.state.path, (job.state, []))[1].append(job)
    for state, owned in by_state.values():
        pinned = {f.path for job in owned for f in job.links}
        files = {path: entry for path, entry in state.files.items() if path in pinned}
        for job in owned:
            if (record := verified.get(job)) is not None:
                files.update({f.path: record for f in job.links})
        entry = owned[0].layout.entry
        exists = state.path.exists()
        if (files or exists) and (files != state.files or state.commit != entry.commit or not exists):
            write_state(StateRecord(state.path, entry.key, entry.commit, files))
