"""What changed inside a target's files, for a reviewer: the plan's content diffs.

For each file a target adds or updates, the Hub's copy is read (``read``: bytes of a
file at the planned head, passed in by the planner) and compared with the local one
by hfsync.inspect. Reads are bounded: a text file up to TEXT_LIMIT is read whole in one
request; a safetensors or GGUF header in at most two (its first HEADER_FIRST bytes, then
the rest of the header); every byte comes out of one per-plan ``Budget``, and a file
the budget cannot cover says so instead of a diff. Shards of a checkpoint named by a
``*.safetensors.index.json`` are compared as one model. A file the secret scan flags,
or a diff in which the scan finds something, is withheld with the finding.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from hfsync.cards.describe import read_tail
from hfsync.errors import HfsyncError
from hfsync.inspect import gguf, safetensors
from hfsync.inspect.compare import compare, kind_of
from hfsync.inspect.reading import (
    HEADER_FIRST,
    HEADER_LIMIT,
    TEXT_LIMIT,
    Budget,
    Over,
    Reader,
    fetch,
    header,
    scrub,
    tail,
)
from hfsync.model.inspect import FileDiff, none
from hfsync.model.plan import Action, FileChange, TargetChange
from hfsync.publish.secrets import Finding, flagged_lines
from hfsync.units import human_size

THREADS = 8


def _local(root: Path, change: FileChange, length: int | None = None) -> bytes:
    if change.content is not None:
        data = change.content.encode("utf-8")
        return data if length is None else data[:length]
    with open(root / change.path, "rb") as handle:
        return handle.read() if length is None else handle.read(length)


def _local_header(root: Path, change: FileChange, kind: str) -> bytes:
    """The first bytes of a local file holding its whole safetensors or GGUF header (as far as it goes)."""
    head = _local(root, change, HEADER_FIRST)
    if kind == "safetensors":
        try:
            length = safetensors.header_length(head)
        except safetensors.SafetensorsError:
            return head
        return head if 8 + length <= len(head) else _local(root, change, 8 + length)
    size = HEADER_FIRST
    while size < min(change.size, HEADER_LIMIT):
        try:
            gguf.read_header(head)
            break
        except gguf.Truncated:
            size *= 4
            head = _local(root, change, size)
        except gguf.GGUFError:
            break
    return head


def diff_file(root: Path, change: FileChange, read: Reader, budget: Budget, full: bool) -> FileDiff:
    """What changed inside one added or updated file."""
    kind = kind_of(change.path)
    old_size = change.remote_size if change.action == Action.UPDATE else None
    try:
        if kind in ("safetensors", "gguf"):
            new = _local_header(root, change, kind)
            old = header(read, budget, change.path, old_size, kind, new) if old_size is not None else None
            return compare(change.path, old, new, full=full)
        if kind == "parquet":
            new = read_tail(root / change.path)
            old = tail(read, budget, change.path, change.remote_size or 0, new) if old_size else None
            return compare(change.path, old, new, full=full)
        biggest = max(change.size, old_size or 0)
        if biggest > TEXT_LIMIT:
            if kind != "tabular":
                return none(f"{human_size(biggest)} is over the {human_size(TEXT_LIMIT)} a text diff reads: no diff")
            new = _local(root, change, HEADER_FIRST)
            old = fetch(read, budget, change.path, 0, min(HEADER_FIRST, old_size)) if old_size else None
            return compare(change.path, old, new, full=full, complete=False)
        new = _local(root, change)
        old = fetch(read, budget, change.path, 0, old_size) if old_size else (b"" if old_size == 0 else None)
        return compare(change.path, old, new, full=full)
    except Over as over:
        return none(str(over))
    except OSError as error:
        return none(f"not compared: cannot read {error.filename or change.path}: {error.strerror or error}")
    except HfsyncError as error:  # the Hub's refusal: the plan goes on without this diff
        return none(f"not compared: {error.message}")


def _withheld(diffs: dict[str, FileDiff], flagged: Collection[Finding]) -> dict[str, FileDiff]:
    """``diffs`` with those of flagged files, and those the scan finds a secret in, withheld
    (the lines a diff adds come from the local files, which the gate has scanned)."""
    secrets = {f.path.removesuffix(" (generated)"): f for f in sorted(flagged, reverse=True)}
    out = {p: none(f"withheld: possible secret in {secrets[p]}") if p in secrets else d for p, d in diffs.items()}
    return scrub(out, flagged_lines)


def _shard_groups(root: Path, files: Collection[FileChange]) -> dict[str, list[str]]:
    """Index file -> every shard it names, for the indexes beside changed shards."""
    groups: dict[str, list[str]] = {}
    folders = {str(Path(f.path).parent) for f in files if f.path.endswith(".safetensors")}
    for folder in sorted(folders):
        for index in sorted((root / folder).glob("*.safetensors.index.json")):
            try:
                names = safetensors.shard_names(index.read_bytes())
            except (OSError, safetensors.SafetensorsError):
                continue
            prefix = "" if folder == "." else f"{folder}/"
            groups[f"{prefix}{index.name}"] = [f"{prefix}{n}" for n in names]
    return groups


def _start_model_diff(
    pool: ThreadPoolExecutor, root: Path, index: str, shards: list[str], changes: Mapping[str, FileChange],
    read: Reader, budget: Budget, full: bool,
) -> Callable[[], FileDiff]:
    """Ask the Hub for the changed shards' headers of one checkpoint; what then compares its
    shards as one model: changed shards' headers from both sides, unchanged ones (the same
    on both sides) from the local copy alone, read while the Hub's travel."""
    local: dict[str, bytes] = {}
    heads: list[tuple[str, Future[bytes]]] = []
    try:
        for change in (c for s in shards if (c := changes.get(s)) and c.action != Action.CREATE and c.remote_size):
            if change.action != Action.DELETE:  # the local header sizes the first read of the Hub's
                local[change.path] = _local_header(root, change, "safetensors")
            heads.append((change.path, pool.submit(header, read, budget, change.path, change.remote_size or 0,
                                                   "safetensors", local.get(change.path, b""))))
    except OSError as error:
        failed = none(f"not compared as one model: {error}")
        return lambda: failed

    def finish() -> FileDiff:
        old: dict[str, safetensors.Header] = {}
        new: dict[str, safetensors.Header] = {}
        try:
            for shard in shards:
                change = changes.get(shard) or FileChange(shard, Action.UPDATE, 0, True)
                if change.action != Action.DELETE:
                    new[shard] = safetensors.read_header(local.get(shard) or _local_header(root, change, "safetensors"))
                if shard not in changes:
                    old[shard] = new[shard]  # unchanged: the same on both sides
            old.update({path: safetensors.read_header(head.result()) for path, head in heads})
        except Over as over:
            return none(str(over))
        except (OSError, safetensors.SafetensorsError) as error:
            return none(f"not compared as one model: {error}")
        except HfsyncError as error:
            return none(f"not compared as one model: {error.message}")
        tensors = safetensors.diff_headers(safetensors.merge(old.values()), safetensors.merge(new.values()))
        changed = [s for s in shards if s in changes]
        scope = f"{index} ({len(shards)} shards, {len(changed)} changed)"
        # A changed shard whose header did not change: its tensor data did (the digests differ).
        same = [s.rsplit("/", 1)[-1] for s in changed if s in old and s in new and old[s] == new[s]]
        note = f"same header, other tensor data: {', '.join(same)}" if same else None
        return FileDiff("safetensors", tensors.entries(full), note=note, scope=scope)

    return finish


