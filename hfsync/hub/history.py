"""What happened upstream between two commits of a repo: the commits API, read lazily.

The Hub lists a revision's history newest first, 50 commits a page; the listing stops
at the old pin (or after ``limit`` commits), so a small move costs one request however
long the repo's history is.
"""

from __future__ import annotations

from urllib.parse import quote

from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.internals import paginate
from hfsync.model.upgrade import UpstreamCommit


def commits_between(hub: Hub, repo_id: str, repo_type: str, old: str | None, new: str,
                    limit: int = 50) -> tuple[list[UpstreamCommit], bool]:
    """(the commits after ``old`` up to ``new``, newest first; whether the list stops short of ``old``)."""
    path = f"{hub.endpoint}/api/{repo_type}s/{repo_id}/commits/{quote(new, safe='')}"
    headers = hub.headers(repo_type, repo_id)

    hub.session()  # paginate's requests go through huggingface_hub's shared client: retried, traced

    def listing(_: int) -> tuple[list[UpstreamCommit], bool]:
        found: list[UpstreamCommit] = []
        for item in paginate(path, headers):
            if item.get("id") == old:
                return found, False
            if len(found) == limit:
                return found, True
            authors = tuple(str(a.get("user", "")) for a in item.get("authors") or () if isinstance(a, dict))
            found.append(UpstreamCommit(str(item.get("id", "")), str(item.get("title", "")), authors,
                                        str(item.get("date", ""))))
        return found, old is not None  # the old pin is not in the new one's history (a force-push)

    with translate_errors("list commits of", repo_id):
        return hub.retry.call(f"list commits of {repo_type} {repo_id}@{new[:12]}", listing)
