"""The write path: preupload, the LFS batch API and transfers, and the commit endpoint."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterator
from urllib.parse import unquote

from hfsync.sandbox.api_discussions import check_open, committed, open_pull_request, pr_number
from hfsync.sandbox.auth import HubError, revision_not_found
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.lfs import OID_RE, LfsMismatch, pointer_text
from hfsync.sandbox.repos import Repo
from hfsync.sandbox.rules import (
    LFS_SIZE_THRESHOLD,
    ignore_patterns,
    is_ignored,
    lfs_line,
    lfs_patterns,
    matches_any,
    upload_mode,
)
from hfsync.sandbox.state import PREFIX, TYPES, Hub

FOLDER_ENTRIES = 10_000  # the Hub's recommendation: fewer entries than this per folder
STALE_PARENT = "The branch was updated since you opened this page. Please refresh and try again."
_LFS_JSON = {"Content-Type": "application/vnd.git-lfs+json"}


def preupload(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str) -> Response:
    repo = hub.contributable_repo(req, TYPES[types], ns, name)
    rev_s, commit = hub.commit_for(repo, rev)
    if req.flag("create_pr") and repo.branch_head(rev_s) is None:
        raise revision_not_found(rev_s)  # a pull request targets a branch
    body = req.json()
    snap = repo.snapshot(commit)
    patterns = lfs_patterns(repo.read_file(commit, ".gitattributes"))
    gitignore = body.get("gitIgnore")
    ignores = ignore_patterns(
        gitignore.encode() if isinstance(gitignore, str) else repo.read_file(commit, ".gitignore")
    )
    out = []
    for item in body.get("files") or []:
        path = str(item.get("path") or "")
        try:
            sample = base64.b64decode(item.get("sample") or "")
        except binascii.Error:
            raise HubError(400, f"Invalid base64 sample for {path}") from None
        existing = snap.files.get(path)
        mode = upload_mode(path, int(item.get("size") or 0), sample, patterns)
        if existing is not None and existing.lfs is not None and item.get("size"):
            mode = "lfs"  # an LFS file stays LFS: its .gitattributes line already exists
        entry = {"path": path, "uploadMode": mode, "shouldIgnore": is_ignored(path, ignores)}
        if existing is not None:
            entry["oid"] = existing.lfs[0] if existing.lfs else existing.oid
        out.append(entry)
    return json_response({"files": out, "commitOid": commit})


def lfs_batch(hub: Hub, req: Request, prefix: str | None, ns: str, name: str) -> Response:
    repo_type = {"": "model", "datasets": "dataset", "spaces": "space"}[prefix or ""]
    body = req.json()
    operation = body.get("operation")
    if operation == "upload":
        hub.writable_repo(req, repo_type, ns, name.removesuffix(".git"))
    else:
        hub.repo(req, repo_type, ns, name.removesuffix(".git"))
    base = req.base_url()
    objects = []
    for obj in body.get("objects") or []:
        oid, size = str(obj.get("oid") or ""), obj.get("size")
        if not OID_RE.match(oid) or not isinstance(size, int) or size < 0:
            objects.append(
                {
                    "oid": oid,
                    "size": size or 0,
                    "error": {"code": 422, "message": "Invalid oid or size"},
                }
            )
            continue
        item: dict = {"oid": oid, "size": size, "authenticated": True}
        stored = hub.lfs.size(oid)
        if stored is None and (xet := hub.cas.file_for_sha256(oid)) is not None:
            stored = xet.size  # stored through Xet: served rebuilt from its chunks
        if operation == "download":
            if stored is None:
                item["error"] = {"code": 404, "message": "Object does not exist"}
            else:
                href = f"{req.base_url(hub.cdn_port)}/sandbox-lfs/cdn/{oid}/{oid}"
                item["actions"] = {"download": {"href": f"{href}?sig={hub.sign('cdn', oid)}"}}
        elif stored is None:
            item["actions"] = _upload_actions(hub, base, oid, size)
        # Objects already stored get no actions: the client skips their upload.
        objects.append(item)
    return json_response({"transfer": "basic", "objects": objects}, headers=_LFS_JSON)


def _upload_actions(hub: Hub, base: str, oid: str, size: int) -> dict:
    sig = hub.sign("upload", oid, size)
    verify = {"href": f"{base}/sandbox-lfs/verify", "header": {}}
    if size <= hub.multipart_threshold:
        href = f"{base}/sandbox-lfs/upload/{oid}?size={size}&sig={sig}"
        return {"upload": {"href": href, "expires_in": 3600}, "verify": verify}
    chunk = hub.multipart_chunk
    part_sig = hub.sign("part", oid, size)
    header: dict[str, str] = {"chunk_size": str(chunk)}
    for n in range(1, math.ceil(size / chunk) + 1):
        header[f"{n:05d}"] = f"{base}/sandbox-lfs/part/{oid}/{n}?size={size}&sig={part_sig}"
    href = f"{base}/sandbox-lfs/complete/{oid}?size={size}&sig={sig}"
    return {"upload": {"href": href, "header": header, "expires_in": 3600}, "verify": verify}


def _size_arg(req: Request) -> int:
    try:
        return int(req.arg("size") or "")
    except ValueError:
        raise HubError(400, "Missing size on transfer URL") from None


def lfs_upload(hub: Hub, req: Request, oid: str) -> Response:
    size = _size_arg(req)
    hub.check_sig(req, "upload", oid, size)
    try:
        hub.lfs.receive(oid, size, req.iter_body())
    except LfsMismatch as error:
        raise HubError(400, f"Upload rejected: {error}") from None
    return Response(200)


def lfs_upload_part(hub: Hub, req: Request, oid: str, number: str) -> Response:
    size = _size_arg(req)
    hub.check_sig(req, "part", oid, size)
    etag = hub.lfs.receive_part(oid, int(number), req.iter_body())
    return Response(200, {"ETag": f'"{etag}"'})


def lfs_complete(hub: Hub, req: Request, oid: str) -> Response:
    size = _size_arg(req)
    hub.check_sig(req, "upload", oid, size)
    body = req.json()
    numbers = sorted(int(p["partNumber"]) for p in body.get("parts") or [])
    try:
        hub.lfs.complete_multipart(oid, size, numbers)
    except LfsMismatch as error:
        raise HubError(400, f"Multipart upload rejected: {error}") from None
    return json_response({}, headers=_LFS_JSON)


def lfs_verify(hub: Hub, req: Request) -> Response:
    body = req.json()
    oid, size = str(body.get("oid") or ""), body.get("size")
    if not OID_RE.match(oid) or hub.lfs.size(oid) != size:
        raise HubError(404, f"Object {oid} of size {size} was not uploaded")
    return json_response({"message": "Verified"}, headers=_LFS_JSON)


# -- commit ---------------------------------------------------------------------------


def _lines(req: Request) -> Iterator[dict]:
    """NDJSON objects, parsed as they stream in (a line holds at most one file)."""
    pending = b""
    for chunk in req.iter_body():
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line.strip():
                yield _parse_line(line)
    if pending.strip():
        yield _parse_line(pending)


def _parse_line(line: bytes) -> dict:
    try:
        item = json.loads(line)
    except ValueError:
        raise HubError(400, "Invalid NDJSON line in commit payload") from None
    if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
        raise HubError(400, "Each commit line must be {key, value}")
    return item


def _check_path(path: object) -> str:
    if not isinstance(path, str) or not path.strip("/"):
        raise HubError(400, "Missing path in commit operation")
    # Only "/" separates folders in a repo: the Hub accepts "folder/..\\..\\file" as a name
    # (huggingface_hub's own download tests commit one), and the client refuses to download it.
    parts = path.strip("/").split("/")
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts) or parts[0].split("\\")[0] == ".git":
        raise HubError(422, f"Invalid path in commit operation: {path}")
    return path


def commit(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str) -> Response:
    repo = hub.contributable_repo(req, TYPES[types], ns, name)
    rev_s = unquote(rev)
    create_pr = req.flag("create_pr")
    lines = _lines(req)
    first = next(lines, None)
    if first is None or first.get("key") != "header":
        raise HubError(400, "The first line of a commit must be its header")
    header = first["value"]
    with hub.repos.lock(repo.type, repo.id):
        repo.meta = repo.update_meta({})  # another request may have opened or closed a pull request
        if (num := pr_number(rev_s)) is not None:
            check_open(repo, num)
        base = _commit_base(repo, rev_s, create_pr, header.get("parentCommit"))
        files = {p: e.oid for p, e in repo.snapshot(base).files.items()}
        lfs_paths, added = [], []
        for count, item in enumerate(lines, 1):
            if hub.max_commit_operations and count > hub.max_commit_operations:
                raise HubError(422, f"Too many operations in one commit (more than {hub.max_commit_operations}): "
                               "split them into several commits (https://huggingface.co/docs/hub/"
                               "repositories-recommendations)")
            lfs_paths.append(_apply(hub, repo, files, item))
            if item.get("key") in ("file", "lfsFile"):
                added.append(str(item["value"]["path"]))
        _cover_lfs(repo, files, [p for p in lfs_paths if p])
        message = str(header.get("summary") or "Upload")
        if header.get("description"):
            message += "\n\n" + str(header["description"])
        oid = repo.write_commit(base, files, message, req.user or "")
        result = {"success": True, "commitOid": oid, "hookOutput": ""}
        if create_pr:
            summary = str(header.get("summary") or "Upload")
            number = open_pull_request(repo, summary, str(header.get("description") or ""), req.user or "",
                                       rev_s, base)
            repo.git.set_ref(f"refs/pr/{number}", oid)
            committed(repo, number, oid, summary, req.user or "")
            result["pullRequestUrl"] = f"{req.base_url()}{hub.repo_url_path(repo)}/discussions/{number}"
        else:
            repo.git.set_ref(rev_s if _is_pr(rev_s) else f"refs/heads/{rev_s}", oid)
            if num is not None:
                committed(repo, num, oid, str(header.get("summary") or "Upload"), req.user or "")
        crowded = crowded_folders(files, added)
    result["commitUrl"] = f"{req.base_url()}/{PREFIX[repo.type]}{repo.id}/commit/{oid}"
    if not crowded:
        return json_response(result)
    named = ", ".join(f"{folder or '/'} ({n} entries)" for folder, n in crowded)
    warning = (f"folder-entries; Folders with more than {FOLDER_ENTRIES} entries slow down the Hub: {named}. "
               "Use subfolders (https://huggingface.co/docs/hub/repositories-recommendations)")
    return json_response(result, headers={"X-HF-Warning": warning})


def crowded_folders(files: dict[str, str], added: list[str]) -> list[tuple[str, int]]:
    """(folder, entry count) of each folder an added file sits in that holds more than
    FOLDER_ENTRIES entries (files and subfolders)."""
    touched = {path.rpartition("/")[0] for path in added}
    if not touched:
        return []
    entries: dict[str, set[str]] = {folder: set() for folder in touched}
    for path in files:
        parent, _, name = path.rpartition("/")
        while True:
            if parent in entries:
                entries[parent].add(name)
            if not parent:
                break
            parent, _, name = parent.rpartition("/")
    return sorted((f, len(names)) for f, names in entries.items() if len(names) > FOLDER_ENTRIES)


def _is_pr(rev: str) -> bool:
    return rev.startswith("refs/pr/") and rev[len("refs/pr/") :].isdigit()


def _commit_base(repo: Repo, rev: str, create_pr: bool, parent: object) -> str:
    # An open pull request's ref takes commits like a branch.
    head = repo.git.get_ref(rev) if _is_pr(rev) else repo.branch_head(rev)
    if create_pr:
        # A pull request targets a branch: a commit sha, a tag or a missing branch is
        # RevisionNotFound, as on the Hub. parentCommit may name an older commit to start from.
        if repo.branch_head(rev) is None:
            raise revision_not_found(rev)
        target = repo.resolve(str(parent)) if parent else repo.branch_head(rev)
        if target is None:
            raise revision_not_found(str(parent))
        return target
    if head is None:
        raise revision_not_found(rev)
    if parent and not head.startswith(str(parent).lower()):
        raise HubError(412, STALE_PARENT)
    return head


def _apply(hub: Hub, repo: Repo, files: dict[str, str], item: dict) -> str | None:
    """Apply one operation to ``files``; returns the path when it added an LFS file."""
    key, value = item.get("key"), item["value"]
    path = _check_path(value.get("path"))
    if key == "file":
        if value.get("encoding", "base64") != "base64":
            raise HubError(400, f"Unsupported encoding for {path}")
        try:
            content = base64.b64decode(value.get("content") or "", validate=True)
        except binascii.Error:
            raise HubError(400, f"Invalid base64 content for {path}") from None
        if len(content) >= LFS_SIZE_THRESHOLD:
            # What preupload would have answered "lfs" for cannot come in as a regular file.
            raise HubError(
                400,
                f"Your push was rejected because it contains files larger than 10 MB "
                f"({path}). Please use LFS to store large files.",
            )
        files[path] = repo.git.write_blob(content)
    elif key == "lfsFile":
        oid = str(value.get("oid") or "")
        stored = hub.lfs.size(oid) if OID_RE.match(oid) else None
        if stored is None and (xet := hub.cas.file_for_sha256(oid)) is not None:
            stored = xet.size  # uploaded through Xet: the shard named its sha256
        if stored is None:
            raise HubError(422, f"LFS object {oid} for {path} was never uploaded")
        # Copies send no size: the object store knows it.
        if value.get("size") is not None and value["size"] != stored:
            raise HubError(422, f"Size mismatch for LFS object {oid} ({path})")
        files[path] = repo.git.write_blob(pointer_text(oid, stored))
        return path
    elif key == "deletedFile":
        # A folder named as a file (no trailing slash) is deleted as the folder, as the Hub
        # does (huggingface_hub's test_create_commit_implicit_delete_folder_is_ok).
        if files.pop(path, None) is None and not _delete_folder(files, path):
            raise HubError(404, f"Cannot delete {path}: A file with this name doesn't exist", "EntryNotFound")
    elif key == "deletedFolder":
        if not _delete_folder(files, path):
            raise HubError(404, f"Cannot delete {path}: A folder with this name doesn't exist", "EntryNotFound")
    else:
        raise HubError(400, f"Unknown commit operation {key!r}")
    return None


def _delete_folder(files: dict[str, str], path: str) -> bool:
    """Remove every file under folder ``path``; False when there is none."""
    prefix = path.rstrip("/") + "/"
    doomed = [p for p in files if p.startswith(prefix)]
    for p in doomed:
        del files[p]
    return bool(doomed)


def _cover_lfs(repo: Repo, files: dict[str, str], lfs_paths: list[str]) -> None:
    """Append a .gitattributes line for LFS files no pattern covers, as the Hub does."""
    current = repo.git.read_blob(files[".gitattributes"]) if ".gitattributes" in files else b""
    patterns = lfs_patterns(current)
    missing = [p for p in dict.fromkeys(lfs_paths) if not matches_any(p, patterns)]
    if missing:
        if current and not current.endswith(b"\n"):
            current += b"\n"
        current += "".join(lfs_line(p) for p in missing).encode()
        files[".gitattributes"] = repo.git.write_blob(current)
