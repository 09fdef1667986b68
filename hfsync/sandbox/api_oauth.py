"""POST /oauth/token: the Trusted Publishers' token exchange (see oidc)."""

from __future__ import annotations

from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.oidc import request_body
from hfsync.sandbox.state import Hub


def exchange(hub: Hub, req: Request) -> Response:
    body = request_body(req.body(), req.headers.get("Content-Type") or "")
    answer = hub.oidc.exchange(body, req.base_url(), lambda t, i: _canonical(hub, t, i),
                               lambda name: name in hub.accounts.users)
    # RFC 6749 §5.1: token answers are never cached.
    return json_response(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _canonical(hub: Hub, repo_type: str, repo_id: str) -> str | None:
    if repo_type not in ("model", "dataset", "space"):
        return None  # kernels: a resource the Hub knows and the sandbox has none of
    repo = hub.repos.get(repo_type, repo_id) or hub.repos.find_case_insensitive(repo_type, repo_id)
    return repo.id if repo is not None else None
