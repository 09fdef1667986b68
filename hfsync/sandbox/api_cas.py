"""The CAS server's routes (its own listener): xorbs, shards, reconstructions, dedup.

Requests carry the short-lived token of ``api_xet``; xorb bytes are fetched without
one, from the signed URLs a reconstruction hands out (the sandbox's CDN for Xet).
"""

from __future__ import annotations

import json
import math
import threading
import time

from hfsync.sandbox import xet_format as xf
from hfsync.sandbox.api_download import byte_range
from hfsync.sandbox.api_xet import cas_url, check_token
from hfsync.sandbox.auth import HubError
from hfsync.sandbox.cas import Piece, ShardRejected, XetFile
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.state import Hub

_OCTETS = {"Content-Type": "application/octet-stream"}
_EXPIRY_LOCK = threading.Lock()


def _hash_arg(value: str) -> str:
    try:
        xf.from_hex(value)
    except xf.FormatError:
        raise HubError(400, f"Malformed hash: {value}") from None
    return value.lower()


def _prefix(prefix: str, expected: str) -> None:
    if prefix != expected:
        raise HubError(400, f"Unknown prefix {prefix!r}; expected {expected!r}")


def _body(req: Request) -> bytes:
    if int(req.headers.get("Content-Length") or 0) > xf.MAX_XORB_BYTES:
        raise HubError(400, "Body larger than the 64 MiB limit")
    data = req.body()
    if len(data) > xf.MAX_XORB_BYTES:
        raise HubError(400, "Body larger than the 64 MiB limit")
    return data


# -- uploads ----------------------------------------------------------------------------


def upload_xorb(hub: Hub, req: Request, prefix: str, hash: str) -> Response:
    check_token(hub, req, "write")
    _prefix(prefix, "default")
    xorb = _hash_arg(hash)
    try:
        inserted = hub.cas.put_xorb(xorb, _body(req))
    except xf.FormatError as error:
        raise HubError(400, f"Xorb rejected: {error}") from None
    return json_response({"was_inserted": inserted})


def xorb_grant(hub: Hub, req: Request, prefix: str, hash: str) -> Response:
    # Newer clients first ask to reuse a xorb held elsewhere; a 404 makes them upload it.
    check_token(hub, req, "write")
    raise HubError(404, "Xorb grants are not supported; upload the xorb")


def head_xorb(hub: Hub, req: Request, prefix: str, hash: str) -> Response:
    check_token(hub, req, "read")
    xorb = _hash_arg(hash)
    if not hub.cas.has_xorb(xorb):
        raise HubError(404, "Xorb not found")
    path = hub.cas.xorb_path(xorb)
    return Response(200, dict(_OCTETS), file=open(path, "rb"), length=path.stat().st_size)


def _put_shard(hub: Hub, req: Request) -> int:
    check_token(hub, req, "write")
    try:
        return 1 if hub.cas.put_shard(_body(req)) else 0
    except (xf.FormatError, ShardRejected) as error:
        raise HubError(400, f"Shard rejected: {error}") from None


def upload_shard(hub: Hub, req: Request) -> Response:
    return json_response({"result": _put_shard(hub, req)})


def upload_shard_v2(hub: Hub, req: Request) -> Response:
    # Verification finishes before the first byte goes out, so a rejected shard is a
    # plain 400 rather than an error event in a 200 stream (the spec allows both).
    result = _put_shard(hub, req)
    events = [{"type": "validating", "verified": 1, "total": 1}, {"type": "committing", "stage": "syncing"}]
    events.append({"type": "result", "result": result})
    body = "".join(json.dumps(e) + "\n" for e in events).encode()
    return Response(200, {"Content-Type": "application/x-ndjson", "Cache-Control": "no-cache"}, body)


# -- downloads --------------------------------------------------------------------------


def _file(hub: Hub, req: Request, file_id: str) -> XetFile:
    record = hub.cas.file(_hash_arg(file_id))
    if record is None:
        raise HubError(404, "File not found")
    return record


def head_file(hub: Hub, req: Request, file_id: str) -> Response:
    check_token(hub, req, "read")
    return Response(200, dict(_OCTETS), stream=iter(()), length=_file(hub, req, file_id).size)


def _plan(hub: Hub, req: Request, record: XetFile) -> tuple[int, list[Piece]]:
    rng = byte_range(req, record.size) if record.size else None
    first, length = rng if rng is not None else (0, record.size)
    return hub.cas.pieces(record, first, first + length - 1) if length else (0, [])


def _xorb_url(hub: Hub, xorb: str, exp: int) -> str:
    return f"{cas_url(hub)}/sandbox-xet/xorb/{xorb}?exp={exp}&sig={hub.sign('xorb', xorb, exp)}"


