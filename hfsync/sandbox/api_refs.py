"""Read-side git endpoints: tree, paths-info, refs, commits; branch and tag writes."""

from __future__ import annotations

import base64
import re
import time
from urllib.parse import parse_qs, quote, unquote

from hfsync.sandbox.auth import HubError, entry_not_found, revision_not_found
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.repos import Entry, Repo, Snapshot, iso
from hfsync.sandbox.state import TYPES, Hub

_BRANCH = re.compile(r"^(?!refs/)(?!.*\.\.)(?!.*//)[A-Za-z0-9_][A-Za-z0-9._/-]*(?<![/.])$")
_SAFE = {
    "status": "safe",
    "avScan": {"virusFound": False, "virusNames": None},
    "pickleImportScan": {"highestSafetyLevel": "innocuous", "imports": []},
}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(raw.removeprefix("o:"))
    except ValueError:
        raise HubError(400, "Invalid cursor") from None


def paginate(req: Request, items: list, page_size: int) -> tuple[list, dict[str, str]]:
    """One page of ``items`` and the absolute ``Link: rel="next"`` header if more remain."""
    start = _decode_cursor(req.arg("cursor"))
    limit = int(req.arg("limit") or page_size)
    page = items[start : start + limit]
    headers = {}
    if start + limit < len(items):
        query = {k: v for k, v in req.query.items() if k != "cursor"}
        parts = [f"{quote(k)}={quote(x, safe='')}" for k, vs in query.items() for x in vs]
        parts.append(f"cursor={_encode_cursor(start + limit)}")
        headers["Link"] = f'<{req.base_url()}{req.path}?{"&".join(parts)}>; rel="next"'
    return page, headers


def _file_item(hub: Hub, e: Entry) -> dict:
    item: dict = {"type": "file", "oid": e.oid, "size": e.size, "path": e.path}
    if e.lfs:
        item["lfs"] = {"oid": e.lfs[0], "size": e.lfs[1], "pointerSize": e.lfs[2]}
        if (xet := hub.cas.file_for_sha256(e.lfs[0])) is not None:
            item["xetHash"] = xet.hash
    return item


def _item(hub: Hub, snap: Snapshot, path: str) -> dict:
    if path in snap.files:
        return _file_item(hub, snap.files[path])
    return {"type": "directory", "oid": snap.dirs[path], "size": 0, "path": path}


def _expand(repo: Repo, commit: str, items: list[dict]) -> None:
    last = repo.last_commits(commit, [i["path"] for i in items])
    for item in items:
        oid = last.get(item["path"], commit)
        c = repo.git.read_commit(oid)
        item["lastCommit"] = {"id": oid, "title": c.title, "date": iso(c.timestamp * 1000)}
        if item["type"] == "file":
            item["securityFileStatus"] = _SAFE


def tree(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str, path: str | None = None) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    rev_s, commit = hub.commit_for(repo, rev)
    snap = repo.snapshot(commit)
    folder = unquote(path or "").strip("/")
    if folder not in snap.dirs:
        error = entry_not_found(folder, rev_s)
        error.headers["X-Repo-Commit"] = commit
        raise error
    prefix = f"{folder}/" if folder else ""
    recursive, expand = req.flag("recursive"), req.flag("expand")
    page, headers = paginate(req, snap.listing(prefix, recursive), 50 if expand else 1000)
    items = [_item(hub, snap, p) for p in page]
    if expand:
        _expand(repo, commit, items)
    return json_response(items, headers=headers)


