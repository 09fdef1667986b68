"""The Hub's side of Xet: short-lived CAS tokens and what resolve tells a Xet client.

``GET /api/{types}/{id}/xet-{read,write}-token/{rev}`` answers ``{casUrl, accessToken,
exp}`` in JSON (what hf_xet reads) and as ``X-Xet-Cas-Url``/``X-Xet-Access-Token``/
``X-Xet-Token-Expiration`` headers (what huggingface_hub reads). A token is the scope,
its expiry and an HMAC of both under the sandbox's secret.
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import quote

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.state import TYPES, Hub

TOKEN_TTL = 3600
_SCOPES = ("read", "write")


def issue_token(hub: Hub, scope: str, ttl: int = TOKEN_TTL) -> tuple[str, int]:
    exp = int(time.time()) + ttl
    return f"xet_{scope}_{exp}_{hub.sign('xet-token', scope, exp)}", exp


def check_token(hub: Hub, req: Request, scope: str) -> None:
    """401 for a missing, forged or expired CAS token; 403 for a read token on a write."""
    scheme, _, token = (req.headers.get("Authorization") or "").partition(" ")
    parts = token.strip().split("_")
    if scheme.lower() != "bearer" or len(parts) != 4 or parts[0] != "xet" or parts[1] not in _SCOPES:
        raise HubError(401, "Missing or invalid Xet access token")
    _, granted, exp, sig = parts
    if not hmac.compare_digest(sig, hub.sign("xet-token", granted, exp)):
        raise HubError(401, "Missing or invalid Xet access token")
    if not exp.isdigit() or int(exp) < time.time():
        raise HubError(401, "Xet access token expired")
    if scope == "write" and granted != "write":
        raise HubError(403, "This Xet access token is read-only")


def cas_url(hub: Hub) -> str:
    return f"http://127.0.0.1:{hub.cas_port}"


def _token_response(hub: Hub, scope: str) -> Response:
    token, exp = issue_token(hub, scope)
    url = cas_url(hub)
    headers = {"X-Xet-Cas-Url": url, "X-Xet-Access-Token": token, "X-Xet-Token-Expiration": str(exp)}
    return json_response({"casUrl": url, "accessToken": token, "exp": exp}, headers=headers)


def write_token(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str) -> Response:
    # The revision may be "None" (a PR not opened yet) or a branch still to be created.
    hub.contributable_repo(req, TYPES[types], ns, name)
    return _token_response(hub, "write")


def read_token(hub: Hub, req: Request, types: str, ns: str, name: str, rev: str) -> Response:
    repo = hub.repo(req, TYPES[types], ns, name)
    hub.commit_for(repo, rev)
    hub.check_gate(req, repo)
    return _token_response(hub, "read")


def resolve_headers(hub: Hub, req: Request, types: str, repo_id: str, commit: str, sha256: str) -> dict[str, str]:
    """X-Xet-Hash and the xet-auth link for a file stored through Xet; {} otherwise."""
    record = hub.cas.file_for_sha256(sha256)
    if record is None:
        return {}
    route = f"{req.base_url()}/api/{types}/{quote(repo_id)}/xet-read-token/{commit}"
    return {"X-Xet-Hash": record.hash, "Link": f'<{route}>; rel="xet-auth"', "X-Xet-Refresh-Route": route}
