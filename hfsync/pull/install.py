"""`hfsync pull`: the lock's files on disk, verified, in parallel, resumable, offline-capable.

For each pull the lock pins (re-resolving stale pins first unless ``--locked``), every
file is checked on disk first: one the destination's state record (hfsync.pull.state)
says was verified for this pin, at this (size, mtime, inode), is skipped without
reading; one of unknown history is rehashed and kept if it matches the lock's digest.
The rest are downloaded (see hfsync.hub.download) in parallel, their blake3 computed
on the way. Every file found or installed is recorded, even when others fail. Offline,
nothing is requested: the pull succeeds from disk or names every missing file.
"""

from __future__ import annotations

import concurrent.futures
import os
import stat as stats
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from hfsync import digests
from hfsync.errors import AccessError, ContentError, HfsyncError, LockError, OfflineError, PolicyError, VerifyError
from hfsync.hub.client import Hub
from hfsync.hub.download import fsync_dirs
from hfsync.hub.retry import Retry
from hfsync.hub.xetpull import LocalCopy
from hfsync.hubfacts import is_pickle_file
from hfsync.lock.layout import Layout
from hfsync.lock.lockfile import read_lock
from hfsync.lock.pin import allows_unsafe, pin, save, stale_reasons
from hfsync.lock.selection import check_paths, check_targets, selected_pulls
from hfsync.manifest.model import Manifest, Pull, Workspace
from hfsync.model.lock import SET_ASIDE, LockedFile, LockedPull, LockFile
from hfsync.model.progress import Reporter
from hfsync.pull.metrics import PullRecord
from hfsync.pull.safetensors import SafetensorsError, check_file
from hfsync.pull.sources import Sources, SourceSpec, open_sources, sources_for
from hfsync.pull.state import Recorded, StateRecord, read_state, recorded, write_state


@dataclass(frozen=True)
class PullOptions:
    targets: tuple[str, ...] = ()
    locked: bool = False
    offline: bool = False
    allow_unsafe: bool = False
    parallelism: int = 8


@dataclass
class PullSummary:
    pulls: int = 0
    downloaded: int = 0
    present: int = 0
    bytes_downloaded: int = 0
    replaced: list[str] = field(default_factory=list)  # files changed since they were pulled, put back
    locks_written: list[Path] = field(default_factory=list)
    records: dict[str, PullRecord] = field(default_factory=dict)  # per pull, for --metrics-file


@dataclass
class _Job:
    layout: Layout
    file: LockedFile
    target: Path  # checked once, before anything is written (safe_join stats every folder)
    label: str
    links: list[LockedFile]
    state: StateRecord  # the destination's record of what was verified
    sources: tuple[SourceSpec, ...]  # mirrors and registries before the Hub
    blake3: str | None = None
    source: str = ""  # where the bytes came from, when downloaded
    received: int | None = None  # bytes received over the network, when not the file's size (Xet)
    verified: Recorded | None = None  # set once the file is in place, verified
    differs: str | None = None  # why a file at the target is not the pinned one, when one is there


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


def _plan(manifest: Manifest, pulls: list[Pull], lock: LockFile, options: PullOptions) -> list[str]:
    keys = [p.key for p in pulls]
    reasons = stale_reasons(manifest, lock if lock.path.exists() else None, keys)
    if reasons and options.locked:
        raise LockError(
            f"--locked: {manifest.lock_path} is out of step with {manifest.path}:\n"
            + "\n".join(f"  {r}" for r in reasons),
            hint="Run `hfsync lock` and commit hfsync.lock, then pull again.",
        )
    if reasons and options.offline:
        raise OfflineError(
            f"offline, and {manifest.lock_path} is out of step with {manifest.path}:\n"
            + "\n".join(f"  {r}" for r in reasons),
            hint="Run `hfsync lock` where the Hub is reachable and commit hfsync.lock.",
        )
    return [p.key for p in pulls if stale_reasons(manifest, lock, [p.key])]


