"""Pull drift for the plan: pulls whose upstream revision moved past the lock.

A pull whose revision now points at another commit than the lock pins becomes a
``TargetChange`` of kind ``pull`` (key ``pull:<id>``) holding one ``pull-drift`` change.
Apply never acts on it (the fix is ``hfsync lock --update``), but it shows in the plan
and counts for ``--detailed-exitcode``, so a nightly plan catches it. A lock entry out
of step with the manifest is a warning; a pull not locked at all, or pinned to a commit,
has nothing to drift from and is left out of the plan. Under ``policy.licenses`` every
locked pull's license on the Hub is judged too, and a refused one is the target's error.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from hfsync.environment import offline
from hfsync.errors import HubError
from hfsync.hub.client import Hub
from hfsync.manifest.model import Workspace
from hfsync.manifest.policy import pull_problem
from hfsync.model.plan import RUN_LOCK, Action, Change, TargetChange

KIND = "pull"


def pull_names(workspace: Workspace) -> set[str]:
    """What --target may call a pull: its id, or its type:id key."""
    return {p.id for _, p in workspace.pulls} | {p.key for _, p in workspace.pulls}


def plan_pulls(
    workspace: Workspace, hub: Hub, wanted: Collection[str] | None = None
) -> list[TargetChange]:
    """A target for each pull (among ``wanted`` when given) that drifted or needs a word."""
    if offline() or not any(m.pulls for m in workspace.manifests):
        return []  # no request at all offline; the next online plan shows any drift
    from hfsync.hub.repofiles import COMMIT, resolve_pin
    from hfsync.lock.lockfile import read_lock
    from hfsync.lock.pin import stale_reasons

    targets = []
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path)
        for pull in manifest.pulls:
            if wanted is not None and pull.id not in wanted and pull.key not in wanted:
                continue
            target = TargetChange(f"{KIND}:{pull.key}", pull.id, pull.type, pull.revision, Action.NOOP, kind=KIND)
            entry = lock.get(pull.type, pull.id) if lock else None
            if entry is None:
                continue  # nothing pinned yet: `hfsync lock` resolves it (and judges its license)
            judged = manifest.policy.licenses is not None
            drifts = not COMMIT.match(pull.revision)  # a commit never moves
            if not drifts and not judged:
                continue
            stale = stale_reasons(manifest, lock, [pull.key])
            warnings = (stale[0] + RUN_LOCK,) if stale else ()
            if stale and not judged:
                targets.append(replace(target, warnings=warnings))
                continue
            try:
                upstream, license_id = resolve_pin(hub, pull.id, pull.type, pull.revision)
            except HubError as error:
                targets.append(replace(target, head=entry.commit, errors=(error.explained(),)))
                continue
            # The policy judges what the repo says about its license now, pinned or not.
            errors = tuple(m for m in [pull_problem(manifest.policy, pull, license_id)] if m)
            if drifts and not stale and upstream != entry.commit:
                drift = Change(
                    "pull-drift", Action.UPDATE, pull.key,
                    detail={"revision": pull.revision, "locked": entry.commit, "upstream": upstream},
                    reason=f"{pull.revision} moved {entry.commit[:7]} -> {upstream[:7]} past the lock; "
                    f"`hfsync lock --update {pull.key}` moves the pin",
                )
                targets.append(replace(target, action=Action.UPDATE, head=upstream, changes=(drift,), errors=errors))
            elif errors or warnings:
                targets.append(replace(target, head=entry.commit, errors=errors, warnings=warnings))
    return targets
