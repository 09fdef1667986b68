"""Pull requests (the Hub's discussions API), as huggingface_hub drives them.

A pull request is a discussion with a ref ``refs/pr/N`` branched from its target
branch. ``create_pull_request`` opens a draft whose ref points at the branch head;
``create_commit(create_pr=True)`` opens one holding its commit; commits to
``refs/pr/N`` stack on it (the first turns a draft open). Merging applies the pull
request's changes to the branch as ONE new commit, titled "<title> (#N)", whose only
parent is the branch head: the branch's history shows one step, the pull request's
own commits stay on its ref. Files the pull request changed that the branch also
changed since the pull request was opened are conflicts: the merge is refused.
"""

from __future__ import annotations

from urllib.parse import unquote

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.repos import Repo, iso, now_ms
from hfsync.sandbox.state import TYPES, Hub

PAGE = 50  # discussions per page, as the Hub pages them


def _record(repo: Repo, num: int) -> dict:
    for item in repo.meta.get("discussions") or ():
        if item["num"] == num:
            return item
    raise HubError(404, "Discussion not found", "DiscussionNotFound")


def _event(kind: str, author: str, data: dict) -> dict:
    return {"id": f"{now_ms():x}{kind[:2]}", "type": kind, "createdAt": iso(now_ms()),
            "author": {"name": author}, "data": data}


def _comment(author: str, text: str) -> dict:
    return _event("comment", author, {"edited": False, "hidden": False, "latest": {"raw": text}})


def open_pull_request(repo: Repo, title: str, description: str, author: str, branch: str, base: str) -> int:
    """Record a pull request against ``branch`` whose ref starts at ``base``; its number.
    Call under the repo's lock."""
    items = list(repo.meta.get("discussions") or ())
    num = int(repo.meta.get("prs", 0)) + 1
    items.append({"num": num, "title": title, "isPullRequest": True, "status": "draft",
                  "author": author, "createdAt": iso(now_ms()), "base": branch, "baseOid": base,
                  "mergeCommitId": None, "events": [_comment(author, description)]})
    repo.update_meta({"prs": num, "discussions": items})
    repo.git.set_ref(f"refs/pr/{num}", base)
    return num


def committed(repo: Repo, num: int, oid: str, subject: str, author: str) -> None:
    """Note a commit on ``refs/pr/num`` (call under the repo's lock)."""
    items = list(repo.meta.get("discussions") or ())
    for item in items:
        if item["num"] == num:
            item["events"].append(_event("commit", author, {"subject": subject, "oid": oid}))
            if item["status"] == "draft":
                item["status"] = "open"
    repo.update_meta({"discussions": items})


def check_open(repo: Repo, num: int) -> None:
    """A commit to a pull request's ref needs the pull request still open."""
    status = next((d["status"] for d in repo.meta.get("discussions") or () if d["num"] == num), None)
    if status in ("closed", "merged"):
        raise HubError(403, f"Pull request #{num} is {status}: it takes no more commits")


def _summary(repo: Repo, item: dict) -> dict:
    return {"num": item["num"], "title": item["title"], "status": item["status"],
            "isPullRequest": item["isPullRequest"], "createdAt": item["createdAt"],
            "author": {"name": item["author"]}, "repo": {"name": repo.id, "type": repo.type},
            "pinned": False, "numComments": 1, "topReactions": []}


