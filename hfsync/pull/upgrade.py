"""`hfsync upgrade`: move pins whose revision moved upstream, and say what changed there.

For each pull (all, or those named) the revision is resolved again from metadata, as
`hfsync lock --update` does. A pin that moved gets a summary between its old and new
commit: the commits (the commits API, stopping at the old pin), the files added,
removed and changed with their sizes, the license before and after, what changed inside
each added or changed file as a plan shows it (hfsync.inspect: JSON keys, the card,
tensors and GGUF keys from headers read with Range requests, tabular columns and rows,
text lines; read as a plan reads the Hub's side, out of one byte budget per run, and
withheld where ``scan`` finds a possible secret), and the policy's verdicts (license,
safetensors only, size against ``max_memory``). A move that breaks the policy is reported and not
made unless ``allow_policy_violations``; one that needs pickle files is never made
(a pull would refuse them): that takes ``allow_unsafe`` on the pull.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from hfsync.errors import HfsyncError, PolicyError
from hfsync.hub.client import Hub
from hfsync.hub.content import read_range
from hfsync.hub.history import commits_between
from hfsync.hub.repofiles import resolve_pin
from hfsync.inspect.compare import compare, kind_of
from hfsync.inspect.reading import BUDGETS, HEADER_FIRST, TEXT_LIMIT, Budget, Over, fetch, header, scrub, tail
from hfsync.lock.lockfile import read_lock
from hfsync.lock.pin import merged, resolve, save
from hfsync.lock.selection import Wanted
from hfsync.manifest.model import Manifest, Pull, Workspace
from hfsync.model.inspect import FileDiff, none
from hfsync.model.lock import LockedFile, LockedPull, LockFile
from hfsync.model.upgrade import ContentMove, FileMove, PullMove, UpgradeReport, UpstreamCommit
from hfsync.units import human_size

THREADS = 8  # reads of the Hub's copies in flight at once, as a plan's

# text -> (line, type) of each possible secret found; None: the diffs' lines are not shown.
Scan = Callable[[str], Iterable[tuple[int, str]]]


def run_upgrade(
    workspace: Workspace, hub: Hub, *, ids: tuple[str, ...] = (),
    allow_policy_violations: bool = False, allow_unsafe: bool = False, scan: Scan | None = None,
) -> list[UpgradeReport]:
    """Move the pins of every manifest (only ``ids`` when given) and report what moved, per manifest.

    ``scan`` finds possible secrets in the diffs of upstream files, which are then withheld;
    without it every diff is withheld, since a summary travels (a pull request's body)."""
    wanted = Wanted(ids)
    wanted.check(workspace)
    budget = Budget(BUDGETS["summary"], "upgrade")
    reports = []
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path) or LockFile(manifest.lock_path)
        report = UpgradeReport(manifest.path, manifest.lock_path)
        moved = []
        for pull in wanted.pulls(manifest):
            previous = lock.get(pull.type, pull.id)
            move, entry = _upgrade_one(hub, manifest, pull, previous, allow_unsafe, allow_policy_violations,
                                       _Diffs(hub, budget, scan))
            if move is None:
                report.current.append(pull.key)
                continue
            report.moves.append(move)
            if entry is not None:
                moved.append(entry)
        report.written = save(manifest, lock, merged(manifest, lock, moved))
        reports.append(report)
    return reports


def _upgrade_one(
    hub: Hub, manifest: Manifest, pull: Pull, previous: LockedPull | None, allow_unsafe: bool,
    allow_violations: bool, diffs: _Diffs,
) -> tuple[PullMove | None, LockedPull | None]:
    """(the move, or None when the pin is current; the entry to pin, or None when held)."""
    try:
        resolved = resolve(hub, manifest, pull, previous, allow_unsafe=allow_unsafe)
    except PolicyError as error:
        commit, _license = resolve_pin(hub, pull.id, pull.type, pull.revision)
        if previous is not None and previous.commit == commit:
            raise  # not a move: the pin itself breaks the policy, as lock says
        return PullMove(pull.key, pull.revision, previous.commit if previous else None, commit,
                        violations=(error.message,), held=True), None
    entry = resolved.entry
    if previous is not None and (previous.commit, previous.files, previous.request) == (
            entry.commit, entry.files, entry.request):
        return None, None
    old_files = {f.path: f for f in previous.files} if previous else {}
    new_files = {f.path: f for f in entry.files}
    files = _file_moves(old_files, new_files)
    # A summary travels: the policy's verdicts without local paths.
    violations = [v.replace(f" ({pull.location})", "") for v in resolved.violations]
    held = bool(violations) and not allow_violations
    commits: list[UpstreamCommit] = []
    more = False
    old_license = None
    if previous is not None and previous.commit != entry.commit:
        commits, more = commits_between(hub, pull.id, pull.type, previous.commit, entry.commit)
        old_license = resolve_pin(hub, pull.id, pull.type, previous.commit)[1]
    elif previous is not None:
        old_license = resolved.license
    contents = diffs.of(pull, previous.commit if previous else None, entry.commit, files, old_files, new_files)
    move = PullMove(
        pull.key, pull.revision, previous.commit if previous else None, entry.commit, tuple(commits), more,
        tuple(files), (old_license, resolved.license), contents, tuple(violations), held,
        (previous.size if previous else 0, entry.size),
    )
    return _withheld(move, diffs.scan), None if held else entry


