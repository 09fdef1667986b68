"""GitHub: the sticky pull-request comment, the drift issue, upgrade pull requests and the job summary.

Talks to GitHub's REST API with the standard library only. The environment GitHub Actions
sets is passed in as a mapping (``GitHubContext.from_env``), so tests drive it with a fake
API and no process state. The token is sent only to the API's own origin and never printed.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfsync import __version__
from hfsync.errors import GitHubError
from hfsync.log import register_secret
from hfsync.publish.provenance import run_url
from hfsync.pull.upgrades import UpgradeReport
from hfsync.units import utf16_length

MARKER = "<!-- hfsync-plan -->"
DRIFT_LABEL = "hfsync-drift"
# GitHub refuses issue and comment bodies longer than this many characters.
BODY_LIMIT = 65536
# GitHub drops a step summary over 1 MiB; stay under it with room for the notice.
SUMMARY_LIMIT = 1024 * 1024 - 4096
_TIMEOUT = 30
# Idempotent calls are retried after these pauses on a 5xx or a dropped connection.
_RETRY_DELAYS = (1.0, 3.0)
_sleep = time.sleep


@dataclass(frozen=True)
class GitHubContext:
    """Where to comment, read from the variables GitHub Actions sets."""

    api_url: str
    token: str | None
    repository: str | None
    pr: int | None
    summary_path: Path | None
    run_url: str | None
    in_actions: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str], pr: int | None = None) -> GitHubContext:
        token = env.get("GITHUB_TOKEN") or None
        register_secret(token)
        repository = env.get("GITHUB_REPOSITORY") or None
        return cls(
            api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            token=token,
            repository=repository,
            pr=pr if pr is not None else _event_pr(env.get("GITHUB_EVENT_PATH")),
            summary_path=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
            run_url=run_url({"GITHUB_SERVER_URL": "https://github.com", **env}),
            in_actions=env.get("GITHUB_ACTIONS") == "true",
        )


@dataclass(frozen=True)
class Outcome:
    """What a comment or issue call did: ``action`` is created, updated, unchanged, closed or skipped."""

    action: str
    url: str | None = None
    notice: str | None = None
    truncated: bool = False


def _event_pr(event_path: str | None) -> int | None:
    # pull_request and pull_request_target events carry the number; pushes have none.
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    number = (event.get("pull_request") or {}).get("number")
    issue = event.get("issue") or {}
    if number is None and issue.get("pull_request"):
        number = issue.get("number")  # issue_comment on a pull request, e.g. a "/plan" command
    return number if isinstance(number, int) else None


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
    open_details = 0
    budget = limit - utf16_length(notice)
    kept = text[:budget]
    while True:
        if "\n" in kept:
            kept = kept[: kept.rindex("\n")]
        closing = "\n```" if sum(1 for line in kept.splitlines() if line.lstrip().startswith("```")) % 2 else ""
        open_details = max(0, kept.count("<details") - kept.count("</details>"))
        closing += "\n</details>" * open_details
        over = utf16_length(kept + closing) - budget
        if over <= 0:
            return kept + closing + notice, True
        kept = kept[: len(kept) - over]


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
    from hfsync.publish.plan import read
    from hfsync.render import render

    return render(read(path), "markdown", limit=limit)


def append_summary(context: GitHubContext, markdown: str) -> bool:
    """Append ``markdown`` to $GITHUB_STEP_SUMMARY when it is set; say whether it was."""
    if context.summary_path is None:
        return False
    text, _ = truncate(markdown, SUMMARY_LIMIT, None)
    with context.summary_path.open("a", encoding="utf-8") as summary:
        summary.write(text.rstrip("\n") + "\n\n")
    return True


class Forbidden(GitHubError):
    """GitHub answered 403: the token may read but not write (a fork's pull request)."""


class _Api:
    """The few REST calls needed, with pagination and errors mapped to GitHubError."""

    def __init__(self, context: GitHubContext) -> None:
        if not context.token:
            raise GitHubError(
                "GITHUB_TOKEN is not set; hfsync needs it to write to the pull request",
                hint="In a workflow: env: {GITHUB_TOKEN: ${{ github.token }}} and "
                "permissions: {pull-requests: write}.",
            )
        if not context.repository or "/" not in context.repository:
            raise GitHubError("GITHUB_REPOSITORY is not set (expected OWNER/NAME)")
        self.context = context
        self.origin = _origin(context.api_url)

    def absolute(self, url: str) -> str:
        """A path under the repository (``issues/7/comments``) or a full URL as given."""
        return url if url.startswith("http") else f"{self.context.api_url}/repos/{self.context.repository}/{url}"

    def request(self, method: str, url: str, body: Any = None) -> tuple[Any, Mapping[str, str]]:
        url = self.absolute(url)
        if _origin(url) != self.origin:
            # A Link header pointing elsewhere must not receive the token.
            raise GitHubError(f"GitHub API answered with a link to another host: {_origin(url)}")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.context.token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", f"hfsync/{__version__}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        # A POST retried after a lost answer could add a second comment; only GET and PATCH are retried.
        delays = _RETRY_DELAYS if method in ("GET", "PATCH") else ()
        for attempt in range(len(delays) + 1):
            try:
                with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                    raw = response.read()
                    return (json.loads(raw) if raw else None), response.headers
            except urllib.error.HTTPError as error:
                failure = _http_error(method, url, error)
                transient = error.code >= 500
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                failure = GitHubError(f"cannot reach the GitHub API at {self.origin}: {reason}")
                transient = True
            except ValueError:
                raise GitHubError(f"GitHub API answered {method} {_path(url)} with invalid JSON") from None
            if not transient or attempt == len(delays):
                raise failure
            _sleep(delays[attempt])
        raise AssertionError("unreachable")

    def pages(self, url: str) -> Iterator[dict[str, Any]]:
        next_url: str | None = self.absolute(url)
        while next_url:
            items, headers = self.request("GET", next_url)
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise GitHubError(f"GitHub API answered GET {_path(next_url)} with something other than a list")
            yield from items
            next_url = _next_link(headers.get("Link"))


def _http_error(method: str, url: str, error: urllib.error.HTTPError) -> GitHubError:
    try:
        message = json.loads(error.read() or b"{}").get("message", "")
    except (ValueError, AttributeError):
        message = ""
    what = f"GitHub API refused {method} {_path(url)}: {error.code} {message or error.reason}".rstrip()
    if error.code == 403:
        limited = error.headers.get("X-RateLimit-Remaining") == "0"
        return Forbidden(what + (" (rate limit reached)" if limited else ""))
    if error.code == 401:
        return GitHubError(what, hint="GITHUB_TOKEN is invalid or expired.")
    if error.code == 404:
        return GitHubError(what, hint="Check GITHUB_REPOSITORY, the pull request number and the token's access.")
    return GitHubError(what)


def _url(answer: Any) -> str | None:
    return answer.get("html_url") if isinstance(answer, dict) else None


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 Link header, if any."""
    for part in (header or "").split(","):
        match = re.match(r"\s*<([^>]*)>(.*)", part)
        rel = re.search(r'rel="?([^";]*)"?', match.group(2)) if match else None
        if match and rel and "next" in rel.group(1).split():
            return match.group(1)
    return None


def _fallback(context: GitHubContext, error: Forbidden, markdown: str, what: str) -> Outcome:
    notice = (
        f"hfsync could not {what}: {error.message}. A pull request from a fork gets a read-only "
        "GITHUB_TOKEN; the plan is in the job summary instead."
    )
    if context.summary_path is not None:
        append_summary(context, f"> [!NOTE]\n> {notice}\n\n{markdown}")
    return Outcome("skipped", notice=notice)


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
    api = _Api(context)
    body, truncated = truncate(f"{tag}\n{markdown}", BODY_LIMIT, context.run_url)
    comments = api.pages(f"issues/{context.pr}/comments?per_page=100")
    # The marker opens the body; a comment merely quoting it is someone else's.
    existing = next((c for c in comments if (c.get("body") or "").startswith(tag + "\n")), None)
    if existing is None:
        created, _ = api.request("POST", f"issues/{context.pr}/comments", {"body": body})
        return Outcome("created", _url(created), truncated=truncated)
    if existing.get("body") == body:
        return Outcome("unchanged", _url(existing), truncated=truncated)
    updated, _ = api.request("PATCH", f"issues/comments/{existing['id']}", {"body": body})
    return Outcome("updated", _url(updated), truncated=truncated)


def drift_issue(
    context: GitHubContext, markdown: str | None, label: str = DRIFT_LABEL, title: str = "hfsync: drift detected"
) -> Outcome:
    """Open or update the one open issue labelled ``label``; with no markdown, close it.

    The nightly drift check calls this with the plan when the Hub differs from the
    manifests, and with None when it matches again, so the issue tracks the current state.
    """
    api = _Api(context)
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
            return Outcome("closed", _url(closed))
        intro = "The Hub differs from the manifests (someone changed it outside hfsync)." + run
        body, truncated = truncate(f"{intro}\n\n{markdown}", BODY_LIMIT, context.run_url)
        if existing is None:
            created, _ = api.request("POST", "issues", {"title": title, "body": body, "labels": [label]})
            return Outcome("created", _url(created), truncated=truncated)
        updated, _ = api.request("PATCH", f"issues/{existing['number']}", {"body": body})
        return Outcome("updated", _url(updated), truncated=truncated)
    finally:
        if markdown is not None:
            append_summary(context, markdown)


# --- upgrade pull requests --------------------------------------------------------------


def upgrade_pull_requests(
    context: GitHubContext, reports: list[UpgradeReport], base: str | None = None, remote: str = "origin",
) -> list[tuple[UpgradeReport, Outcome]]:
    """One pull request per manifest on ``hfsync/upgrade/<manifest>``: the lock change pushed
    there and the summary as its body; a stale one closed when nothing moves any more.

    Every summary goes to the job summary as well. A 403 on the pull request (the token may
    push but not open pull requests) is not an error: a notice says so.
    """
    from hfsync.pull.lockbranch import branch_name, open_repo, push_lock
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
    api = _Api(context)
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
            return Outcome("closed", _url(closed))
        text, truncated = truncate(body, BODY_LIMIT, context.run_url)
        if existing is None:
            created, _ = api.request("POST", "pulls", {"title": title, "head": branch, "base": base, "body": text})
            outcome = Outcome("created", _url(created), truncated=truncated)
        elif (existing.get("title"), existing.get("body")) == (title, text):
            outcome = Outcome("unchanged", _url(existing), truncated=truncated)
        else:
            updated, _ = api.request("PATCH", f"pulls/{existing['number']}", {"title": title, "body": text})
            outcome = Outcome("updated", _url(updated), truncated=truncated)
    except Forbidden as error:
        notice = (f"hfsync could not open or update the upgrade pull request from {branch}: {error.message}. "
                  "The workflow needs `permissions: pull-requests: write`, and the repository must allow "
                  "GitHub Actions to create pull requests; the summary is in the job summary instead.")
        append_summary(context, f"> [!NOTE]\n> {notice}\n\n{body or ''}")
        return Outcome("skipped", notice=notice)
    append_summary(context, body)
    return outcome