def _check_unsafe(manifest: Manifest, pull: Pull, entry: LockedPull, allow: bool) -> None:
    pickles = sorted(f.path for f in entry.files if is_pickle_file(f.path))
    if pickles and not (allow or allows_unsafe(pull, manifest.policy)):
        raise PolicyError(
            f"pull '{pull.key}' ({pull.location}) would install files that load through pickle and "
            "can run code when loaded:\n" + "\n".join(f"  {p}" for p in pickles),
            hint="Accept the risk with `allow_unsafe: true` on this pull (or `--allow-unsafe`), "
            "or exclude these files and re-lock.",
        )


def _state_for(layout: Layout, states: dict[Path, StateRecord]) -> StateRecord:
    """The destination's record as the last pull left it (empty when missing or damaged:
    its files are then rehashed against the lock, which a record never overrides)."""
    path = layout.state_path()
    if path not in states:
        try:
            state = read_state(path)
        except VerifyError:
            state = None
        states[path] = state or StateRecord(path, layout.entry.key, layout.entry.commit)
    return states[path]


def run_pull(
    workspace: Workspace, hub: Hub | None, retry: Retry, options: PullOptions, reporter: Reporter,
    summary: PullSummary | None = None,
) -> PullSummary:
    """Install every selected pull's pinned files; HfsyncError naming each file that failed.

    ``hub`` (None offline) carries its own retry policy; ``retry`` is the one for the
    mirrors and registries files may come from first. Pass ``summary`` to read what was
    done (its per-pull records) even when this raises.
    """
    check_targets(workspace, options.targets)
    summary = summary if summary is not None else PullSummary()
    jobs: list[_Job] = []
    fresh: dict[Path, tuple[Manifest, LockFile, LockFile]] = {}
    layouts: list[Layout] = []
    states: dict[Path, StateRecord] = {}
    for manifest in workspace.manifests:
        pulls = selected_pulls(manifest, options.targets)
        lock = read_lock(manifest.lock_path) or LockFile(manifest.lock_path)
        restale = _plan(manifest, pulls, lock, options)
        specs = sources_for(manifest)
        stale = [p for p in pulls if p.key in restale]
        if stale:
            assert hub is not None
            pins = pin(hub, manifest, lock, stale, allow_unsafe=options.allow_unsafe)
            fresh[manifest.lock_path] = (manifest, lock, pins.lock)
            for resolved in pins.resolved:
                if resolved.left_out:
                    reporter.note(f"{resolved.entry.key}: left out {len(resolved.left_out)} pickle file(s) that "
                                  f"safetensors weights replace: {', '.join(resolved.left_out)}")
                if resolved.set_aside:
                    reporter.note(f"{resolved.entry.key}: left out ({SET_ASIDE}): {', '.join(resolved.set_aside)}")
            lock = pins.lock
        for pull in pulls:
            entry = lock.get(pull.type, pull.id)
            assert entry is not None
            check_paths(entry, str(manifest.lock_path), LockError)
            _check_unsafe(manifest, pull, entry, options.allow_unsafe)
            layout = Layout(pull, entry)
            layouts.append(layout)
            state = _state_for(layout, states)
            summary.pulls += 1
            summary.records[entry.key] = PullRecord(entry.key, entry.commit, files=len(entry.files))
            by_target: dict[Path, _Job] = {}
            for file in entry.files:
                target = layout.target(file)
                layout.visible(file)  # refuses escaping paths before anything is written
                if target in by_target:
                    by_target[target].links.append(file)
                else:
                    by_target[target] = _Job(layout, file, target, f"{entry.key}/{file.path}", [file], state,
                                             specs)
            jobs.extend(by_target.values())
    try:
        missing = _install(jobs, hub, retry, options, reporter, summary)
    finally:
        _write_states(jobs)
    if missing:
        raise OfflineError(
            f"offline, and {len(missing)} pinned file{'s' if len(missing) != 1 else ''} cannot be installed "
            "from disk:\n" + "\n".join(f"  {m}" for m in missing),
            hint="Pull once where the Hub is reachable (or copy the files in), then pull offline.",
        )
    for layout in layouts:
        layout.finish()
    summary.locks_written = _write_fresh(fresh)
    return summary


