"""A gated repo's access requests, through huggingface_hub's client: who is accepted and
pending, grants and revocations, and whether a user exists."""

from __future__ import annotations

from hfsync.errors import HubError
from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.collections import status


def access(hub: Hub, repo_type: str, repo_id: str) -> tuple[list[str], list[str]]:
    """(users whose access is accepted, users whose request is pending), each in the Hub's order."""
    api = hub.api_for(repo_type, repo_id)
    with translate_errors("read the access requests of", repo_id):
        accepted = [r.username for r in api.list_accepted_access_requests(repo_id, repo_type=repo_type)]
        pending = [r.username for r in api.list_pending_access_requests(repo_id, repo_type=repo_type)]
    return [u for u in accepted if u], [u for u in pending if u]


def grant(hub: Hub, repo_type: str, repo_id: str, user: str) -> None:
    """Give ``user`` access (accepting the pending request, if there is one)."""
    with translate_errors(f"grant {user} access to", repo_id):
        hub.api_for(repo_type, repo_id).grant_access(repo_id, user, repo_type=repo_type)


def revoke(hub: Hub, repo_type: str, repo_id: str, user: str) -> None:
    """Take ``user``'s access away: the request goes back to pending, as the Hub's cancel does."""
    with translate_errors(f"revoke the access of {user} to", repo_id):
        hub.api_for(repo_type, repo_id).cancel_access_request(repo_id, user, repo_type=repo_type)


def user_exists(hub: Hub, user: str) -> bool | None:
    """Whether the Hub knows ``user``; None when it will not say."""
    try:
        with translate_errors("read user", user):
            hub.api.get_user_overview(user)
        return True
    except HubError as error:
        if status(error.__cause__) == 404:
            return False
        return None