def _withheld(move: PullMove, scan: Scan | None) -> PullMove:
    """``move`` with each value from upstream that ``scan`` flags (a commit's title or author,
    a file's name, a license, a policy verdict naming them) replaced by a note of what was
    found, as a plan hides flagged values: a summary travels (a pull request's body)."""
    if scan is None:
        return move
    values = [*(v for c in move.commits for v in (c.title, *c.authors)), *(f.path for f in move.files),
              *(v for v in move.license if v), *move.violations]
    lines = [" ".join(v.splitlines()) for v in values]  # one value a line, as the scan counts lines
    found = {values[line - 1]: kind for line, kind in scan("\n".join(lines) + "\n")}
    if not found:
        return move

    def shown(value: str) -> str:
        return f"(withheld: a possible secret ({found[value]}))" if value in found else value

    return replace(
        move,
        commits=tuple(replace(c, title=shown(c.title), authors=tuple(map(shown, c.authors))) for c in move.commits),
        files=tuple(replace(f, path=shown(f.path)) for f in move.files),
        contents=tuple(replace(c, path=shown(c.path)) for c in move.contents),
        license=(move.license[0] and shown(move.license[0]), move.license[1] and shown(move.license[1])),
        violations=tuple(map(shown, move.violations)),
    )


def _file_moves(old: dict[str, LockedFile], new: dict[str, LockedFile]) -> list[FileMove]:
    moves = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before is None or after is None or (before.etag, before.size) != (after.etag, after.size):
            moves.append(FileMove(path, before.size if before else None, after.size if after else None))
    return moves


class _Diffs:
    """What changed inside files between two commits of one repo, read as a plan reads the
    Hub's side (hfsync.inspect.reading) out of the run's budget, scanned for secrets."""

    def __init__(self, hub: Hub, budget: Budget, scan: Scan | None) -> None:
        self.hub, self.budget, self.scan = hub, budget, scan

    def of(self, pull: Pull, old_commit: str | None, new_commit: str, files: list[FileMove],
           old: dict[str, LockedFile], new: dict[str, LockedFile]) -> tuple[ContentMove, ...]:
        """A diff for each added or changed file, in the order of ``files``."""
        shown = [f for f in files if f.action != "removed"]
        if not shown:
            return ()

        def one(move: FileMove) -> FileDiff:
            before = old.get(move.path) if old_commit is not None else None
            return self._diff(pull, old_commit if before else None, new_commit, before, new[move.path])

        with ThreadPoolExecutor(min(THREADS, len(shown))) as pool:
            diffs = dict(zip((f.path for f in shown), pool.map(one, shown), strict=True))
        if self.scan is None:
            diffs = {p: d if not (d.entries or d.lines) else none("withheld: no secret scan was made of it")
                     for p, d in diffs.items()}
        else:
            diffs = scrub(diffs, self.scan, added=True)  # every side is upstream: nothing scanned it yet
        return tuple(ContentMove(path, diff) for path, diff in diffs.items())

    def _reader(self, pull: Pull, commit: str) -> Callable[[str, int, int], bytes]:
        return lambda path, start, length: read_range(self.hub, pull.id, pull.type, commit, path, start, length)

    def _diff(self, pull: Pull, old_commit: str | None, new_commit: str, before: LockedFile | None,
              after: LockedFile) -> FileDiff:
        path, kind = after.path, kind_of(after.path)
        new_side = self._reader(pull, new_commit)
        old_side = self._reader(pull, old_commit) if old_commit is not None and before is not None else None
        old_size = before.size if before is not None else 0
        try:
            if kind in ("safetensors", "gguf"):
                new = header(new_side, self.budget, path, after.size, kind)
                old_head = header(old_side, self.budget, path, old_size, kind, new) if old_side else None
                return compare(path, old_head, new)
            if kind == "parquet":
                new = tail(new_side, self.budget, path, after.size)
                return compare(path, tail(old_side, self.budget, path, old_size, new) if old_side else None, new)
            biggest = max(after.size, old_size)
            whole = biggest <= TEXT_LIMIT
            if not whole and kind != "tabular":
                return none(f"{human_size(biggest)} is over the {human_size(TEXT_LIMIT)} a text diff reads: no diff")
            new = fetch(new_side, self.budget, path, 0, after.size if whole else min(HEADER_FIRST, after.size))
            old_text = None
            if old_side is not None:
                old_text = fetch(old_side, self.budget, path, 0, old_size if whole else min(HEADER_FIRST, old_size))
            return compare(path, old_text, new, complete=whole)
        except Over as over:
            return none(str(over))
        except HfsyncError as error:  # the Hub's refusal: the summary goes on without this diff
            return none(f"not compared: {error.message}")
