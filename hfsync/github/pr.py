"""Upgrade pull requests: one per manifest on ``hfsync/upgrade/<manifest>``, carrying the
lock change and the upgrade summary."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from hfsync.github.api import Api, Forbidden, GitHubContext, Outcome, html_url
from hfsync.github.comment import BODY_LIMIT, append_summary, truncate
from hfsync.model.upgrade import UpgradeReport
from hfsync.render.untrusted import markdown as markdown_text


def upgrade_pull_requests(
    context: GitHubContext, reports: list[UpgradeReport], base: str | None = None, remote: str = "origin",
) -> list[tuple[UpgradeReport, Outcome]]:
    """One pull request per manifest on ``hfsync/upgrade/<manifest>``: the lock change pushed
    there and the summary as its body; a stale one closed when nothing moves any more.

    Every summary goes to the job summary as well. A 403 on the pull request (the token may
    push but not open pull requests) is not an error: a notice says so.
    """
    from hfsync.github.lockbranch import branch_name, open_repo, push_lock
    from hfsync.render.upgrade import markdown

    done = []
    for report in reports:
        repo = open_repo(report.manifest)
        branch = branch_name(Path(repo.working_tree_dir or "."), report.manifest)
        moved = report.moved
        text = markdown(report, BODY_LIMIT - 200)
        keys = ", ".join(m.key for m in moved)
        title = f"hfsync: upgrade {keys if len(keys) <= 120 else f'{len(moved)} pulls'} ({report.manifest.name})"
        if moved:
            lines = [f"{m.key}: {m.revision} {(m.old_commit or '(new)')[:12]} -> {m.new_commit[:12]}" for m in moved]
            push_lock(repo, report.lock, branch, "\n\n".join([title, "\n".join(lines)]), remote)
        target = base or repo.active_branch.name
        done.append((report, _upgrade_pull_request(context, branch, target, title, text if moved else None)))
        if not moved and report.moves:
            append_summary(context, text)  # moves held back by the policy are still worth reading
    return done


def _upgrade_pull_request(context: GitHubContext, branch: str, base: str, title: str, body: str | None) -> Outcome:
    api = Api(context, "open or update the upgrade pull request", "contents: write, pull-requests: write")
    owner = str(context.repository).split("/")[0]
    query = urllib.parse.urlencode({"head": f"{owner}:{branch}", "state": "open", "per_page": 100})
    try:
        existing = next(iter(api.pages(f"pulls?{query}")), None)
        if body is None:
            if existing is None:
                return Outcome("skipped")
            run = f" Run: {context.run_url}" if context.run_url else ""
            api.request("POST", f"issues/{existing['number']}/comments",
                        {"body": f"Every pin of this manifest is current again; closing.{run}"})
            closed, _ = api.request("PATCH", f"pulls/{existing['number']}", {"state": "closed"})
            return Outcome("closed", html_url(closed))
        text, truncated = truncate(body, BODY_LIMIT, context.run_url)
        if existing is None:
            created, _ = api.request("POST", "pulls", {"title": title, "head": branch, "base": base, "body": text})
            outcome = Outcome("created", html_url(created), truncated=truncated)
        elif (existing.get("title"), existing.get("body")) == (title, text):
            outcome = Outcome("unchanged", html_url(existing), truncated=truncated)
        else:
            updated, _ = api.request("PATCH", f"pulls/{existing['number']}", {"title": title, "body": text})
            outcome = Outcome("updated", html_url(updated), truncated=truncated)
    except Forbidden as error:
        notice = ("hfsync could not open or update the upgrade pull request from {branch}: {message}. "
                  "The workflow needs `permissions: pull-requests: write`, and the repository must allow "
                  "GitHub Actions to create pull requests; the summary is in the job summary instead.")
        # GitHub's message is shown as text, never as markdown.
        shown = notice.format(branch=f"`{branch}`", message=markdown_text(error.message))
        append_summary(context, f"> [!NOTE]\n> {shown}\n\n{body or ''}")
        return Outcome("skipped", notice=notice.format(branch=branch, message=error.message))
    append_summary(context, body)
    return outcome
