"""`hfsync apply`: what was done per target, the closing line and what failed; as text or JSON."""

from __future__ import annotations

from typing import Any

from hfsync.model.apply import Step
from hfsync.model.plan import shown
from hfsync.render import Output, document, plural
from hfsync.units import human_size

INTERRUPTING = ("Interrupt received: letting the commits in flight finish; nothing new starts "
                "(^C again to stop at once).")


# What apply does to a collection: each names the collection or the item.
RESOURCE_STEPS = ("created-collection", "added-item", "removed-item", "updated-item")


def view(result: Any, fmt: str, quiet: bool = False) -> Output:
    """The apply result (hfsync.publish.apply.ApplyResult) as ``fmt``; ``quiet``: the closing line only."""
    if fmt == "json":
        return Output().raw(json(result))
    return Output(text(result).parts[-1:]) if quiet else text(result)


def text(result: Any) -> Output:
    out = Output()
    for target in result.targets:
        for step in target.done:
            out.out(f"{target.key}: {_step(step)}")
        for warning in target.warnings:
            out.out(f"Warning: {target.key}: {warning}")
    ok = plural(len(result.targets) - len(result.failures), "target")
    if result.interrupted:
        return out.out(f"Apply interrupted: {ok} published, {len(result.failures)} not.")
    return out.out(f"Apply complete: {ok} published." if not result.failures
                   else f"Apply incomplete: {ok} published, {len(result.failures)} failed.")


def _step(step: Step) -> str:
    if step.action == "committed":
        sent = f" ({human_size(step.sent)} sent)" if step.sent is not None else ""
        url = f": {step.url}" if step.url else ""
        return (f"committed {plural(step.uploads, 'upload')}, {plural(step.deletions, 'deletion')} as "
                f"{(step.commit or '')[:7]}{sent}{url}")
    if step.action == "signed":
        return f"signed {plural(step.files, 'file')} in {step.name} (key sha256:{(step.key or '')[:16]})"
    if step.action == "committed-batch":
        return (f"committed batch {step.value} ({plural(step.uploads, 'upload')}, "
                f"{plural(step.deletions, 'deletion')}) to pull request {step.name} as {(step.commit or '')[:7]}")
    if step.action == "resumed-pull-request":
        return f"went on with pull request {step.name}, which holds {plural(step.value, 'batch', 'batches')} already"
    if step.action == "closed-pull-request":
        return f"closed pull request {step.name}: {step.value}"
    if step.action == "merged-pull-request":
        return f"merged pull request {step.name}: the branch moved once, to {(step.commit or '')[:7]}"
    if step.action == "found-published":
        return "found the repo created and holding every planned file (another run published it); nothing to commit"
    return {"created-repo": "created the repo", "set": f"set {step.name} = {shown(step.value)}",
            "deleted": f"deleted {step.name}", "created-branch": f"created branch {step.name}",
            "created-tag": f"created tag {step.name}", "healthy": f"healthy: the Space is {step.name}",
            "not-waited": "health not checked (--no-wait)", "created-collection": f"created collection {step.name}",
            "added-item": f"added {step.name}", "removed-item": f"removed {step.name}",
            "updated-item": f"updated {step.name}"}[step.action]


def failure(result: Any) -> str | None:
    """The targets that failed or never started, as the error's message; None when all succeeded."""
    if not result.failures:
        return None
    head = "apply was interrupted; not published:" if result.interrupted else "apply failed for:"
    return head + "\n" + "\n".join(f"  {t.key}: {t.error}" for t in result.failures)


def json(result: Any) -> str:
    return document("apply", {
        "complete": not result.failures and not result.interrupted,
        "interrupted": result.interrupted,
        "bytes": sum(s.bytes for t in result.targets for s in t.done if s.action in ("committed", "committed-batch")),
        "targets": [{"key": t.key, "commit": t.commit, "steps": [_step_data(s) for s in t.done],
                     "warnings": list(t.warnings), "error": t.error, "bytes_sent": t.bytes_sent}
                    for t in result.targets],
    })


_PULL_REQUEST_STEPS = ("committed-batch", "resumed-pull-request", "closed-pull-request", "merged-pull-request")


def _step_data(step: Step) -> dict[str, Any]:
    """A step's own fields: the ones its action uses."""
    data: dict[str, Any] = {"action": step.action}
    if step.action in ("set", "deleted", "created-branch", "created-tag", "signed", "healthy", *RESOURCE_STEPS,
                       *_PULL_REQUEST_STEPS):
        data["name"] = step.name
    if step.action in ("set", *_PULL_REQUEST_STEPS):
        data["value"] = step.value
    if step.action in ("committed", "found-published", "committed-batch", "merged-pull-request"):
        data["commit"] = step.commit
    if step.action in ("committed", "committed-batch"):
        data.update(uploads=step.uploads, deletions=step.deletions, bytes=step.bytes, bytes_sent=step.sent,
                    url=step.url)
    if step.action == "signed":
        data.update(files=step.files, key=step.key)
    return data