def paths_info(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    _rev, commit = hub.commit_for(repo, rev)
    raw = req.body()
    if (req.headers.get("Content-Type") or "").startswith("application/json"):
        import json

        data = json.loads(raw or b"{}")
        paths, expand = list(data.get("paths") or []), bool(data.get("expand"))
    else:
        form = parse_qs(raw.decode(), keep_blank_values=True)
        paths = form.get("paths", [])
        expand = (form.get("expand") or ["false"])[-1].lower() == "true"
    if len(paths) > 1000:
        raise HubError(413, "too many parameters")
    snap = repo.snapshot(commit)
    wanted = [p.strip("/") for p in paths]
    items = [_item(hub, snap, p) for p in wanted if p and (p in snap.files or p in snap.dirs)]
    if expand:
        _expand(repo, commit, items)
    return json_response(items)


def refs(hub: Hub, req: Request, types: str, ns: str, name: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)

    def listing(kind: str, prefix: str) -> list[dict]:
        found = repo.git.list_refs(prefix)
        return [
            {"name": n, "ref": f"{prefix}{n}", "targetCommit": repo.git.peel(oid)} for n, oid in sorted(found.items())
        ]

    body = {
        "branches": listing("branch", "refs/heads/"),
        "converts": listing("convert", "refs/convert/"),
        "tags": listing("tag", "refs/tags/"),
    }
    if req.flag("include_prs"):
        prs = listing("pr", "refs/pr/")
        body["pullRequests"] = sorted(prs, key=lambda r: int(r["name"]))
    return json_response(body)


def commits(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    _rev, commit = hub.commit_for(repo, rev)
    chain = repo.history(commit)
    page, headers = paginate(req, chain, 50)
    formatted = "formatted" in (req.query.get("expand[]", []) + req.query.get("expand", []))
    items = []
    for oid in page:
        c = repo.git.read_commit(oid)
        item = {
            "id": oid,
            "title": c.title,
            "message": c.body,
            "date": iso(c.timestamp * 1000),
            "authors": [{"user": c.author, "avatar": "/avatars/sandbox.svg"}],
        }
        if formatted:
            item["formatted"] = {"title": c.title, "message": c.body}
        items.append(item)
    return json_response(items, headers=headers)


def create_branch(hub: Hub, req: Request, types: str, ns: str, name: str, branch: str) -> Response:
    repo = hub.writable_repo(req, TYPES[types], ns, name)
    branch = unquote(branch)
    body = req.json()
    if not _BRANCH.match(branch) or branch.endswith(".lock"):
        raise HubError(400, f"Invalid reference for a branch: {branch}")
    start = str(body.get("startingPoint") or "main")
    with hub.repos.lock(repo.type, repo.id):
        target = repo.resolve(start)
        if target is None:
            raise revision_not_found(start)
        # A tag of the same name does not stand in the way: refs/heads and refs/tags are
        # separate namespaces on the Hub, as in git.
        if repo.git.get_ref(f"refs/heads/{branch}"):
            raise _ref_exists(f"refs/heads/{branch}")
        repo.git.set_ref(f"refs/heads/{branch}", target)
    return json_response({})


def _ref_exists(ref: str) -> HubError:
    return HubError(409, f"Reference {ref} already exists")


def delete_branch(hub: Hub, req: Request, types: str, ns: str, name: str, branch: str) -> Response:
    repo = hub.writable_repo(req, TYPES[types], ns, name)
    branch = unquote(branch)
    if branch == "main":
        raise HubError(403, "Cannot delete refs/heads/main")
    with hub.repos.lock(repo.type, repo.id):
        if repo.git.get_ref(f"refs/heads/{branch}") is None:
            raise revision_not_found(branch)
        repo.git.delete_ref(f"refs/heads/{branch}")
    return json_response({})


def create_tag(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str) -> Response:
    repo = hub.writable_repo(req, TYPES[types], ns, name)
    body = req.json()
    tag = str(body.get("tag") or "")
    with hub.repos.lock(repo.type, repo.id):
        # The revision is checked before the name: a bad revision is RevisionNotFound
        # whatever the tag is called. A branch of the same name does not stand in the way.
        _rev, target = hub.commit_for(repo, rev)
        if not _BRANCH.match(tag):
            raise HubError(400, f"Invalid tag name: {tag}")
        if repo.git.get_ref(f"refs/tags/{tag}") is not None:
            raise _ref_exists(f"refs/tags/{tag}")
        if body.get("message"):
            target = repo.git.write_tag(target, tag, body["message"], req.user or "", int(time.time()))
        repo.git.set_ref(f"refs/tags/{tag}", target)
    return json_response({})


def delete_tag(hub: Hub, req: Request, types: str, ns: str, name: str, tag: str) -> Response:
    repo = hub.writable_repo(req, TYPES[types], ns, name)
    tag = unquote(tag)
    with hub.repos.lock(repo.type, repo.id):
        if repo.git.get_ref(f"refs/tags/{tag}") is None:
            raise revision_not_found(tag)
        repo.git.delete_ref(f"refs/tags/{tag}")
    return json_response({})