def list_discussions(hub: Hub, req: Request, types: str, ns: str, name: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    items = list(reversed(repo.meta.get("discussions") or ()))  # newest first
    kind, status, author = req.arg("type"), req.arg("status"), req.arg("author")
    if kind in ("pull_request", "discussion"):
        items = [d for d in items if d["isPullRequest"] == (kind == "pull_request")]
    if status == "open":
        items = [d for d in items if d["status"] in ("open", "draft")]
    elif status == "closed":
        items = [d for d in items if d["status"] in ("closed", "merged")]
    if author:
        items = [d for d in items if d["author"] == author]
    try:
        start = int(req.arg("p") or 0) * PAGE
    except ValueError:
        raise HubError(400, "Invalid page number") from None
    page = [_summary(repo, d) for d in items[start : start + PAGE]]
    return json_response({"discussions": page, "count": len(items), "start": start,
                          "numClosedDiscussions": sum(d["status"] in ("closed", "merged") for d in items)})


def details(hub: Hub, req: Request, types: str, ns: str, name: str, num: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    item = _record(repo, int(num))
    body = _summary(repo, item) | {"events": item["events"], "filesWithConflicts": []}
    if item["isPullRequest"]:
        body["changes"] = {"base": f"refs/heads/{item['base']}", "mergeCommitId": item["mergeCommitId"]}
        body["filesWithConflicts"] = sorted(_conflicts(repo, item)) if item["status"] in ("open", "draft") else []
        body["diff"] = "".join(f"{path}\n" for path in sorted(_changed(repo, item["baseOid"], _head(repo, item))))
    return json_response(body)


def create(hub: Hub, req: Request, types: str, ns: str, name: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    if req.user is None:
        raise HubError(401, "You must be authenticated to access this resource")
    body = req.json()
    title = str(body.get("title") or "").strip()
    if len(title) < 3:
        raise HubError(400, "The title must be at least 3 characters long")
    if not body.get("pullRequest"):
        raise HubError(400, "The sandbox keeps pull requests only; open one with pullRequest: true")
    branch = str(repo.meta.get("default_branch") or "main")
    with hub.repos.lock(repo.type, repo.id):
        head = repo.branch_head(branch)
        if head is None:
            raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
        num = open_pull_request(repo, title, str(body.get("description") or ""), req.user, branch, head)
    url = f"{req.base_url()}{hub.repo_url_path(repo)}/discussions/{num}"
    return json_response({"num": num, "url": url, "pullRequest": True})


def _may_moderate(hub: Hub, req: Request, repo: Repo, item: dict) -> None:
    if req.user is None:
        raise HubError(401, "You must be authenticated to access this resource")
    if req.user != item["author"]:
        hub.require_write(req, repo.namespace, repo)


def change_status(hub: Hub, req: Request, types: str, ns: str, name: str, num: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    body = req.json()
    status = body.get("status")
    if status not in ("open", "closed"):
        raise HubError(400, "status must be 'open' or 'closed'")
    with hub.repos.lock(repo.type, repo.id):
        repo.meta = repo.update_meta({})
        item = _record(repo, int(num))
        _may_moderate(hub, req, repo, item)
        if item["status"] == "merged":
            raise HubError(400, "A merged pull request cannot change status")
        event = _event("status-change", req.user or "", {"status": status})
        items = list(repo.meta["discussions"])
        for d in items:
            if d["num"] == item["num"]:
                d["status"] = status
                d["events"].append(event)
                if body.get("comment"):
                    d["events"].append(_comment(req.user or "", str(body["comment"])))
        repo.update_meta({"discussions": items})
    return json_response({"newStatus": event})


def _head(repo: Repo, item: dict) -> str:
    return repo.git.get_ref(f"refs/pr/{item['num']}") or item["baseOid"]


def _changed(repo: Repo, old: str, new: str) -> set[str]:
    before, after = repo.snapshot(old).files, repo.snapshot(new).files
    return {p for p in before.keys() | after.keys()
            if (before.get(p) and before[p].oid) != (after.get(p) and after[p].oid)}


def _conflicts(repo: Repo, item: dict) -> set[str]:
    branch_head = repo.branch_head(item["base"])
    if branch_head is None or branch_head == item["baseOid"]:
        return set()
    return _changed(repo, item["baseOid"], _head(repo, item)) & _changed(repo, item["baseOid"], branch_head)


def merge(hub: Hub, req: Request, types: str, ns: str, name: str, num: str) -> Response:
    repo = hub.writable_repo(req, TYPES[types], ns, name)
    body = req.json() if req.headers.get("Content-Length") not in (None, "0") else {}
    with hub.repos.lock(repo.type, repo.id):
        repo.meta = repo.update_meta({})
        item = _record(repo, int(num))
        if not item["isPullRequest"] or item["status"] != "open":
            raise HubError(400, f"Only an open pull request with commits can be merged (#{num} is {item['status']})")
        if (ref := repo.git.get_ref(f"refs/pr/{item['num']}")) is None:
            raise HubError(404, f"Invalid rev id: refs/pr/{item['num']}", "RevisionNotFound")
        branch_head = repo.branch_head(item["base"])
        if branch_head is None:
            raise HubError(404, f"Invalid rev id: {item['base']}", "RevisionNotFound")
        if conflicts := sorted(_conflicts(repo, item)):
            raise HubError(409, f"Cannot merge: files changed on {item['base']} since the pull request was opened: "
                           + ", ".join(conflicts[:10]))
        files = {p: e.oid for p, e in repo.snapshot(branch_head).files.items()}
        ours = repo.snapshot(ref).files
        for path in _changed(repo, item["baseOid"], ref):
            if path in ours:
                files[path] = ours[path].oid
            else:
                files.pop(path, None)
        description = item["events"][0]["data"]["latest"]["raw"] if item["events"] else ""
        oid = repo.write_commit(branch_head, files, f"{item['title']} (#{item['num']})\n\n{description}".rstrip(),
                                req.user or "")
        repo.git.set_ref(f"refs/heads/{item['base']}", oid)
        items = list(repo.meta["discussions"])
        for d in items:
            if d["num"] == item["num"]:
                d["status"], d["mergeCommitId"] = "merged", oid
                d["events"].append(_event("status-change", req.user or "", {"status": "merged"}))
                if body.get("comment"):
                    d["events"].append(_comment(req.user or "", str(body["comment"])))
        repo.update_meta({"discussions": items})
    return json_response({"mergeCommitId": oid})


def pr_number(rev: str) -> int | None:
    """N for a revision ``refs/pr/N`` (percent-encoded or not), else None."""
    rev = unquote(rev)
    tail = rev.removeprefix("refs/pr/")
    return int(tail) if tail != rev and tail.isdigit() else None
