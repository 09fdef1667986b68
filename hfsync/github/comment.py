"""The sticky pull-request comment and the job summary: a plan rendered for GitHub, cut to
its limits without breaking the markdown."""

from __future__ import annotations

import re
from pathlib import Path

from hfsync.errors import GitHubError
from hfsync.github.api import Api, Forbidden, GitHubContext, Outcome, html_url
from hfsync.render.untrusted import markdown as markdown_text
from hfsync.units import utf16_length

MARKER = "<!-- hfsync-plan -->"
# GitHub refuses issue and comment bodies longer than this many characters.
BODY_LIMIT = 65536
# GitHub drops a step summary over 1 MiB; stay under it with room for the notice.
SUMMARY_LIMIT = 1024 * 1024 - 4096


def marker(key: str | None = None) -> str:
    """The hidden first line that identifies hfsync's comment (one per key)."""
    if not key:
        return MARKER
    if not re.fullmatch(r"[A-Za-z0-9._/:-]+", key):
        raise GitHubError(f"comment key {key!r} may use only letters, digits and . _ / : -")
    return f"<!-- hfsync-plan key={key} -->"


def truncate(text: str, limit: int, run_url: str | None) -> tuple[str, bool]:
    """Cut ``text`` to at most ``limit`` characters at a line end, closing open blocks.

    A cut inside a fenced code block or a ``<details>`` would swallow the notice, so both
    are closed before it; the notice points to the job summary, which holds everything.
    """
    if utf16_length(text) <= limit:
        return text, False
    where = f"the [job summary]({run_url})" if run_url else "the job summary of this workflow run"
    notice = (
        f"\n\n> [!WARNING]\n> This plan is {len(text):,} characters, over GitHub's limit; "
        f"it is cut short here. The full plan is in {where}.\n"
    )
    budget = limit - utf16_length(notice)
    kept = text[:budget]
    while True:
        if "\n" in kept:
            kept = kept[: kept.rindex("\n")]
        fence, open_details = _open_blocks(kept)
        closing = f"\n{fence}" if fence else ""
        closing += "\n</details>" * open_details
        over = utf16_length(kept + closing) - budget
        if over <= 0:
            return kept + closing + notice, True
        kept = kept[: len(kept) - over]


def _open_blocks(text: str) -> tuple[str, int]:
    """The fence of the code block ``text`` leaves open ("" if none), and how many <details> it
    leaves open outside code blocks (a diff may show the text of a tag; text outside one is
    neutralised and cannot)."""
    fence, details = "", 0
    for line in text.splitlines():
        marks = re.match(r"`{3,}", line.lstrip())
        if fence:
            if marks and len(marks.group()) >= len(fence) and not line.strip().strip("`"):
                fence = ""
        elif marks:
            fence = marks.group()
        else:
            details += line.count("<details") - line.count("</details>")
    return fence, max(0, details)


def plan_markdown(path: Path, limit: int | None = None) -> str:
    """The markdown to post for ``path``: a saved plan (JSON) rendered (within ``limit``
    characters, cutting content diffs first), or a markdown file as is."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GitHubError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GitHubError(f"{path}: cannot read: {error}") from None
    if not text.lstrip().startswith("{"):
        return text
    from hfsync.model.plan import read
    from hfsync.render.plan import render

    return render(read(path), "markdown", limit=limit)


def append_summary(context: GitHubContext, markdown: str) -> bool:
    """Append ``markdown`` to $GITHUB_STEP_SUMMARY when it is set; say whether it was."""
    if context.summary_path is None:
        return False
    text, _ = truncate(markdown, SUMMARY_LIMIT, None)
    with context.summary_path.open("a", encoding="utf-8") as summary:
        summary.write(text.rstrip("\n") + "\n\n")
    return True


def _fallback(context: GitHubContext, error: Forbidden, markdown: str, what: str) -> Outcome:
    notice = ("hfsync could not {what}: {message}. A pull request from a fork gets a read-only "
              "GITHUB_TOKEN; the plan is in the job summary instead.")
    if context.summary_path is not None:
        # GitHub's message is shown as text, never as markdown.
        shown = notice.format(what=what, message=markdown_text(error.message))
        append_summary(context, f"> [!NOTE]\n> {shown}\n\n{markdown}")
    return Outcome("skipped", notice=notice.format(what=what, message=error.message))


def comment(context: GitHubContext, markdown: str, key: str | None = None, summary: str | None = None) -> Outcome:
    """Create or update hfsync's one comment (per key) on the pull request.

    The markdown (or ``summary``, the same plan with room for more of it) goes to the job
    summary as well, whatever happens to the comment; a 403 is not an error, since a
    fork's pull request cannot be commented on with its token.
    """
    whole = summary if summary is not None else markdown
    tag = marker(key)
    try:
        outcome = _upsert_comment(context, tag, markdown)
    except Forbidden as error:
        return _fallback(context, error, whole, f"comment on pull request #{context.pr}")
    except GitHubError:
        append_summary(context, whole)
        raise
    append_summary(context, whole)
    return outcome


def _upsert_comment(context: GitHubContext, tag: str, markdown: str) -> Outcome:
    if context.pr is None:
        raise GitHubError(
            "no pull request number: the event is not a pull request",
            hint="Run on pull_request events, or pass --pr N.",
        )
    api = Api(context)
    body, truncated = truncate(f"{tag}\n{markdown}", BODY_LIMIT, context.run_url)
    comments = api.pages(f"issues/{context.pr}/comments?per_page=100")
    # The marker opens the body; a comment merely quoting it is someone else's.
    existing = next((c for c in comments if (c.get("body") or "").startswith(tag + "\n")), None)
    if existing is None:
        created, _ = api.request("POST", f"issues/{context.pr}/comments", {"body": body})
        return Outcome("created", html_url(created), truncated=truncated)
    if existing.get("body") == body:
        return Outcome("unchanged", html_url(existing), truncated=truncated)
    updated, _ = api.request("PATCH", f"issues/comments/{existing['id']}", {"body": body})
    return Outcome("updated", html_url(updated), truncated=truncated)