EDITED = "changed since it was pulled"
_EARLIER = "an earlier pin's copy"


def _in_place(job: _Job) -> str | None:
    """blake3 of the file at the job's target if it holds the pinned content, else None
    (with ``job.differs`` saying what is there instead, if anything).

    Reads nothing when the record vouches for this pin at the file's current stat key.
    """
    try:
        found = os.lstat(job.target)
    except OSError:
        return None
    known = job.state.files.get(job.file.path)
    if not stats.S_ISREG(found.st_mode):
        job.differs = "not a regular file"
        return None
    if known is not None and known.unchanged(found):
        if known.answers(job.file):
            job.verified = known
            return known.blake3
        if known.refutes(job.file):
            job.differs = _EARLIER
            return None  # the previous pin's copy, as recorded: reading it would only say so
    if found.st_size != job.file.size:
        job.differs = EDITED if known is None or found.st_size != known.size else _EARLIER
        return None
    try:
        hashed = digests.hash_file(job.target)
    except OSError:
        return None
    if (hashed.sha256 if job.file.sha256 else hashed.git_sha1) != job.file.etag:
        job.differs = EDITED if known is None or hashed.blake3 != known.blake3 else _EARLIER
        return None
    job.verified = recorded(found, job.file, hashed.blake3)
    return hashed.blake3


def _previous(job: _Job) -> LocalCopy | None:
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


def _write_states(jobs: list[_Job]) -> None:
    """Record every file now in place, per destination; keep what is known of the others."""
    by_state: dict[Path, tuple[StateRecord, list[_Job]]] = {}
    for job in jobs:
        by_state.setdefault(job.state.path, (job.state, []))[1].append(job)
    for state, owned in by_state.values():
        pinned = {f.path for job in owned for f in job.links}
        files = {path: entry for path, entry in state.files.items() if path in pinned}
        for job in owned:
            if job.verified is not None:
                files.update({f.path: job.verified for f in job.links})
        entry = owned[0].layout.entry
        exists = state.path.exists()
        if (files or exists) and (files != state.files or state.commit != entry.commit or not exists):
            write_state(StateRecord(state.path, entry.key, entry.commit, files))


