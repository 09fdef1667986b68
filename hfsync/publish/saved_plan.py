"""A saved plan, checked before apply runs it: still the manifests' word, and nothing moved since.

``check_fresh`` refuses a plan that has errors or was made against another endpoint; one
that says other than its manifests (a plan edited by hand is refused, not followed); and
one where anything moved: every target's remote head must be the one planned against, and
every local file to upload (and every input a generated file came from) must still have
the planned digests. The commit itself carries ``parent_commit``, so a race after the check
is refused by the Hub too.

Apart from carrying the plan out (hfsync.publish.apply): these only read (the manifests,
the local files, the Hub's heads) and decide whether the plan may run, before anything is sent.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hfsync.digests import DigestCache
from hfsync.errors import STALE_HINT, HfsyncError, StalePlanError
from hfsync.hub.publish import Publisher
from hfsync.model.plan import Action, Plan
from hfsync.publish.access import with_access_file
from hfsync.publish.resources import mismatched as resources_mismatched
from hfsync.publish.resources import stale as resources_moved


def _short(commit: str | None) -> str:
    return commit[:7] if commit else "nothing"


def _manifests_moved(plan: Plan) -> list[str]:
    moved: list[str] = []
    for path, digest in sorted(plan.manifests.items()):
        manifest = Path(path)
        if not manifest.is_file():
            moved.append(f"manifest {path} is gone")
        elif hashlib.sha256(manifest.read_bytes()).hexdigest() != digest:
            moved.append(f"manifest {path} changed")
    return moved


def staleness(plan: Plan, publisher: Publisher, cache: DigestCache) -> list[str]:
    """Everything that moved since ``plan`` was made (empty when it is fresh)."""
    moved = _manifests_moved(plan)
    for target in plan.targets:
        if not target.has_changes or target.kind != "repo":
            continue
        exists, head = publisher.head(target.repo_id, target.repo_type, target.revision)
        if target.action == Action.CREATE and exists:
            moved.append(f"{target.key}: the repo was created on the Hub since the plan")
        elif target.action != Action.CREATE and not exists:
            moved.append(f"{target.key}: the repo no longer exists on the Hub")
        elif target.action != Action.CREATE and head != target.head:
            moved.append(
                f"{target.key}: {target.revision} moved on the Hub from {_short(target.head)} to {_short(head)}"
            )
        root = Path(target.source or ".")
        planned = {f.path: f.sha256 for f in target.files if f.action != Action.DELETE and f.content is None}
        # The files to upload in one read of the digest cache: a saved plan of 100,000 files costs
        # their stats, not a query each. The inputs a generated file came from are few, and may
        # lie outside the source folder.
        base = os.path.abspath(root)
        batch = sorted(rel for rel in planned if _repo_path_problem(rel) is None and os.path.isfile(f"{base}/{rel}"))
        now = {rel: digests.sha256 for rel, digests in zip(batch, cache.all(root, batch), strict=True)}
        for rel, sha256 in sorted({**planned, **target.inputs}.items()):
            local = root / rel
            if rel not in now and not local.is_file():
                moved.append(f"{target.key}: local file {local} is gone")
            elif (now[rel] if rel in now else cache.get(local).sha256) != sha256:
                moved.append(f"{target.key}: local file {local} changed")
    return moved


def _repo_path_problem(path: str) -> str | None:
    if not path or "\0" in path or "\\" in path:
        return "is empty or holds a NUL or a backslash"
    if path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")):
        return "is absolute or has an empty, '.' or '..' segment"
    return None


def mismatches(plan: Plan) -> list[str]:
    """Where a saved plan says other than its manifests (which must be unchanged since):
    targets they do not declare, another repo, branch or source folder, file paths that
    would leave the source or the repo. A plan edited by hand is refused, not trusted."""
    from hfsync.manifest.load import load

    paths = [Path(p) for p in sorted(plan.manifests)]
    workspace = load(paths) if paths else None
    declared = {t.key: t for m in (workspace.manifests if workspace else ()) for t in m.repos}
    found: list[str] = resources_mismatched(plan, workspace) if workspace else []
    for target in plan.targets:
        if target.kind != "repo" or not target.has_changes:
            continue
        repo = declared.get(target.key)
        if repo is None:
            found.append(f"{target.key}: no manifest of the plan declares this target")
            continue
        if (target.repo_id, target.repo_type, target.revision) != (repo.id, repo.type, repo.revision):
            found.append(f"{target.key}: the plan publishes to {target.repo_type} {target.repo_id}@{target.revision}, "
                         f"the manifest to {repo.type} {repo.id}@{repo.revision}")
        if target.files and os.path.normpath(target.source or "") != os.path.normpath(repo.source.path):
            found.append(f"{target.key}: the plan uploads from {target.source!r}, the manifest from "
                         f"{str(repo.source.path)!r}")
        found += [f"{target.key}: file path {f.path!r} {why}" for f in target.files
                  if (why := _repo_path_problem(f.path))]
        # Which environment variable a secret is read from is the manifest's word, not the plan's.
        envs = (repo.space.secrets if repo.space else None) or {}
        found += [f"{target.key}: the plan reads {s.name} from ${s.new['env']}, the manifest does not"
                  for s in target.settings if s.name.startswith("secrets.") and isinstance(s.new, dict)
                  and envs.get(s.name.removeprefix("secrets.")) != s.new.get("env")]
        # Whom a repo lets in is the manifest's word too.
        if any(s.name.startswith("access.") and s.new for s in target.settings):
            access = with_access_file(repo).access
            users = set(access.users) if access else set()
            found += [f"{target.key}: the plan grants {s.name} access, the manifest does not"
                      for s in target.settings if s.name.startswith("access.") and s.new
                      and s.name.removeprefix("access.") not in users]
    return found


def check_fresh(plan: Plan, publisher: Publisher, cache: DigestCache) -> None:
    """Refuse a saved plan that has errors, another endpoint, says other than its
    manifests, or where anything moved."""
    if plan.errors:
        raise HfsyncError(
            "the plan has errors; nothing was applied:\n" + "\n".join(f"  {e}" for e in plan.errors)
        )
    if plan.endpoint.rstrip("/") != publisher.hub.endpoint.rstrip("/"):
        raise HfsyncError(
            f"the plan was made against {plan.endpoint}, not {publisher.hub.endpoint}; nothing was applied.",
            hint="Use the same --endpoint as for `hfsync plan`.",
        )
    # Before anything is read by the plan's paths: an edited plan is refused, not followed.
    if not _manifests_moved(plan) and (wrong := mismatches(plan)):
        raise HfsyncError(
            "the plan does not match its manifests; nothing was applied:\n" + "\n".join(f"  {w}" for w in wrong),
            hint="A saved plan is applied as `hfsync plan --out` wrote it; make it again rather than edit it.",
        )
    moved = staleness(plan, publisher, cache) + resources_moved(plan, publisher.hub)
    if moved:
        raise StalePlanError(
            "plan is stale; nothing was applied. Since the plan:\n" + "\n".join(f"  {m}" for m in moved),
            hint=STALE_HINT,
        )
