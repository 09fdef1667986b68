"""The Hub resources planned beside repos that are not repos: collections. Their targets are
planned after the repos' and applied after them (an item may name a repo the same apply
creates)."""

from __future__ import annotations

from collections.abc import Sequence

from hfsync.hub.client import Hub
from hfsync.manifest.model import Workspace
from hfsync.model.apply import TargetResult
from hfsync.model.plan import Plan, TargetChange
from hfsync.publish import collections

KINDS = (collections.KIND,)


def keys(workspace: Workspace) -> set[str]:
    """What --target may name besides repos and pulls."""
    return {c.key for _, c in workspace.collections}


def plan_resources(workspace: Workspace, hub: Hub, targets: Sequence[str] = ()) -> list[TargetChange]:
    return collections.plan_collections(workspace, hub, set(targets) or None)


def stale(plan: Plan, hub: Hub) -> list[str]:
    """The collections that moved on the Hub since the plan."""
    return [moved for t in plan.targets if t.kind == collections.KIND and t.has_changes
            and (moved := collections.stale(t, hub))]


def mismatched(plan: Plan, workspace: Workspace) -> list[str]:
    """Where a saved plan's collections say other than the manifests declare."""
    declared = {c.key: c for _, c in workspace.collections}
    return [found for t in plan.targets if t.kind == collections.KIND and t.has_changes
            for found in collections.mismatched(t, declared.get(t.key))]


def apply_resource(target: TargetChange, hub: Hub) -> TargetResult:
    return collections.apply_collection(target, hub)