def _install(
    jobs: list[_Job], hub: Hub | None, retry: Retry, options: PullOptions, reporter: Reporter,
    summary: PullSummary,
) -> list[str]:
    """Run every job; return labels missing offline; raise naming every failed file."""
    hub = None if options.offline else hub
    chains: dict[tuple[SourceSpec, ...], Sources | None] = {
        specs: open_sources(specs, hub, retry, reporter.note) for specs in {j.sources for j in jobs}}
    reporter.begin(len(jobs), sum(j.file.size for j in jobs))
    missing: list[str] = []
    failures: list[str] = []
    gated: dict[str, LockedPull] = {}  # pulls whose files the Hub keeps from this token
    written: set[Path] = set()
    started = time.monotonic()

    def finish(job: _Job, install: Callable[[], None] | None) -> str:
        target = job.target
        if install is not None:
            install()
            job.verified = recorded(os.stat(target), job.file, str(job.blake3))
            written.add(target.parent)
        for file in job.links:
            job.layout.link(file)
        return "downloaded" if install is not None else "present"

    def one(job: _Job) -> str | concurrent.futures.Future[str]:
        target = job.target
        job.blake3 = _in_place(job)
        if job.blake3 is not None:
            return finish(job, None)
        sources = chains[job.sources]
        if sources is None:
            return "missing"
        target.parent.mkdir(parents=True, exist_ok=True)
        advance = reporter.start(job.label, job.file.size)
        accept = _safetensors_gate(job.label) if any(f.path.endswith(".safetensors") for f in job.links) else None
        record = summary.records[job.layout.entry.key]
        fetched, job.source = sources.fetch(job.layout.entry, job.file, target, partial=job.layout.partial(target),
                                            previous=_previous(job),
                                            label=job.label, advance=advance, accept=accept, rejected=record.refused)
        job.blake3, job.received = fetched.blake3, fetched.received
        # fsync and rename on another thread: this one moves on to the next transfer.
        return finishers.submit(finish, job, fetched.install)

    def settle(job: _Job, future: concurrent.futures.Future) -> concurrent.futures.Future | None:
        record = summary.records[job.layout.entry.key]
        record.seconds = time.monotonic() - started
        try:
            outcome = future.result()
        except AccessError:
            gated[job.layout.entry.key] = job.layout.entry  # one sentence per repo, not one per file
            reporter.finish(job.label, "failed", job.file.size)
            record.changed += len(job.links)
            return None
        except HfsyncError as error:
            failures.append(error.message)  # every engine error names its file
            reporter.finish(job.label, "failed", job.file.size)
            record.changed += len(job.links)
            return None
        if isinstance(outcome, concurrent.futures.Future):
            return outcome
        if outcome == "missing":
            missing.append(f"{job.label} ({job.differs or 'not on disk'})")
            record.missing += len(job.links)
            return None
        if outcome == "downloaded":
            if job.differs == EDITED:
                summary.replaced.append(job.label)  # the lock decides: said, not asked
            summary.downloaded += 1
            summary.bytes_downloaded += job.file.size if job.received is None else job.received
            record.took(job.source, job.file.size * len(job.links))
        else:
            summary.present += 1
        record.verified += len(job.links)
        record.bytes_verified += job.file.size * len(job.links)
        reporter.finish(job.label, outcome, job.file.size)
        return None

    workers = max(1, options.parallelism)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool, \
            concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="hfsync-install") as finishers:
        ordered = sorted(jobs, key=lambda j: -j.file.size)  # big files first keeps every worker busy
        futures = {pool.submit(one, job): job for job in ordered}
        installing: dict[concurrent.futures.Future, _Job] = {}
        try:
            for future in concurrent.futures.as_completed(futures):
                job = futures[future]
                if (pending := settle(job, future)) is not None:
                    installing[pending] = job
            for future in concurrent.futures.as_completed(installing):
                settle(installing[future], future)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            finishers.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            for chain in chains.values():
                if chain is not None:
                    chain.close()
    fsync_dirs(written)
    summary.replaced.sort()
    if gated:
        assert hub is not None
        raise _refused(hub, gated, failures)
    if failures:
        raise HfsyncError(
            f"{len(failures)} file{'s' if len(failures) != 1 else ''} could not be pulled; "
            "the others are in place:\n" + "\n".join(f"  {f}" for f in sorted(failures)),
            hint="Run `hfsync pull` again: finished files are skipped and partial ones resume.",
        )
    return sorted(missing)


def _refused(hub: Hub, gated: dict[str, LockedPull], failures: list[str]) -> AccessError:
    """Gated repos this token was not granted: running again changes nothing until access is given."""
    keys = sorted(gated)
    one = len(keys) == 1
    message = (f"{', '.join(keys)} {'is' if one else 'are'} gated on the Hub and this token has not been granted "
               f"access: none of {'its' if one else 'their'} files were pulled.")
    if failures:
        message += (f"\n{len(failures)} other file{'s' if len(failures) != 1 else ''} could not be pulled:\n"
                    + "\n".join(f"  {f}" for f in sorted(failures)))
    pages = ", ".join(hub.page(gated[k].type, gated[k].id) for k in keys)
    return AccessError(message, hint=(
        f"Request access on the repo's page ({pages}) while logged in as the token's user, then use that token "
        "(HF_TOKEN, --token or `hf auth login`); a fine-grained token also needs read access to gated repos."
        + (" Then run `hfsync pull` again: finished files are skipped." if failures else "")))


def _write_fresh(fresh: dict[Path, tuple[Manifest, LockFile, LockFile]]) -> list[Path]:
    """Write re-resolved pins into their lock files."""
    return [path for path, (manifest, before, after) in fresh.items() if save(manifest, before, after)]
