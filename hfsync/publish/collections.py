"""Collections: declared -> Hub as a plan of item changes, and the executor that runs it.

A collection is planned as one target (kind ``collection``): its settings ``old -> new``,
then one change per item removed, added, moved or re-noted. Unchanged items cost nothing:
the plan reads the collection once (its items come whole), and apply sends one request per
change. Order is kept with the fewest moves: items already in the declared order relative
to each other (the longest such run) stay; each other item moves to just after the item
that precedes it in the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from hfsync.errors import HfsyncError
from hfsync.hub import collections as hub_collections
from hfsync.hub.client import Hub
from hfsync.manifest.model import CollectionItem, CollectionTarget, Workspace
from hfsync.model.apply import Step, TargetResult
from hfsync.model.collection import RemoteCollection, RemoteItem
from hfsync.model.plan import Action, Change, SettingChange, TargetChange
from hfsync.publish.gate import value_findings

KIND = "collection"
SETTINGS = ("title", "description", "private", "theme")


def _fold(key: str) -> str:
    return key.casefold()  # the Hub does not tell repo ids apart by case


def _increasing(seq: Sequence[int]) -> set[int]:
    """The values of one longest strictly increasing subsequence of ``seq`` (patience sorting)."""
    tails: list[int] = []  # index into seq of the smallest tail of a run of each length
    before: list[int | None] = []
    for n, value in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (mid + 1, hi) if seq[tails[mid]] < value else (lo, mid)
        before.append(tails[lo - 1] if lo else None)
        tails[lo:lo + 1] = [n]
    kept, at = set(), tails[-1] if tails else None
    while at is not None:
        kept.add(seq[at])
        at = before[at]
    return kept


def moves(current: Sequence[str], desired: Sequence[str]) -> list[tuple[str, int]]:
    """(item, position to move it to), in order, taking ``current`` to ``desired`` (the same
    items) in the fewest moves; a move takes the item out, then inserts it at the position."""
    rank = {key: n for n, key in enumerate(desired)}
    kept = _increasing([rank[key] for key in current])
    order = list(current)
    out = []
    for n, key in enumerate(desired):
        if n in kept:
            continue
        order.remove(key)
        at = order.index(desired[n - 1]) + 1 if n else 0
        order.insert(at, key)
        out.append((key, at))
    return out


def _subject(item: CollectionItem | RemoteItem) -> str:
    return f"{item.type} {item.id}"


def _detail(item: CollectionItem | RemoteItem, **more: Any) -> dict[str, Any]:
    return {"type": item.type, "id": item.id, **more}


def item_changes(declared: Sequence[CollectionItem], remote: Sequence[RemoteItem]) -> list[Change]:
    """Removals, then additions (appended, in manifest order), then moves and note changes."""
    have = {_fold(r.key): r for r in remote}
    want = {_fold(d.key): d for d in declared}
    changes = [Change("item", Action.DELETE, _subject(r), _detail(r, object_id=r.object_id))
                for r in remote if _fold(r.key) not in want]
    added = [d for d in declared if _fold(d.key) not in have]
    changes += [Change("item", Action.CREATE, _subject(d), _detail(d, note=d.note),
                       f"note {d.note!r}" if d.note else None) for d in added]
    order = [_fold(r.key) for r in remote if _fold(r.key) in want] + [_fold(d.key) for d in added]
    moved = dict(moves(order, [_fold(d.key) for d in declared]))
    renoted = {k for k, d in want.items() if k in have and (have[k].note or None) != (d.note or None)}
    for key in [*moved, *(k for k in want if k in renoted and k not in moved)]:
        item, old = want[key], have.get(key)
        detail = _detail(item, object_id=old.object_id if old else None)
        reasons = []
        if key in renoted and old is not None:
            detail["note"] = item.note or ""
            reasons.append(f"note {old.note!r} -> {item.note!r}" if old.note else f"note {item.note!r}")
        if key in moved:
            detail["position"] = moved[key]
            reasons.append(f"moved to position {moved[key]}")
        changes.append(Change("item", Action.UPDATE, _subject(item), detail, "; ".join(reasons)))
    return changes


def _settings(coll: CollectionTarget, remote: RemoteCollection | None) -> tuple[SettingChange, ...]:
    declared = {"title": coll.title, "description": coll.description, "private": coll.private, "theme": coll.theme}
    if remote is None:
        return tuple(SettingChange(k, None, v) for k, v in declared.items() if v is not None)
    return tuple(SettingChange(k, getattr(remote, k), v) for k, v in declared.items()
                 if v is not None and getattr(remote, k) != v)


def plan_collection(coll: CollectionTarget, remote: RemoteCollection | None,
                    visible: set[tuple[str, str]]) -> TargetChange:
    """One collection's target; ``visible``: the (type, id) of each item to add that exists."""
    changes = tuple(item_changes(coll.items, remote.items if remote else ()))
    missing = [c for c in changes if c.action == Action.CREATE
               and (c.detail["type"], c.detail["id"]) not in visible]
    errors = tuple(f"item {c.subject}: no such {c.detail['type']} on the Hub, or not visible with this token"
                   for c in missing)
    if coll.slug is not None and remote is None:
        errors += (f"no collection {coll.slug} on the Hub, or not visible with this token; remove 'slug' "
                   "to create the collection anew",)
    settings = _settings(coll, remote)
    action = Action.CREATE if remote is None else Action.UPDATE if changes or settings else Action.NOOP
    return TargetChange(
        coll.key, remote.slug if remote else f"{coll.namespace}/{coll.title}", KIND, "items",
        Action.NOOP if errors else action, kind=KIND, head=remote.digest[:40] if remote else None,
        settings=settings, changes=changes, errors=errors)


