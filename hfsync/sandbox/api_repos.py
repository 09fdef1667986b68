"""Account and repo lifecycle endpoints: whoami, create, delete, move, settings, info."""

from __future__ import annotations

import re
from urllib.parse import unquote

from hfsync.sandbox.auth import HubError, repo_not_found
from hfsync.sandbox.cards import validate
from hfsync.sandbox.http import Request, Response, json_response, text_response
from hfsync.sandbox.info import full_info, select
from hfsync.sandbox.oidc import whoami_grant
from hfsync.sandbox.repos import REPO_TYPES, iso, now_ms
from hfsync.sandbox.state import PREFIX, TYPES, Hub

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
SDKS = ("gradio", "streamlit", "docker", "static")


def whoami(hub: Hub, req: Request) -> Response:
    if req.user is None:
        raise HubError(401, "Invalid username or password.")
    if req.grant is not None:
        return json_response(whoami_grant(req.grant))
    return json_response(hub.accounts.whoami(req.user))


def user_overview(hub: Hub, req: Request, name: str) -> Response:
    """GET /api/users/{name}/overview: a user's public profile; 404 for a name no one has."""
    if name not in hub.accounts.users:
        raise HubError(404, f"User {name} not found")
    mine = hub.accounts.whoami(name)
    return json_response({"_id": mine["id"], "user": name, "fullname": mine["fullname"], "type": "user",
                          "avatarUrl": mine["avatarUrl"], "isPro": False,
                          "orgs": [{k: o[k] for k in ("name", "fullname")} for o in mine["orgs"]]})


def org_overview(hub: Hub, req: Request, name: str) -> Response:
    """GET /api/organizations/{name}/overview: an organization's public profile."""
    if name not in hub.accounts.orgs:
        raise HubError(404, f"Organization {name} not found")
    return json_response({"name": name, "fullname": hub.accounts.fullname(name), "avatarUrl": "/avatars/sandbox.svg",
                          "type": "org", "numUsers": len(hub.accounts.orgs[name])})


def _repo_type(value: object) -> str:
    repo_type = value or "model"
    if repo_type not in REPO_TYPES:
        raise HubError(400, f"Invalid repo type {repo_type!r}")
    return str(repo_type)


def _url(req: Request, repo_type: str, repo_id: str) -> str:
    return f"{req.base_url()}/{PREFIX[repo_type]}{repo_id}"


def create_repo(hub: Hub, req: Request) -> Response:
    body = req.json()
    if req.user is None:
        raise HubError(401, "You must be authenticated to create a repo")
    repo_type = _repo_type(body.get("type"))
    name = body.get("name") or ""
    namespace = hub.accounts.canonical(body.get("organization") or req.user)
    if not _NAME.match(name) or name.endswith((".git", ".")) or ".." in name:
        raise HubError(400, f"Invalid repo name {name!r}")
    repo_id = f"{namespace}/{name}"
    if not hub.accounts.namespace_exists(namespace) or not hub.may_write(req, namespace) or req.grant is not None:
        raise HubError(
            403,
            f'You don\'t have the rights to create a {repo_type} under the namespace "{namespace}"',
        )
    # Neither said: the namespace's default (an org may make its repos private by default).
    private = body.get("private") if body.get("private") is not None else hub.accounts.private_by_default(namespace)
    visibility = body.get("visibility") or ("private" if private else "public")
    meta: dict = {"private": visibility == "private"}
    if repo_type == "space":
        sdk = body.get("sdk")
        if sdk not in SDKS:
            raise HubError(400, f"Invalid or missing sdk {sdk!r}; expected one of {SDKS}")
        meta["sdk"] = sdk
        meta.update(_space_extras(body))
    with hub.repos.lock(repo_type, repo_id):
        existing = hub.repos.find_case_insensitive(repo_type, repo_id)
        if existing is not None:
            raise HubError(
                409,
                f"You already created this {repo_type} repo",
                body={
                    "error": f"You already created this {repo_type} repo",
                    "url": _url(req, repo_type, existing.id),
                },
            )
        repo = hub.repos.create(repo_type, repo_id, req.user, meta)
    return json_response({"url": _url(req, repo_type, repo_id), "name": repo_id, "id": repo.meta["_id"]})


def _space_extras(body: dict) -> dict:
    """Hardware, sleep time, secrets and variables a Space may be created with."""
    extras: dict = {}
    if body.get("hardware"):
        extras["hardware"] = body["hardware"]
    if body.get("sleepTimeSeconds") is not None:
        extras["sleepTime"] = body["sleepTimeSeconds"]
    for field in ("secrets", "variables"):
        items = body.get(field) or []
        extras[field] = {
            str(i["key"]): {
                "value": str(i.get("value", "")),
                "updatedAt": iso(now_ms()),
                **({"description": i["description"]} if i.get("description") else {}),
            }
            for i in items
            if isinstance(i, dict) and i.get("key")
        }
    return extras


