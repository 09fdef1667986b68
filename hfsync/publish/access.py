"""Gated access: a ``gated: manual`` repo's declared users -> grants and revocations.

One target per repo with ``access:`` (kind ``access``): a grant for each declared user the
Hub has not accepted (accepting their pending request, if any), a revocation for each
accepted user the manifest does not name. Pending requests of users it does not name are
left for a person to judge, and the plan lists them. A declared user the Hub does not know
is a plan error naming the user.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from hfsync.errors import HfsyncError, HubError
from hfsync.hub import access as hub_access
from hfsync.hub.client import Hub
from hfsync.hub.collections import status
from hfsync.manifest.model import RepoTarget, Workspace
from hfsync.model.apply import Step, TargetResult
from hfsync.model.plan import Action, Change, TargetChange

KIND = "access"
NOT_YET = "the repo is not gated on the Hub yet: every declared user is granted once apply has gated it"


def key(repo: RepoTarget) -> str:
    return f"{KIND}:{repo.key}"


def _remote(hub: Hub, repo: RepoTarget) -> tuple[list[str], list[str], str | None]:
    """(accepted, pending, why both are empty) as the Hub has them."""
    try:
        accepted, pending = hub_access.access(hub, repo.type, repo.id)
    except HubError as error:
        if status(error.__cause__) in (400, 404):  # not gated yet, or not created yet: this apply does both first
            return [], [], NOT_YET
        raise
    return accepted, pending, None


def plan_access(repo: RepoTarget, hub: Hub) -> TargetChange:
    """The grants and revocations that make the Hub's accepted users the declared ones."""
    assert repo.access is not None
    try:
        accepted, pending, note = _remote(hub, repo)
        have = {u.casefold() for u in accepted}
        grants = [u for u in repo.access.users if u.casefold() not in have]
        with ThreadPoolExecutor(8) as pool:
            known = list(pool.map(lambda u: hub_access.user_exists(hub, u), grants))
    except HfsyncError as error:
        return TargetChange(key(repo), repo.id, repo.type, repo.revision, Action.NOOP, kind=KIND,
                            errors=(error.explained(),))
    declared = {u.casefold() for u in repo.access.users}
    pend = {u.casefold() for u in pending}
    changes = [Change("grant", Action.CREATE, u, reason="accepts the pending request" if u.casefold() in pend
                      else None) for u in grants]
    changes += [Change("grant", Action.DELETE, u, reason="revoked: the request goes back to pending")
                for u in accepted if u.casefold() not in declared]
    errors = tuple(f"access: no Hub user named {u}; check the spelling in access.users or the access file"
                   for u, found in zip(grants, known, strict=True) if found is False)
    waiting = [u for u in pending if u.casefold() not in declared]
    warnings = (f"{len(waiting)} access request{'s' if len(waiting) != 1 else ''} pending: {', '.join(waiting)} "
                "(add them to access.users to grant, or reject them on the Hub)",) if waiting else ()
    return TargetChange(key(repo), repo.id, repo.type, repo.revision,
                        Action.NOOP if errors or not changes else Action.UPDATE, kind=KIND,
                        changes=tuple(changes), reasons=(note,) if note else (), warnings=warnings, errors=errors)


def plan_all(workspace: Workspace, hub: Hub, wanted: set[str] | None = None) -> list[TargetChange]:
    return [plan_access(repo, hub) for _, repo in workspace.repos if repo.access is not None
            and (wanted is None or wanted & {repo.key, repo.id, key(repo)})]


def apply_access(target: TargetChange, hub: Hub) -> TargetResult:
    done: list[Step] = []
    try:
        for change in target.changes:
            if change.action == Action.CREATE:
                hub_access.grant(hub, target.repo_type, target.repo_id, change.subject)
                done.append(Step("granted", change.subject))
            else:
                hub_access.revoke(hub, target.repo_type, target.repo_id, change.subject)
                done.append(Step("revoked", change.subject))
    except HfsyncError as error:
        return TargetResult(target.key, None, tuple(done), (), error.message)
    return TargetResult(target.key, None, tuple(done))
