"""The drift issue: one open issue per label that tracks whether the Hub still differs
from the manifests."""

from __future__ import annotations

import urllib.parse

from hfsync.github.api import Api, GitHubContext, Outcome, html_url
from hfsync.github.comment import BODY_LIMIT, append_summary, truncate

DRIFT_LABEL = "hfsync-drift"


def drift_issue(
    context: GitHubContext, markdown: str | None, label: str = DRIFT_LABEL, title: str = "hfsync: drift detected"
) -> Outcome:
    """Open or update the one open issue labelled ``label``; with no markdown, close it.

    The nightly drift check calls this with the plan when the Hub differs from the
    manifests, and with None when it matches again, so the issue tracks the current state.
    """
    api = Api(context, "open or update the drift issue", "issues: write")
    query = urllib.parse.urlencode({"labels": label, "state": "open", "per_page": 100})
    # The issues list includes pull requests; a pull request carries "pull_request".
    existing = next((i for i in api.pages(f"issues?{query}") if "pull_request" not in i), None)
    run = f" Run: {context.run_url}" if context.run_url else ""
    try:
        if markdown is None:
            if existing is None:
                return Outcome("skipped")
            api.request("POST", f"issues/{existing['number']}/comments", {"body": f"No drift any more; closing.{run}"})
            closed, _ = api.request("PATCH", f"issues/{existing['number']}", {"state": "closed"})
            return Outcome("closed", html_url(closed))
        intro = "The Hub differs from the manifests (someone changed it outside hfsync)." + run
        body, truncated = truncate(f"{intro}\n\n{markdown}", BODY_LIMIT, context.run_url)
        if existing is None:
            created, _ = api.request("POST", "issues", {"title": title, "body": body, "labels": [label]})
            return Outcome("created", html_url(created), truncated=truncated)
        updated, _ = api.request("PATCH", f"issues/{existing['number']}", {"body": body})
        return Outcome("updated", html_url(updated), truncated=truncated)
    finally:
        if markdown is not None:
            append_summary(context, markdown)


