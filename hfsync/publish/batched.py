"""Apply a change over the commit budget: batches on a pull request, one merge.

The first batch opens a pull request against the branch, starting at the commit the
plan was made against; each next batch is committed to ``refs/pr/N`` with the previous
batch as ``parent_commit``. The pull request's title carries the change's identity
(``batches.identity``): a rerun after a kill finds it, checks its commits are this
plan's batches in order, and goes on from the first batch missing (nothing committed is
uploaded or committed again). Before the merge the branch must still be where the plan
left it: if someone moved it, the pull request is closed and nothing is merged.
"""

from __future__ import annotations

from collections.abc import Sequence

from hfsync.errors import STALE_HINT, HfsyncError, HubError, StalePlanError
from hfsync.hub import pullrequests
from hfsync.hub.commit import Upload
from hfsync.hub.publish import Publisher
from hfsync.model.apply import Step
from hfsync.model.plan import Action, TargetChange
from hfsync.publish.batches import batches_of, identity


def _batch_title(k: int, n: int, marker: str) -> str:
    return f"Batch {k}/{n} {marker}"


def _resumable(pr: pullrequests.PullRequest, target: TargetChange, n: int, marker: str) -> str | None:
    """Why ``pr`` cannot be gone on with (None: it can)."""
    if not pr.ref_exists:
        return f"its ref {pr.ref} is gone"
    if pr.branch != target.revision:
        return f"it targets {pr.branch}, not {target.revision}"
    later = [summary for _oid, summary in pr.commits[1:]]
    if not pr.commits or len(pr.commits) > n or later != [_batch_title(k, n, marker) for k in range(2, len(later) + 2)]:
        return "its commits are not this plan's batches"
    return None


def publish_batched(
    target: TargetChange, publisher: Publisher, uploads: Sequence[Upload], *, message: str, description: str,
    parent: str | None, done: list[Step],
) -> str:
    """Commit ``target``'s files in batches through a pull request and merge it; the
    commit the branch moved to. Appends a Step per batch committed and one for the merge."""
    hub, repo, kind = publisher.hub, target.repo_id, target.repo_type
    groups = batches_of(target)
    n = len(groups)
    marker = f"[hfsync {identity(target, parent)}]"
    by_path = {u.path: u for u in uploads}
    planned = {f.path for f in target.files}
    extra = [u for u in uploads if u.path not in planned]  # a signature, made at apply: in the last batch
    pr = pullrequests.find_open(hub, repo, kind, marker)
    if pr is not None and (why := _resumable(pr, target, n, marker)):
        pullrequests.close(hub, repo, kind, pr.num, f"hfsync: abandoned, {why}; a new pull request takes over.")
        done.append(Step("closed-pull-request", f"#{pr.num}", why))
        pr = None
    num, tip = (pr.num, pr.commits[-1][0]) if pr else (None, parent)
    if pr is not None:
        done.append(Step("resumed-pull-request", f"#{pr.num}", len(pr.commits)))
    for k in range(len(pr.commits) if pr else 0, n):
        group = groups[k]
        ups = [by_path[f.path] for f in group if f.action != Action.DELETE] + (extra if k == n - 1 else [])
        dels = [f.path for f in group if f.action == Action.DELETE]
        if num is None:
            tip = publisher.commits.commit(repo, kind, target.revision, ups, dels, message=f"{message} {marker}",
                                   description=description, parent=parent, create_pr=True)
            num = publisher.commits.pull_requests[tip]
        else:
            tip = _commit_to_pr(publisher, target, num, ups, dels, _batch_title(k + 1, n, marker), tip, k, n)
        done.append(Step("committed-batch", f"#{num}", f"{k + 1}/{n}", commit=tip, uploads=len(ups),
                         deletions=len(dels), bytes=sum(f.size for f in group if f.action != Action.DELETE),
                         sent=publisher.commits.sent.get(tip)))
    assert num is not None  # n >= 1: a batched target has files
    head = publisher.head(repo, kind, target.revision)[1]
    if head != parent:
        pullrequests.close(hub, repo, kind, num, f"hfsync: {target.revision} moved since the plan; not merged.")
        raise StalePlanError(
            f"plan is stale: {repo}: {target.revision} moved on the Hub during apply (from {(parent or '')[:7]} "
            f"to {(head or '')[:7]}); nothing was merged (the batches stay on pull request #{num}, closed).",
            hint=STALE_HINT)
    merged = pullrequests.merge(hub, repo, kind, num)
    done.append(Step("merged-pull-request", f"#{num}", n, commit=merged))
    return merged


def _commit_to_pr(publisher: Publisher, target: TargetChange, num: int, ups: list[Upload], dels: list[str],
                  title: str, tip: str | None, k: int, n: int) -> str:
    repo, kind = target.repo_id, target.repo_type
    try:
        return publisher.commits.commit(repo, kind, f"refs/pr/{num}", ups, dels, message=title, description="",
                                        parent=tip)
    except HubError as error:
        current = pullrequests.find_open(publisher.hub, repo, kind, title.split(" ", 2)[2])
        if current is not None and current.num == num and current.ref_exists:
            raise
        raise HfsyncError(
            f"{repo}: pull request #{num} was closed, or its ref refs/pr/{num} deleted, by someone else after "
            f"batch {k} of {n}; nothing was merged and {target.revision} is as it was.",
            hint="Run apply again: it opens a new pull request for the whole change.") from error
