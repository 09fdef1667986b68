"""Pinning: resolve pulls on the Hub, judge them by the policy, merge the pins into the lock.

Each pin records a fingerprint of the request that produced it, so "is the lock in step
with the manifest" is a comparison, not a network call.

`hfsync lock`, `hfsync pull` (when the lock is missing or stale) and `hfsync upgrade`
all pin through here, so the policy (license, safetensors only, size against
``max_memory``) is applied on every path that writes a pin. ``pin`` refuses every
violation at once, before anything is written; upgrade reports them and holds those
pins back instead (its summary is the product), by the same verdicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace

from hfsync.hub.client import Hub
from hfsync.hub.repofiles import files_at_commit, model_card_facts, pin_facts
from hfsync.lock import signature
from hfsync.lock.lineage import walk
from hfsync.lock.lockfile import write_lock
from hfsync.lock.selection import check_paths, mem_available, select, set_aside
from hfsync.manifest.model import Manifest, Policy, Pull
from hfsync.manifest.policy import lineage_problems, pin_problems, refuse_pins
from hfsync.model.lock import VERSION, LockedPull, LockFile

log = logging.getLogger("hfsync.lock")
RESOLVERS = 8  # pulls resolved at once: each is two or three requests, mostly waiting


def allows_unsafe(pull: Pull, policy: Policy) -> bool:
    """Whether pickle-family files may be pulled for ``pull`` under the manifest's policy."""
    return pull.allow_unsafe or not policy.safetensors_only


def fingerprint(pull: Pull, policy: Policy) -> str:
    """A short digest of everything in the manifest that decides what a pull pins.

    Where the files go (``dest``/``cache``) is not part of it: moving a pull to another
    folder does not change what it pins, so it does not make the lock stale.
    """
    request = {
        "id": pull.id,
        "type": pull.type,
        "revision": pull.revision,
        "include": list(pull.include),
        "exclude": list(pull.exclude),
        "variant": pull.variant,
        "max_memory": pull.max_memory if pull.variant == "auto" else None,
        "allow_unsafe": allows_unsafe(pull, policy),
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]


def stale_reasons(manifest: Manifest, lock: LockFile | None, keys: Iterable[str] | None = None) -> list[str]:
    """Why ``lock`` is out of step with ``manifest`` (empty when it is in step).

    ``keys`` limits the check to those pulls (``--target``); entries for pulls the
    manifest no longer declares are reported only when checking every pull.
    """
    wanted = set(keys) if keys is not None else None
    if lock is None:
        return [f"{manifest.lock_path} does not exist"] if manifest.pulls else []
    reasons = []
    for pull in manifest.pulls:
        if wanted is not None and pull.key not in wanted:
            continue
        entry = lock.get(pull.type, pull.id)
        if entry is None:
            reasons.append(f"pull '{pull.key}' is not in {lock.path.name}")
        elif entry.request != fingerprint(pull, manifest.policy):
            reasons.append(f"pull '{pull.key}' changed in {manifest.path.name} since it was locked")
    if wanted is None:
        declared = {(p.type, p.id) for p in manifest.pulls}
        for entry in lock.pulls:
            if (entry.type, entry.id) not in declared:
                reasons.append(f"{lock.path.name} pins '{entry.key}', which {manifest.path.name} no longer pulls")
    return reasons


@dataclass(frozen=True)
class Resolved:
    """A freshly resolved pin and what the user should hear about it."""

    entry: LockedPull
    previous: LockedPull | None
    left_out: tuple[str, ...] = ()
    set_aside: tuple[str, ...] = ()  # listed paths never written into a destination (model.lock.SET_ASIDE)
    license: str | None = None  # the repo's license on the Hub, for policy.licenses
    violations: tuple[str, ...] = ()  # what the policy says against this pin (located in the manifest)


@dataclass(frozen=True)
class Pins:
    """What pinning produced: the lock with the new pins merged in (not yet written), and each new pin."""

    lock: LockFile
    resolved: tuple[Resolved, ...]