def start_diffs(
    change: TargetChange, root: Path, read: Reader, budget: Budget, mode: str,
) -> Callable[[Collection[Finding] | None], TargetChange]:
    """Start reading the Hub's copy of each file ``change`` adds or updates, at once and
    concurrently (at most THREADS requests in flight). Returns what waits for them and
    gives ``change`` with a diff on each such file (``mode`` summary or full), in the
    change's order whatever order the copies arrive in, and the diffs of files among the
    secret scan's findings (``flagged``) withheld; ``flagged`` None: the scan could not be
    made, and ``change`` comes back without diffs."""
    if mode == "none" or change.errors or not change.files:
        return lambda flagged: change
    full = mode == "full"
    by_path = {f.path: f for f in change.files}
    notes: dict[str, FileDiff] = {}
    pending: dict[str, Callable[[], FileDiff]] = {}
    grouped: set[str] = set()
    pool = ThreadPoolExecutor(THREADS)
    try:
        for index, shards in _shard_groups(root, change.files).items():
            touched = [s for s in shards if s in by_path and s not in grouped]
            if touched:
                pending[touched[0]] = _start_model_diff(pool, root, index, shards, by_path, read, budget, full)
                notes.update({s: FileDiff("safetensors", note=f"compared as one model: see {touched[0]}")
                              for s in touched[1:]})
                grouped.update(touched)
        pending.update({f.path: pool.submit(diff_file, root, f, read, budget, full).result
                        for f in change.files if f.action != Action.DELETE and f.path not in grouped})
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise

    def finish(flagged: Collection[Finding] | None) -> TargetChange:
        try:
            if flagged is None:
                return change
            diffs = {**notes, **{path: result() for path, result in pending.items()}}
        finally:
            pool.shutdown(cancel_futures=True)
        diffs = _withheld(diffs, flagged)
        return replace(change, files=tuple(replace(f, diff=diffs[f.path]) if f.path in diffs else f
                                           for f in change.files))

    return finish
