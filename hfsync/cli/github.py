"""`hfsync github ...`: the pull-request comment, the job summary, the drift issue and upgrade pull requests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, show
from hfsync.cli.validate import manifest_option

if TYPE_CHECKING:
    from hfsync.github.api import GitHubContext, Outcome

_file = click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))


@cli.group()
def github() -> None:
    """Report plans and open upgrade pull requests in GitHub Actions (reads GITHUB_* variables and GITHUB_TOKEN)."""


def _report(context: GitHubContext, outcome: Outcome, what: str, fmt: str, command: str) -> int:
    from hfsync.render import github as view

    show(view.json(command, [(what, outcome)]) if fmt == "json" else view.outcome(outcome, what, context.in_actions))
    return 0


@github.command()
@_file
@click.option("--key", help="Keep a separate comment per key (e.g. one per manifest).")
@click.option("--pr", type=click.IntRange(min=1), help="Pull request number (default: from GITHUB_EVENT_PATH).")
@format_option("github.report")
def comment(plan: Path, key: str | None, pr: int | None, fmt: str) -> int:
    """Create or update hfsync's one comment on the pull request with PLAN.

    PLAN is a saved plan (`hfsync plan --out`) or a markdown file. The markdown also goes to
    $GITHUB_STEP_SUMMARY. A read-only token (a fork's pull request) is not an error: the
    plan stays in the job summary and a notice says why.
    """
    from hfsync.github import comment as post
    from hfsync.github.api import GitHubContext

    context = GitHubContext.from_env(os.environ, pr=pr)
    # The comment's plan cuts content diffs to fit; the job summary has room for all of them.
    markdown = post.plan_markdown(plan, post.BODY_LIMIT - len(post.marker(key)) - 1)
    return _report(context, post.comment(context, markdown, key, post.plan_markdown(plan, post.SUMMARY_LIMIT)),
                   "plan comment", fmt, "comment")


@github.command()
@_file
def summary(plan: Path) -> int:
    """Append PLAN as markdown to $GITHUB_STEP_SUMMARY (or print it outside Actions)."""
    from hfsync.github.api import GitHubContext
    from hfsync.github.comment import SUMMARY_LIMIT, append_summary, plan_markdown

    markdown = plan_markdown(plan, SUMMARY_LIMIT)
    if not append_summary(GitHubContext.from_env(os.environ), markdown):
        click.echo(markdown, nl=False)
    return 0


@github.command()
@click.argument("plan", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--close", is_flag=True, help="No drift any more: close the open drift issue, if any.")
@click.option("--label", default="hfsync-drift", show_default=True, help="The label that finds the issue.")
@click.option("--title", default="hfsync: drift detected", show_default=True, help="Title of a new issue.")
@format_option("github.report")
def issue(plan: Path | None, close: bool, label: str, title: str, fmt: str) -> int:
    """Open or update the one drift issue with PLAN; or close it with --close."""
    from hfsync.errors import GitHubError
    from hfsync.github.api import GitHubContext
    from hfsync.github.comment import plan_markdown
    from hfsync.github.issue import drift_issue

    if (plan is None) == (not close):
        raise GitHubError("give either PLAN (drift found) or --close (no drift), not both or neither")
    context = GitHubContext.from_env(os.environ)
    markdown = plan_markdown(plan) if plan is not None else None
    return _report(context, drift_issue(context, markdown, label, title), "drift issue", fmt, "issue")


@github.command()
@manifest_option
@click.option("--base", help="Branch the pull requests merge into (default: GITHUB_REF_NAME, else the checkout's).")
@click.option("--remote", default="origin", show_default=True, help="Git remote the upgrade branches are pushed to.")
@click.option("--allow-policy-violations", is_flag=True,
              help="Move pins even where the new revision breaks the policy; they are still reported.")
@format_option("github.report")
@click.pass_obj
def pr(options: Options, files: tuple[Path, ...], base: str | None, remote: str,
       allow_policy_violations: bool, fmt: str) -> int:
    """Open or update one upgrade pull request per manifest (branch hfsync/upgrade/<manifest>).

    Runs `hfsync upgrade`, commits each manifest's lock change on its branch and pushes it,
    with the summary as the pull request's body; when nothing moved, a stale one is closed.
    """
    from hfsync.github.api import GitHubContext
    from hfsync.github.pr import upgrade_pull_requests
    from hfsync.hub.client import Hub
    from hfsync.hub.retry import Retry
    from hfsync.manifest.load import load
    from hfsync.publish.secrets import flagged_lines
    from hfsync.pull.upgrade import run_upgrade

    context = GitHubContext.from_env(os.environ)
    reports = run_upgrade(load(files), Hub(options.endpoint, options.token, retry=Retry()),
                          allow_policy_violations=allow_policy_violations, scan=flagged_lines)
    from hfsync.render.github import json, upgrade_pr

    done = []
    for report, outcome in upgrade_pull_requests(context, reports, base or os.environ.get("GITHUB_REF_NAME"),
                                                    remote):
        done.append((str(report.manifest), outcome))
        if fmt != "json":
            show(upgrade_pr(report, outcome, context.in_actions))
    if fmt == "json":
        show(json("pr", done))
    return 0
