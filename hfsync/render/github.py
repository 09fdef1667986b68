"""`hfsync github ...`: what happened to the comment, issue or pull request."""

from __future__ import annotations

from typing import Any

from hfsync.render import Output, document
from hfsync.render.untrusted import terminal, workflow


def outcome(result: Any, what: str, in_actions: bool) -> Output:
    """One call's outcome (hfsync.github.api.Outcome) on ``what`` (e.g. "plan comment") as text."""
    out = Output()
    if result.notice:
        # A workflow command shows the notice on the run's page; elsewhere it is a plain line.
        if in_actions:
            out.out(f"::notice title=hfsync::{workflow(result.notice)}")
        else:
            out.err(f"Notice: {terminal(result.notice)}")
    url = terminal(result.url or "(no URL returned)")  # as GitHub's answer gave it
    if result.action in ("created", "updated", "closed"):
        out.out(f"{result.action.capitalize()} the {what}: {url}")
    elif result.action == "unchanged":
        out.out(f"The {what} already says this: {url}")
    if result.truncated:
        out.out("The body was over GitHub's size limit and was cut short; the job summary has all of it.")
    return out


def json(command: str, outcomes: list[tuple[str, Any]]) -> Output:
    """``hfsync github COMMAND --format json``: each (subject, Outcome) as data."""
    return Output().raw(document(f"github {command}", {"outcomes": [
        {"subject": subject, "action": o.action, "url": o.url, "notice": o.notice, "truncated": o.truncated}
        for subject, o in outcomes]}))


def upgrade_pr(report: Any, result: Any, in_actions: bool) -> Output:
    """One manifest's upgrade pull request: its UpgradeReport and the call's Outcome."""
    out = outcome(result, f"upgrade pull request of {report.manifest.name}", in_actions)
    if result.action == "skipped" and not result.notice:
        out.out(f"{report.manifest.name}: every pin is current; no upgrade pull request.")
    return out