def _expiry(hub: Hub) -> int:
    """When the xorb URLs of a reconstruction handed out now expire, like the Hub's CDN
    URLs: after ``xorb_url_ttl``, or already (``expired_urls``: as if held for hours)."""
    with _EXPIRY_LOCK:
        if hub.expired_urls > 0:
            hub.expired_urls -= 1
            return int(time.time()) - 3600
    return math.ceil(time.time() + hub.xorb_url_ttl)


def _terms(pieces: list[Piece]) -> list[dict]:
    return [{"hash": p.xorb, "unpacked_length": p.size, "range": {"start": p.start, "end": p.end}} for p in pieces]


def _fetch_info(hub: Hub, pieces: list[Piece]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    exp = _expiry(hub)
    for p in pieces:
        item = {
            "range": {"start": p.start, "end": p.end},
            "url": _xorb_url(hub, p.xorb, exp),
            "url_range": {"start": p.first, "end": p.last - 1},
        }
        if item not in out.setdefault(p.xorb, []):
            out[p.xorb].append(item)
    return out


def reconstruction(hub: Hub, req: Request, file_id: str) -> Response:
    check_token(hub, req, "read")
    skip, pieces = _plan(hub, req, _file(hub, req, file_id))
    body = {"offset_into_first_range": skip, "terms": _terms(pieces), "fetch_info": _fetch_info(hub, pieces)}
    return json_response(body)


def reconstruction_v2(hub: Hub, req: Request, file_id: str) -> Response:
    check_token(hub, req, "read")
    skip, pieces = _plan(hub, req, _file(hub, req, file_id))
    xorbs: dict[str, list[dict]] = {}
    for xorb, items in _fetch_info(hub, pieces).items():
        xorbs[xorb] = [
            {"url": i["url"], "ranges": [{"chunks": i["range"], "bytes": i["url_range"]}]} for i in items
        ]
    return json_response({"offset_into_first_range": skip, "terms": _terms(pieces), "xorbs": xorbs})


def batch_reconstruction(hub: Hub, req: Request) -> Response:
    check_token(hub, req, "read")
    if req.method == "POST":
        try:
            keys = json.loads(req.body() or b"[]")
            ids = [str(k["hash"]) for k in keys]
        except (ValueError, TypeError, KeyError):
            raise HubError(400, "Expected a JSON array of {prefix, hash}") from None
    else:
        ids = req.query.get("file_id", [])
    files: dict[str, list[dict]] = {}
    fetch: dict[str, list[dict]] = {}
    for file_id in dict.fromkeys(ids):
        record = _file(hub, req, file_id)
        _skip, pieces = hub.cas.pieces(record, 0, record.size - 1) if record.size else (0, [])
        files[record.hash] = _terms(pieces)
        for xorb, items in _fetch_info(hub, pieces).items():
            fetch.setdefault(xorb, []).extend(i for i in items if i not in fetch.get(xorb, []))
    return json_response({"files": files, "fetch_info": fetch})


def dedup(hub: Hub, req: Request, prefix: str, hash: str) -> Response:
    check_token(hub, req, "read")
    if prefix not in ("default", "default-merkledb"):  # hf_xet 1.8 asks under "default"
        raise HubError(400, f"Unknown prefix {prefix!r}; expected 'default-merkledb'")
    xorb = hub.cas.dedup_xorb(_hash_arg(hash))
    if xorb is None:
        raise HubError(404, "Chunk not tracked by global deduplication")
    size = hub.cas.xorb_path(xorb).stat().st_size
    return Response(200, dict(_OCTETS), xf.dedup_shard([(xf.from_hex(xorb), hub.cas.chunks(xorb), size)]))


def xorb_range(hub: Hub, req: Request, hash: str) -> Response:
    """Xorb bytes, like the CDN the Hub's reconstructions point at: signed, expiring
    (403 "Request has expired" after ``Hub.xorb_url_ttl``), with Range."""
    xorb = _hash_arg(hash)
    exp = req.arg("exp") or ""
    hub.check_sig(req, "xorb", xorb, exp)
    if not exp.isdigit() or int(exp) < time.time():
        raise HubError(403, "Request has expired")
    if not hub.cas.has_xorb(xorb):
        raise HubError(404, "Xorb not found")
    path = hub.cas.xorb_path(xorb)
    size = path.stat().st_size
    headers = {**_OCTETS, "Accept-Ranges": "bytes"}
    rng = byte_range(req, size)
    status, offset, length = 200, 0, size
    if rng is not None:
        offset, length = rng
        status = 206
        headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{size}"
    return Response(status, headers, file=open(path, "rb"), offset=offset, length=length)
