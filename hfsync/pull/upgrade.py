"""`hfsync upgrade`: move pins whose revision moved upstream, and say what changed there.

For each pull (all, or those named) the revision is resolved again from metadata, as
`hfsync lock --update` does. A pin that moved gets a summary between its old and new
commit: the commits (the commits API, stopping at the old pin), the files added,
removed and changed with their sizes, the license before and after, what the headers
of changed safetensors files say changed (read with Range requests: one per side when
the header fits in the first read), and the policy's verdicts (license, safetensors
only, size against ``max_memory``). A move that breaks the policy is reported and not
made unless ``allow_policy_violations``; one that needs pickle files is never made
(a pull would refuse them): that takes ``allow_unsafe`` on the pull.
"""

from __future__ import annotations

from hfsync.errors import HubError, PolicyError
from hfsync.hub.client import Hub
from hfsync.hub.content import read_head, read_range
from hfsync.hub.history import commits_between
from hfsync.hub.repofiles import resolve_pin
from hfsync.hub.retry import Retry
from hfsync.inspect.safetensors import DATA_ONLY, Header, SafetensorsError, diff_headers, header_length, read_header
from hfsync.lock.lockfile import read_lock
from hfsync.lock.pin import merged, resolve, save
from hfsync.lock.selection import Wanted
from hfsync.manifest.model import Manifest, Pull, Workspace
from hfsync.model.lock import LockedFile, LockedPull, LockFile
from hfsync.model.upgrade import FileMove, PullMove, TensorMove, UpgradeReport, UpstreamCommit

# The first read of a safetensors file: enough for the header of any but the largest
# checkpoints, so one request per side; a longer header costs one more.
FIRST_READ = 256 * 1024


def run_upgrade(
    workspace: Workspace, hub: Hub, retry: Retry, *, ids: tuple[str, ...] = (),
    allow_policy_violations: bool = False, allow_unsafe: bool = False,
) -> list[UpgradeReport]:
    """Move the pins of every manifest (only ``ids`` when given) and report what moved, per manifest."""
    wanted = Wanted(ids)
    wanted.check(workspace)
    reports = []
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path) or LockFile(manifest.lock_path)
        report = UpgradeReport(manifest.path, manifest.lock_path)
        moved = []
        for pull in wanted.pulls(manifest):
            previous = lock.get(pull.type, pull.id)
            move, entry = _upgrade_one(hub, retry, manifest, pull, previous, allow_unsafe, allow_policy_violations)
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
    hub: Hub, retry: Retry, manifest: Manifest, pull: Pull, previous: LockedPull | None, allow_unsafe: bool,
    allow_violations: bool,
) -> tuple[PullMove | None, LockedPull | None]:
    """(the move, or None when the pin is current; the entry to pin, or None when held)."""
    try:
        resolved = resolve(hub, retry, manifest, pull, previous, allow_unsafe=allow_unsafe)
    except PolicyError as error:
        commit, _license = resolve_pin(hub, retry, pull.id, pull.type, pull.revision)
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
        commits, more = commits_between(hub, retry, pull.id, pull.type, previous.commit, entry.commit)
        old_license = resolve_pin(hub, retry, pull.id, pull.type, previous.commit)[1]
    elif previous is not None:
        old_license = resolved.license
    tensors = tuple(_tensor_moves(hub, pull, previous, entry, files, old_files, new_files))
    move = PullMove(
        pull.key, pull.revision, previous.commit if previous else None, entry.commit, tuple(commits), more,
        tuple(files), (old_license, resolved.license), tensors, tuple(violations), held,
        (previous.size if previous else 0, entry.size),
    )
    return move, None if held else entry


def _file_moves(old: dict[str, LockedFile], new: dict[str, LockedFile]) -> list[FileMove]:
    moves = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before is None or after is None or (before.etag, before.size) != (after.etag, after.size):
            moves.append(FileMove(path, before.size if before else None, after.size if after else None))
    return moves


def _tensor_moves(
    hub: Hub, pull: Pull, previous: LockedPull | None, entry: LockedPull, files: list[FileMove],
    old: dict[str, LockedFile], new: dict[str, LockedFile],
):
    """What each added, removed or changed safetensors file's header says changed."""
    for move in files:
        if not move.path.endswith(".safetensors"):
            continue
        try:
            before = _header(hub, pull, previous.commit, old[move.path]) if previous and move.path in old else Header()
            after = _header(hub, pull, entry.commit, new[move.path]) if move.path in new else Header()
        except (SafetensorsError, HubError) as error:
            yield TensorMove(move.path, note=f"header not read: {error}")
            continue
        diff = diff_headers(before, after)
        entries = diff.entries()
        # A changed file whose header reads the same: its bytes differ all the same.
        yield TensorMove(move.path, entries, diff.parameters,
                         note=DATA_ONLY if not entries and move.action == "changed" else None)


def _header(hub: Hub, pull: Pull, commit: str, file: LockedFile) -> Header:
    """A safetensors header on the Hub: one Range request, two when it is longer than FIRST_READ."""
    head = read_head(hub, pull.id, pull.type, commit, file.path, min(file.size, FIRST_READ))
    wanted = 8 + header_length(head)
    if wanted > file.size:
        raise SafetensorsError(f"header length {wanted - 8} runs past the end of the {file.size}-byte file")
    if wanted > len(head):
        head += read_range(hub, pull.id, pull.type, commit, file.path, len(head), wanted - len(head))
    return read_header(head)
