"""Pull requests a batched publish stages its commits on (huggingface_hub's discussions API)."""

from __future__ import annotations

from dataclasses import dataclass

from hfsync.hub.client import Hub, translate_errors


@dataclass(frozen=True)
class PullRequest:
    """One open pull request: its number, title, target branch ("main"), the commits on
    its ref in order as (oid, summary), and whether its ref still exists."""

    num: int
    title: str
    branch: str
    commits: tuple[tuple[str, str], ...]
    ref_exists: bool

    @property
    def ref(self) -> str:
        return f"refs/pr/{self.num}"


def find_open(hub: Hub, repo_id: str, repo_type: str, marker: str) -> PullRequest | None:
    """The open pull request whose title carries ``marker``, or None. Reads the listing,
    then the details and the refs of a match only."""
    api = hub.api_for(repo_type, repo_id)
    with translate_errors("list pull requests of", repo_id):
        found = next((d for d in api.get_repo_discussions(repo_id, repo_type=repo_type, discussion_type="pull_request",
                                                         discussion_status="open") if marker in d.title), None)
        if found is None:
            return None
        details = api.get_discussion_details(repo_id, found.num, repo_type=repo_type)
        refs = api.list_repo_refs(repo_id, repo_type=repo_type, include_pull_requests=True)
    commits = tuple((e.oid, e.summary) for e in details.events if e.type == "commit")  # type: ignore[attr-defined]
    return PullRequest(found.num, found.title, (details.target_branch or "").removeprefix("refs/heads/"), commits,
                       any(r.ref == f"refs/pr/{found.num}" for r in refs.pull_requests or ()))


def merge(hub: Hub, repo_id: str, repo_type: str, num: int) -> str:
    """Merge pull request ``num``; the commit the branch moved to."""
    api = hub.api_for(repo_type, repo_id)
    with translate_errors(f"merge pull request #{num} of", repo_id):
        api.merge_pull_request(repo_id, num, repo_type=repo_type)
        return str(api.get_discussion_details(repo_id, num, repo_type=repo_type).merge_commit_oid)


def close(hub: Hub, repo_id: str, repo_type: str, num: int, why: str) -> None:
    with translate_errors(f"close pull request #{num} of", repo_id):
        hub.api_for(repo_type, repo_id).change_discussion_status(repo_id, num, "closed", comment=why,
                                                                repo_type=repo_type)
