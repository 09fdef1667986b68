"""A gated repo's access requests, as the client's access-request API drives them:

    POST {prefix}{id}/ask-access                              a signed-in user asks (auto gate: accepted at once)
    GET  /api/{types}/{id}/user-access-request/{status}       pending | accepted | rejected (paged)
    POST /api/{types}/{id}/user-access-request/handle         {user | requestId, status[, rejectionReason]}
    POST /api/{types}/{id}/user-access-request/grant          {user}: accepted without a request

Managing needs write access to the repo; a repo that is not gated answers 400, an unknown
user 404, a request already in the asked-for list 404, a grant to a user who has access 400.
The accepted users are also the repo's ``granted`` list, which the file routes check.
"""

from __future__ import annotations

import secrets
from urllib.parse import unquote

from hfsync.sandbox.api_refs import paginate
from hfsync.sandbox.auth import HubError
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.repos import Repo, iso, now_ms
from hfsync.sandbox.state import TYPES, Hub

STATUSES = ("pending", "accepted", "rejected")


def _records(meta: dict) -> dict[str, dict]:
    """Every request by user; users granted by a seed, with no request, count as accepted."""
    records = {u: dict(r) for u, r in (meta.get("access_requests") or {}).items()}
    for user in meta.get("granted") or []:
        records.setdefault(user, {"requestId": secrets.token_hex(12), "status": "accepted",
                                  "timestamp": iso(meta.get("createdAt") or now_ms()), "granted": True})
    return records


def _save(repo: Repo, records: dict[str, dict]) -> None:
    accepted = sorted(u for u, r in records.items() if r["status"] == "accepted")
    repo.update_meta({"access_requests": records, "granted": accepted})


def _managed(hub: Hub, req: Request, types: str, ns: str, name: str) -> Repo:
    repo = hub.writable_repo(req, TYPES[types], ns, name)
    if not repo.meta.get("gated"):
        raise HubError(400, f"The repository {repo.id} is not gated")
    return repo


def _user(hub: Hub, name: object) -> str:
    if not isinstance(name, str) or name not in hub.accounts.users:
        raise HubError(404, f"User {name} not found")
    return name


def ask(hub: Hub, req: Request, ns: str, name: str, prefix: str | None = None) -> Response:
    repo_type = {"datasets": "dataset", "spaces": "space"}.get(prefix or "", "model")
    repo = hub.repo(req, repo_type, ns, name)
    if req.user is None:
        raise HubError(401, "You must be authenticated to ask for access")
    if not repo.meta.get("gated"):
        raise HubError(400, f"The repository {repo.id} is not gated")
    with hub.repos.lock(repo.type, repo.id):
        records = _records(repo.update_meta({}))
        if req.user not in records:
            status = "accepted" if repo.meta.get("gated") == "auto" else "pending"
            records[req.user] = {"requestId": secrets.token_hex(12), "status": status, "timestamp": iso(now_ms())}
            _save(repo, records)
    return json_response({"status": records[req.user]["status"]})


def listing(hub: Hub, req: Request, types: str, ns: str, name: str, status: str) -> Response:
    repo = _managed(hub, req, types, ns, name)
    found = [
        {"user": {"user": user, "fullname": user, "type": "user",
                  **({} if r.get("granted") else {"email": f"{user}@sandbox.invalid"})},
         "requestId": r["requestId"], "status": r["status"], "timestamp": r["timestamp"]}
        for user, r in sorted(_records(repo.meta).items(), key=lambda ur: ur[1]["timestamp"])
        if r["status"] == status
    ]
    page, headers = paginate(req, found, 100)
    return json_response(page, headers=headers)


def handle(hub: Hub, req: Request, types: str, ns: str, name: str) -> Response:
    repo = _managed(hub, req, types, ns, name)
    body = req.json()
    status = body.get("status")
    if status not in STATUSES:
        raise HubError(400, f"status must be one of {', '.join(STATUSES)}")
    with hub.repos.lock(repo.type, repo.id):
        records = _records(repo.update_meta({}))
        if "user" in body:
            user = _user(hub, body["user"])
        else:
            user = next((u for u, r in records.items() if r["requestId"] == body.get("requestId")), "")
        if user not in records:
            raise HubError(404, "Access request not found")
        if records[user]["status"] == status:
            raise HubError(404, f"The access request of {user} is already in the {status} list")
        records[user] = {**records[user], "status": status}
        _save(repo, records)
    return json_response({"status": status})


def grant(hub: Hub, req: Request, types: str, ns: str, name: str) -> Response:
    repo = _managed(hub, req, types, ns, name)
    user = _user(hub, req.json().get("user"))
    with hub.repos.lock(repo.type, repo.id):
        records = _records(repo.update_meta({}))
        if records.get(user, {}).get("status") == "accepted":
            raise HubError(400, f"{user} already has access to {unquote(repo.id)}")
        records[user] = {"requestId": records.get(user, {}).get("requestId") or secrets.token_hex(12),
                         "status": "accepted", "timestamp": iso(now_ms()), "granted": True}
        _save(repo, records)
    return json_response({"status": "accepted"})

