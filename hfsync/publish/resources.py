"""The Hub resources planned beside repos: collections and gated access. Their targets are
planned after the repos' and applied after them (an item or a grant may need a repo this
apply creates or gates)."""

from __future__ import annotations

from collections.abc import Sequence

from hfsync.hub.client import Hub
from hfsync.manifest.model import Workspace
from hfsync.model.apply import TargetResult
from hfsync.model.plan import Plan, TargetChange
from hfsync.publish import access, collections

KINDS = (collections.KIND, access.KIND)


def keys(workspace: Workspace) -> set[str]:
    """What --target may name besides repos and pulls."""
    return {c.key for _, c in workspace.collections} | {access.key(r) for _, r in workspace.repos if r.access}


def plan_resources(workspace: Workspace, hub: Hub, targets: Sequence[str] = ()) -> list[TargetChange]:
    wanted = set(targets) or None
    return collections.plan_collections(workspace, hub, wanted) + access.plan_all(workspace, hub, wanted)


def stale(plan: Plan, hub: Hub) -> list[str]:
    """The collections that moved on the Hub since the plan (access is checked by the Hub itself:
    a grant to a user who has access, or a revocation of one who has none, is refused)."""
    return [moved for t in plan.targets if t.kind == collections.KIND and t.has_changes
            and (moved := collections.stale(t, hub))]


def apply_resource(target: TargetChange, hub: Hub) -> TargetResult:
    if target.kind == collections.KIND:
        return collections.apply_collection(target, hub)
    return access.apply_access(target, hub)
