"""GitHub's REST API as hfsync needs it: where the run is (``GitHubContext``, read from the
variables GitHub Actions sets and passed in as a mapping, so tests drive a fake API with no
process state), what a call did (``Outcome``) and the few calls made, with the standard
library only. The token is sent only to the API's own origin and never printed: a redirect
or a ``Link`` page on another origin is not followed (urllib would carry the token along).
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
from hfsync.environment import run_url
from hfsync.errors import GitHubError
from hfsync.hub.bounded import ERROR_PAGE, MiB, read_capped
from hfsync.log import register_secret
from hfsync.origins import netloc, origin

_TIMEOUT = 30
# One answer of the API read whole: a page of a listing is at most 100 items.
ANSWER_LIMIT = 16 * MiB
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


class Forbidden(GitHubError):
    """GitHub answered 403: the token may read but not write (a fork's pull request)."""


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Redirects within the origin are followed as urllib does; one to another origin is an error,
    since urllib copies every header (the token too) onto the redirected request."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        there = urllib.parse.urljoin(req.full_url, newurl)
        if origin(there) != origin(req.full_url):
            fp.close()
            here = netloc(origin(req.full_url))
            raise GitHubError(
                f"the GitHub API at {here} redirected {req.get_method()} {_path(req.full_url)} to another host, "
                f"{netloc(origin(there))}; not followed: the token goes only to {here}",
                hint="Check GITHUB_API_URL, and any proxy between this machine and the API.")
        # urllib drains a followed redirect's body whatever its length: only its first bytes are read.
        fp.read(ERROR_PAGE)
        fp.close()
        return super().redirect_request(req, fp, code, msg, headers, newurl)




class Api:
    """The few REST calls needed, with pagination and errors mapped to GitHubError."""

    def __init__(self, context: GitHubContext, purpose: str = "write to the pull request",
                 permissions: str = "pull-requests: write") -> None:
        """``purpose`` and ``permissions``: what the token is for, and what the workflow must grant."""
        if not context.token:
            raise GitHubError(
                f"GITHUB_TOKEN is not set; hfsync needs it to {purpose}",
                hint="In a workflow: env: {GITHUB_TOKEN: ${{ github.token }}} and "
                f"permissions: {{{permissions}}}.",
            )
        if not context.repository or "/" not in context.repository:
            raise GitHubError("GITHUB_REPOSITORY is not set (expected OWNER/NAME)")
        self.context = context
        self.origin = origin(context.api_url)

    def absolute(self, url: str) -> str:
        """A path under the repository (``issues/7/comments``) or a full URL as given."""
        return url if url.startswith("http") else f"{self.context.api_url}/repos/{self.context.repository}/{url}"

    def request(self, method: str, url: str, body: Any = None) -> tuple[Any, Mapping[str, str]]:
        url = self.absolute(url)
        if origin(url) != self.origin:
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
                # Made per call: its ProxyHandler reads the proxy variables as they are now.
                with urllib.request.build_opener(_SameOrigin).open(request, timeout=_TIMEOUT) as response:
                    raw = read_capped(iter(lambda: response.read(1 << 16), b""), ANSWER_LIMIT, url,
                                      f"GitHub API {method} {_path(url)}")
                    return (json.loads(raw) if raw else None), response.headers
            except urllib.error.HTTPError as error:
                failure = _http_error(method, url, error)
                transient = error.code >= 500
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                failure = GitHubError(f"cannot reach the GitHub API at {_origin(self.context.api_url)}: {reason}")
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
        message = json.loads(error.read(ERROR_PAGE) or b"{}").get("message", "")
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


def html_url(answer: Any) -> str | None:
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