def resolve(
    hub: Hub, manifest: Manifest, pull: Pull, previous: LockedPull | None, *, allow_unsafe: bool
) -> Resolved:
    """Resolve ``pull`` on the Hub now, from metadata alone (repo info and the tree listing),
    with the policy's verdicts on it; PolicyError when it would need pickle files."""
    facts = pin_facts(hub, pull.id, pull.type, pull.revision)
    commit, license_id = facts.commit, facts.license
    # The signature travels while the tree is listed: one request more, and no longer.
    early = signature.prefetch(hub, pull, commit) if signature.wanted(manifest, pull) else None
    listed = files_at_commit(hub, pull.id, pull.type, commit)
    listing, aside = set_aside(listed, pull)
    probe = LockedPull(pull.id, pull.type, pull.revision, commit, "", tuple(listing))
    check_paths(probe, f"the Hub's listing of {pull.key}@{commit[:12]}")
    memory = mem_available() if pull.variant == "auto" and pull.max_memory is None else None
    selection = select(listing, pull, allow_unsafe=allow_unsafe or allows_unsafe(pull, manifest.policy), memory=memory)
    entry = LockedPull(
        pull.id, pull.type, pull.revision, commit, fingerprint(pull, manifest.policy), tuple(selection.files),
        selection.variant,
    )
    violations = pin_problems(manifest.policy, pull, license_id, entry.size)
    lineage = walk(pull.id, facts.base_models, lambda model: model_card_facts(hub, model))
    entry = replace(entry, license=license_id, lineage=lineage.ancestors)
    if lineage.loop:
        violations.append(f"pull '{pull.key}' ({pull.location}): its base_model lineage loops: "
                          + " -> ".join(lineage.loop))
    # A base model the Hub does not have cannot be judged: said, not refused (cards name models
    # that were renamed or taken down).
    for gone in lineage.missing:
        log.warning("pull '%s': its base model '%s' (%s) is not on the Hub, or not visible with this token: "
                    "its license is not checked", pull.key, gone, " -> ".join(lineage.chains[gone]))
    judged = {a.id: a.license for a in lineage.ancestors if a.id not in lineage.missing}
    violations += lineage_problems(manifest.policy, pull, judged, lineage.chains)
    if signature.wanted(manifest, pull):
        checked = signature.check(hub, manifest, pull, commit, listed, entry.files, early)
        entry = replace(entry, files=checked.files, signature=checked.signature)
        if checked.problem:
            violations.append(f"pull '{pull.key}' ({pull.location}): {checked.problem}")
    return Resolved(entry, previous, selection.left_out, tuple(aside), license_id, tuple(violations))


def pin(
    hub: Hub, manifest: Manifest, lock: LockFile, pulls: Sequence[Pull], *, allow_unsafe: bool,
    pool: Executor | None = None, started: Mapping[str, Future[Resolved]] | None = None,
) -> Pins:
    """Resolve ``pulls`` at once and merge their pins into ``lock``; PolicyError naming every
    violation, before anything is written. ``started`` holds resolutions already asked for
    (by pull key) on ``pool``."""
    if not pulls:
        return Pins(merged(manifest, lock, ()), ())
    with ExitStack() as stack:
        runner = pool if pool is not None else stack.enter_context(ThreadPoolExecutor(RESOLVERS))
        futures = [(pull, (started or {}).get(pull.key)
                    or runner.submit(resolve, hub, manifest, pull, None, allow_unsafe=allow_unsafe))
                   for pull in pulls]
        resolved = tuple(replace(future.result(), previous=lock.get(pull.type, pull.id)) for pull, future in futures)
    refuse_pins(manifest, sorted(v for r in resolved for v in r.violations))
    return Pins(merged(manifest, lock, (r.entry for r in resolved)), resolved)


def merged(manifest: Manifest, lock: LockFile, entries: Iterable[LockedPull]) -> LockFile:
    """``lock`` with ``entries`` pinned in, holding only the pulls ``manifest`` declares."""
    pinned = {(p.type, p.id): p for p in lock.pulls}
    pinned.update({(e.type, e.id): e for e in entries})
    declared = [(p.type, p.id) for p in manifest.pulls]
    return LockFile(lock.path, tuple(pinned[key] for key in declared if key in pinned))


def save(manifest: Manifest, before: LockFile, after: LockFile) -> bool:
    """Write ``after`` (in the current format) unless it says what ``before`` said; whether it was written.

    A lock that pins nothing is written only over one that exists."""
    if after.pulls == before.pulls and before.version == VERSION and before.path.exists():
        return False  # every pin as it was: no need to render the text to find that out
    if not after.pulls and not before.path.exists():
        return False
    return write_lock(after, manifest.path.name)
