"""Notices said once: a note that stays the same from plan to plan (a tag that exists already, a
setting a repo type does not have) is shown the first time a plan carries it, then left out.

What was said is remembered in hfsync's cache directory (``notices.json``), by a digest of
the Hub, the target and the notice; a notice that goes away and comes back is new again only
if it was forgotten, which a new cache directory (a CI runner) does. ``-v`` shows them all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from hfsync.environment import cache_dir
from hfsync.model.plan import Plan
from hfsync.paths import atomic_write

FILE = "notices.json"


def said_once(plan: Plan, path: Path | None = None) -> Plan:
    """``plan`` without the notices an earlier plan said already; those it says are remembered."""
    path = path or cache_dir() / FILE
    said = _read(path)
    targets, new = [], []
    for target in plan.targets:
        keys = {n: _key(plan.endpoint, target.key, n) for n in target.notices}
        fresh = tuple(n for n, k in keys.items() if k not in said)
        if target.has_changes:  # a notice is shown only with the target's changes: only then is it said
            new += [keys[n] for n in fresh]
        targets.append(replace(target, notices=fresh))
    if new:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, json.dumps(sorted(said | set(new))) + "\n", durable=False)
        except OSError:
            pass  # a read-only cache: the notices are said again next time, nothing worse
    return replace(plan, targets=tuple(targets))


def _key(endpoint: str, target: str, notice: str) -> str:
    return hashlib.sha256(json.dumps([endpoint, target, notice]).encode()).hexdigest()[:32]


def _read(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {k for k in data if isinstance(k, str)} if isinstance(data, list) else set()