def reviewed(target: TargetChange) -> TargetChange:
    """``target`` with a possible secret in anything it sends (title, description, notes) as an
    error, and hidden, as the gate judges every value sent to the Hub."""
    notes = tuple(SettingChange(f"item {c.subject} note", None, c.detail["note"])
                  for c in target.changes if c.detail.get("note"))
    found, secrets = value_findings(None, replace(target, settings=target.settings + notes))
    return replace(target.hiding(secrets), errors=(*target.errors, *found)) if found else target


def plan_collections(workspace: Workspace, hub: Hub, wanted: set[str] | None = None) -> list[TargetChange]:
    """The workspace's collections (those whose key is in ``wanted``, when given)."""
    out = []
    # A repo the same apply publishes exists by the time its collections are applied.
    published = {(r.type, _fold(r.id)) for _, r in workspace.repos}
    for _, coll in workspace.collections:
        if wanted is not None and coll.key not in wanted:
            continue
        try:
            remote = hub_collections.find(hub, coll.namespace, coll.title, coll.slug)
            have = {_fold(i.key) for i in remote.items} if remote else set()
            new = [(i.type, i.id) for i in coll.items if _fold(i.key) not in have]
            visible = hub_collections.existing(hub, [n for n in new if (n[0], _fold(n[1])) not in published])
            visible |= {n for n in new if (n[0], _fold(n[1])) in published}
            out.append(reviewed(plan_collection(coll, remote, visible)))
        except HfsyncError as error:
            out.append(TargetChange(coll.key, coll.slug or f"{coll.namespace}/{coll.title}", KIND, "items",
                                    Action.NOOP, kind=KIND, errors=(error.explained(),)))
    return out


def stale(target: TargetChange, hub: Hub) -> str | None:
    """What moved on the Hub since ``target`` was planned, or None."""
    namespace, _, title = target.repo_id.partition("/")
    remote = hub_collections.read(hub, target.repo_id) if target.head else hub_collections.find(
        hub, namespace, title, None)
    now = remote.digest[:40] if remote else None
    if now == target.head:
        return None
    return f"{target.key}: the collection {'changed' if remote and target.head else 'appeared or went'} on the Hub"


def mismatched(target: TargetChange, coll: CollectionTarget | None) -> list[str]:
    """What a saved plan's collection target sends that its manifest does not declare: a
    collection, a setting, an item or a note of its own (a hand-edited plan is refused)."""
    if coll is None:
        return [f"{target.key}: no manifest of the plan declares this collection"]
    declared = {"title": coll.title, "description": coll.description, "private": coll.private, "theme": coll.theme}
    found = [f"{target.key}: the plan sets {s.name} = {s.new!r}, the manifest does not"
             for s in target.settings if declared.get(s.name) != s.new]
    items = {_fold(i.key): i for i in coll.items}
    for change in target.changes:
        item = items.get(_fold(f"{change.detail.get('type')}:{change.detail.get('id')}"))
        if change.action == Action.DELETE:
            continue
        if item is None:
            found.append(f"{target.key}: the plan adds {change.subject}, the manifest does not")
        elif "note" in change.detail and (change.detail["note"] or None) != (item.note or None):
            found.append(f"{target.key}: the plan notes {change.subject} otherwise than the manifest")
    return found


def apply_collection(target: TargetChange, hub: Hub) -> TargetResult:
    """Create the collection if planned, set its settings, then remove, add and move items."""
    done: list[Step] = []
    settings = {s.name: s.new for s in target.settings}
    slug = target.repo_id
    try:
        if target.action == Action.CREATE:
            namespace = slug.partition("/")[0]
            slug = hub_collections.create(hub, namespace, settings.pop("title"), settings.pop("description", None),
                                          bool(settings.pop("private", False))).slug
            done.append(Step("created-collection", slug))
        if settings:
            hub_collections.update(hub, slug, **settings)
            done.extend(Step("set", k, v) for k, v in settings.items())
        ids: dict[str, str] = {}
        for change in target.changes:
            d = change.detail
            key = _fold(f"{d['type']}:{d['id']}")
            if change.action == Action.DELETE:
                hub_collections.delete_item(hub, slug, d["object_id"])
                done.append(Step("removed-item", change.subject))
            elif change.action == Action.CREATE:
                ids[key] = hub_collections.add_item(hub, slug, d["type"], d["id"], d.get("note"))
                done.append(Step("added-item", change.subject))
            else:
                hub_collections.update_item(hub, slug, d.get("object_id") or ids[key], d.get("note"),
                                            d.get("position"))
                done.append(Step("updated-item", f"{change.subject} ({change.reason})"))
    except HfsyncError as error:
        return TargetResult(target.key, None, tuple(done), (), error.message)
    return TargetResult(target.key, None, tuple(done))
