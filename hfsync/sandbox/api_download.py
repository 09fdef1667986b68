"""Downloads: /resolve (HEAD and GET) and the LFS "CDN" it redirects to.

As on the Hub, a regular file is served from /resolve with its git blob id as ETag,
and an LFS file answers 302 with ``X-Linked-Etag`` (sha256) and ``X-Linked-Size``
to a signed URL on a second listener (another port, hence another origin, like the
Hub's CDN): the client reads metadata from the 302 and fetches bytes without auth.
"""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import quote, unquote

from hfsync.sandbox import api_xet
from hfsync.sandbox.auth import HubError, entry_not_found
from hfsync.sandbox.http import Request, Response
from hfsync.sandbox.state import Hub

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_REPO_TYPE = {"": "model", "datasets": "dataset", "spaces": "space"}


def byte_range(req: Request, size: int) -> tuple[int, int] | None:
    """(offset, length) of a single-range ``Range`` header; None for the whole body.

    Raises the 416 answer when the range starts past the end.
    """
    header = req.headers.get("Range")
    match = _RANGE.match(header.strip()) if header else None
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:  # suffix range: the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start >= size or end < start:
        raise HubError(
            416,
            f"Requested range not satisfiable: {header}",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return start, end - start + 1


def _content_headers(req: Request, size: int, headers: dict[str, str]) -> tuple[int, int, int]:
    """Status, offset and length for a ranged or full body; fills Range-related headers."""
    headers["Accept-Ranges"] = "bytes"
    rng = byte_range(req, size)
    if rng is None:
        return 200, 0, size
    offset, length = rng
    headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{size}"
    return 206, offset, length


def resolve(hub: Hub, req: Request, prefix: str | None, ns: str, name: str, rev: str, path: str) -> Response:
    repo_type = _REPO_TYPE[prefix or ""]
    new_id = hub.repos.moved_to(repo_type, f"{unquote(ns)}/{unquote(name)}")
    if new_id is not None and hub.repos.get(repo_type, f"{unquote(ns)}/{unquote(name)}") is None:
        # A renamed repo: a same-site redirect to the new name, as the Hub answers.
        location = f"/{prefix + '/' if prefix else ''}{new_id}/resolve/{rev}/{path}"
        return Response(307, {"Location": location})
    repo = hub.repo(req, repo_type, ns, name)
    rev_s, commit = hub.commit_for(repo, rev)
    hub.check_gate(req, repo)
    file_path = unquote(path)
    entry = repo.snapshot(commit).files.get(file_path)
    if entry is None:
        error = entry_not_found(file_path, rev_s)
        # With the commit the client can cache the miss under .no_exist/.
        error.headers["X-Repo-Commit"] = commit
        raise error
    headers = {"X-Repo-Commit": commit}
    if entry.lfs is not None:
        sha256, size, _ = entry.lfs
        filename = file_path.rsplit("/", 1)[-1]
        headers.update(
            {
                "X-Linked-Etag": f'"{sha256}"',
                "X-Linked-Size": str(size),
                "ETag": f'"{entry.oid}"',
            }
        )
        headers.update(api_xet.resolve_headers(hub, req, f"{repo_type}s", repo.id, commit, sha256))
        if hub.cdn_port is not None:
            location = (
                f"{req.base_url(hub.cdn_port)}/sandbox-lfs/cdn/{sha256}/{quote(filename)}?sig={hub.sign('cdn', sha256)}"
            )
            headers["Location"] = location
            return Response(302, headers)
        # No CDN listener: serve the content here, with the sha256 as ETag.
        headers["ETag"] = f'"{sha256}"'
        return _file_response(hub, req, sha256, size, filename, headers)
    data = repo.git.read_blob(entry.oid)
    headers["ETag"] = f'"{entry.oid}"'
    headers["Content-Type"] = _mime(file_path)
    status, offset, length = _content_headers(req, len(data), headers)
    return Response(status, headers, data[offset : offset + length])


def cdn(hub: Hub, req: Request, oid: str, filename: str) -> Response:
    hub.check_sig(req, "cdn", oid)
    headers = {"ETag": f'"{oid}"'}
    if hub.lfs.size(oid) is None and hub.cas.file_for_sha256(oid) is None:
        raise HubError(404, "Object not found")
    return _file_response(hub, req, oid, 0, unquote(filename), headers)


def _file_response(hub: Hub, req: Request, oid: str, size: int, filename: str, headers: dict[str, str]) -> Response:
    """The content with sha256 ``oid``: from the LFS store, or else rebuilt from Xet chunks."""
    headers["Content-Type"] = "application/octet-stream"
    headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    stored = hub.lfs.size(oid)
    if stored is None:
        record = hub.cas.file_for_sha256(oid)
        if record is None:
            raise HubError(404, "Object not found")
        status, offset, length = _content_headers(req, record.size, headers)
        stream = hub.cas.read(record, offset, length) if req.method != "HEAD" and length else iter(())
        return Response(status, headers, stream=stream, length=length)
    status, offset, length = _content_headers(req, stored, headers)
    # HEAD gets the file too: Content-Length must be the real size (the writer skips
    # the body and closes the file).
    return Response(status, headers, file=hub.lfs.open(oid), offset=offset, length=length)


def _mime(path: str) -> str:
    kind = mimetypes.guess_type(path)[0]
    if kind is None or kind.startswith("text/") or kind == "application/json":
        return f"{kind or 'text/plain'}; charset=utf-8"
    return kind
