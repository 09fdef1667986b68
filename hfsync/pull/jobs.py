"""What a pull will do, as data, before anything is fetched: the compare step of `hfsync pull`.

For each wanted pull the lock pins (pinned again first through hfsync.lock.pin when the
lock is missing or out of step, unless ``--locked`` or offline refuse that), the pin is
checked (paths that cannot be written, pickle files the policy refuses) and each pinned
file becomes one job: the file, every path it serves (the cache layout stores one blob for
identical files), where its verified bytes go, the destination's record of what was
verified there, and the sources to ask. Nothing is written here; hfsync.pull.install
runs the jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hfsync.errors import LockError, OfflineError, PolicyError, VerifyError
from hfsync.hub.client import Hub
from hfsync.hubfacts import is_pickle_file
from hfsync.lock.layout import Layout
from hfsync.lock.lockfile import read_lock
from hfsync.lock.pin import allows_unsafe, pin, stale_reasons
from hfsync.lock.selection import Wanted, check_paths
from hfsync.manifest.model import Manifest, Pull, Workspace
from hfsync.model.lock import SET_ASIDE, LockedFile, LockedPull, LockFile
from hfsync.pull.sources import SourceSpec, sources_for
from hfsync.pull.state import StateRecord, read_state


@dataclass(frozen=True)
class PullOptions:
    wanted: Wanted = field(default_factory=Wanted)
    locked: bool = False
    offline: bool = False
    allow_unsafe: bool = False
    parallelism: int = 8
    metrics_file: Path | None = None  # Prometheus text of the run, written whether it succeeds or not


@dataclass(frozen=True, eq=False)  # each job is itself: keyed by identity
class FileJob:
    """One file to have in place: the pinned file and every path it serves, where its bytes go
    (checked once, before anything is written: safe_join stats every folder), the record of
    its destination, and the mirrors and registries to ask before the Hub."""

    layout: Layout
    file: LockedFile
    links: tuple[LockedFile, ...]
    target: Path
    state: StateRecord
    sources: tuple[SourceSpec, ...]

    @property
    def label(self) -> str:
        return f"{self.layout.entry.key}/{self.file.path}"

    @property
    def safetensors(self) -> bool:
        return any(f.path.endswith(".safetensors") for f in self.links)


@dataclass(frozen=True)
class Relock:
    """A manifest's lock before and after pinning, written once its files are in place."""

    manifest: Manifest
    before: LockFile
    after: LockFile


@dataclass(frozen=True)
class PullJobs:
    """The whole run: its jobs, the pins they serve, the locks to write, what to say first."""

    jobs: tuple[FileJob, ...] = ()
    pins: tuple[tuple[Layout, LockedPull], ...] = ()
    relocks: tuple[Relock, ...] = ()
    notes: tuple[str, ...] = ()


def plan_jobs(workspace: Workspace, hub: Hub | None, options: PullOptions) -> PullJobs:
    """Every job of the run; LockError, OfflineError or PolicyError before anything is fetched or written."""
    options.wanted.check(workspace)
    jobs: list[FileJob] = []
    pins: list[tuple[Layout, LockedPull]] = []
    relocks: list[Relock] = []
    notes: list[str] = []
    states: dict[Path, StateRecord] = {}
    for manifest in workspace.manifests:
        pulls = options.wanted.pulls(manifest)
        before = read_lock(manifest.lock_path) or LockFile(manifest.lock_path)
        stale = _stale(manifest, pulls, before, options.locked, offline=options.offline or hub is None)
        lock = before
        if stale and hub is not None:
            pinned = pin(hub, manifest, before, stale, allow_unsafe=options.allow_unsafe)
            relocks.append(Relock(manifest, before, pinned.lock))
            notes += [note for resolved in pinned.resolved for note in _left_out(resolved.entry.key,
                                                                                 resolved.left_out,
                                                                                 resolved.set_aside)]
            lock = pinned.lock
        entries = {(p.type, p.id): p for p in lock.pulls}
        specs = sources_for(manifest)
        for pull in pulls:
            entry = entries[(pull.type, pull.id)]  # in step now: every wanted pull is pinned
            check_paths(entry, str(manifest.lock_path), LockError)
            _check_unsafe(manifest, pull, entry, options.allow_unsafe)
            layout = Layout(pull, entry)
            pins.append((layout, entry))
            jobs += _file_jobs(layout, _state_for(layout, states), specs)
    return PullJobs(tuple(jobs), tuple(pins), tuple(relocks), tuple(notes))


def _stale(manifest: Manifest, pulls: list[Pull], lock: LockFile, locked: bool, *, offline: bool) -> list[Pull]:
    """The wanted pulls whose pin must be made again; refused under ``--locked`` and offline."""
    reasons = stale_reasons(manifest, lock if lock.path.exists() else None, [p.key for p in pulls])
    if reasons and locked:
        raise LockError(
            f"--locked: {manifest.lock_path} is out of step with {manifest.path}:\n"
            + "\n".join(f"  {r}" for r in reasons),
            hint="Run `hfsync lock` and commit hfsync.lock, then pull again.",
        )
    if reasons and offline:
        raise OfflineError(
            f"offline, and {manifest.lock_path} is out of step with {manifest.path}:\n"
            + "\n".join(f"  {r}" for r in reasons),
            hint="Run `hfsync lock` where the Hub is reachable and commit hfsync.lock.",
        )
    return [p for p in pulls if stale_reasons(manifest, lock, [p.key])]


def _left_out(key: str, pickles: tuple[str, ...], aside: tuple[str, ...]) -> list[str]:
    notes = []
    if pickles:
        notes.append(f"{key}: left out {len(pickles)} pickle file(s) that safetensors weights replace: "
                     f"{', '.join(pickles)}")
    if aside:
        notes.append(f"{key}: left out ({SET_ASIDE}): {', '.join(aside)}")
    return notes


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


@dataclass
class _Target:
    file: LockedFile
    links: list[LockedFile] = field(default_factory=list)


def _file_jobs(layout: Layout, state: StateRecord, specs: tuple[SourceSpec, ...]) -> list[FileJob]:
    """One job per place bytes go: files of the same content share a blob in the cache layout."""
    targets: dict[Path, _Target] = {}
    for file in layout.entry.files:
        target = layout.target(file)
        layout.visible(file)  # refuses escaping paths before anything is written
        targets.setdefault(target, _Target(file)).links.append(file)
    return [FileJob(layout, t.file, tuple(t.links), target, state, specs) for target, t in targets.items()]