def delete_repo(hub: Hub, req: Request) -> Response:
    body = req.json()
    repo_type = _repo_type(body.get("type"))
    namespace = body.get("organization") or req.user or ""
    repo = hub.repo(req, repo_type, namespace, body.get("name") or "")
    hub.require_write(req, repo.namespace, repo)
    with hub.repos.lock(repo_type, repo.id):
        hub.repos.delete(repo)
    return text_response("OK")


def move_repo(hub: Hub, req: Request) -> Response:
    body = req.json()
    repo_type = _repo_type(body.get("type"))
    src, dst = str(body.get("fromRepo") or ""), str(body.get("toRepo") or "")
    if src.count("/") != 1 or dst.count("/") != 1:
        raise HubError(400, "fromRepo and toRepo must be namespace/name")
    repo = hub.repo(req, repo_type, *src.split("/"))
    hub.require_write(req, repo.namespace, repo)
    new_ns, new_name = dst.split("/")
    new_ns = hub.accounts.canonical(new_ns)
    dst = f"{new_ns}/{new_name}"
    hub.require_write(req, new_ns)
    if not _NAME.match(new_name):
        raise HubError(400, f"Invalid repo name {new_name!r}")
    with hub.repos.lock(repo_type, src), hub.repos.lock(repo_type, dst):
        if hub.repos.find_case_insensitive(repo_type, dst) is not None:
            raise HubError(409, f"A {repo_type} repository called {dst} already exists")
        hub.repos.move(repo, dst)
    return text_response("OK")


def update_settings(hub: Hub, req: Request, types: str, ns: str, name: str) -> Response:
    repo = hub.writable_repo(req, TYPES[types], ns, name)
    body = req.json()
    changes: dict = {}
    if "gated" in body:
        if body["gated"] not in (False, "auto", "manual"):
            raise HubError(400, 'gated must be false, "auto" or "manual"')
        changes["gated"] = body["gated"]
    if "visibility" in body:
        if body["visibility"] not in ("public", "private", "protected"):
            raise HubError(400, "visibility must be public, private or protected")
        changes["private"] = body["visibility"] == "private"
    if "private" in body:  # older clients
        changes["private"] = bool(body["private"])
    if "description" in body:
        changes["description"] = body["description"]
    with hub.repos.lock(repo.type, repo.id):
        repo.update_meta(changes)
    return json_response({})


def repo_info(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str | None = None) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    _rev, commit = hub.commit_for(repo, rev or "main")
    info = full_info(repo, commit, blobs=req.flag("blobs"))
    if req.flag("securityStatus") and repo.type == "model":
        info["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
    expand = req.query.get("expand") or req.query.get("expand[]")
    if expand:
        info = select(info, expand)
    return json_response(info)


def validate_yaml(hub: Hub, req: Request) -> Response:
    body = req.json()
    errors, warnings = validate(str(body.get("content") or ""), str(body.get("repoType")))
    status = 400 if errors else 200
    if "text/plain" in (req.headers.get("Accept") or ""):
        # What RepoCard.validate asks for and shows as is: one "- Error: ..." line per
        # error, as the Hub writes them.
        lines = [f"- Error: {e['message']}" for e in errors] + [f"- Warning: {w['message']}" for w in warnings]
        return text_response("\n".join(lines), status)
    return json_response({"errors": errors, "warnings": warnings}, status)


def agent_harnesses(hub: Hub, req: Request) -> Response:
    # Telemetry registry the client fetches once a day; an empty one keeps it quiet.
    return json_response({"standardEnvVars": [], "harnesses": {}})


def repo_without_namespace(hub: Hub, req: Request, types: str, name: str) -> Response:
    # The Hub has no repo outside a namespace; it answers as for any missing repo, with
    # the error code the client turns into RepositoryNotFoundError.
    raise repo_not_found(req.user)


def storage_settings(hub: Hub, req: Request, org: str | None = None) -> Response:
    """The repos of the caller (or of an org they belong to) with their storage, as
    ``hf repos ls`` lists them."""
    if req.user is None:
        raise HubError(401, "You must be authenticated to access this resource")
    namespace = unquote(org) if org is not None else req.user
    if org is not None and not hub.accounts.can_write(req.user, namespace):
        raise HubError(403, f"You are not a member of {namespace}")
    repos = [r for t in REPO_TYPES for r in hub.repos.all(t) if r.namespace == namespace]
    sizes = {r.path: _storage(r) for r in repos}
    total = sum(sizes.values()) or 1
    items = [
        {
            "id": r.id,
            "type": r.type,
            "updatedAt": iso(r.meta["lastModified"]),
            "visibility": "private" if r.meta.get("private") else "public",
            "storage": sizes[r.path],
            "storagePercent": round(100 * sizes[r.path] / total, 2),
        }
        for r in repos
    ]
    return json_response(items)


def _storage(repo) -> int:  # type: ignore[no-untyped-def]
    head = repo.branch_head("main")
    return sum(e.size for e in repo.snapshot(head).files.values()) if head else 0
