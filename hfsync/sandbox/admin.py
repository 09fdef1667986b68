"""The admin API under /_sandbox/ (no part of the Hub protocol).

- ``POST /_sandbox/faults`` {"faults": [rule, ...]} adds fault rules (see faults.Fault);
  ``DELETE /_sandbox/faults`` clears them; ``GET /_sandbox/faults`` lists pending ones.
- ``GET /_sandbox/stats``; ``POST /_sandbox/stats/reset``.
- ``POST /_sandbox/settings`` {"xorb_url_ttl": seconds, "expired_urls": n}: how long the
  xorb URLs of reconstructions handed out from then on stay valid (default 3600), and how
  many of the next reconstructions hand out URLs that have already expired (as if a client
  held them for hours); answers the settings.
- ``POST /_sandbox/settings`` also takes ``oidc_token_ttl``: the lifetime in seconds of
  tokens exchanged at /oauth/token from then on (default 3600).
- ``POST /_sandbox/settings`` also takes ``max_commit_operations``: a commit with more
  operations is refused (422), as the Hub refuses oversized commits; 0 for no limit.
- ``POST /_sandbox/oidc`` {"audience", "issuers": [{"issuer", "jwks_uri" or "jwks"}],
  "publishers": [{"repo", "type", "issuer", "claims"} or {"user", "issuer", "claims"}]}
  adds Trusted Publishers (see oidc); ``GET`` shows them with the audit log of exchanges
  (each refusal's reason included); ``DELETE`` removes them all and every issued token;
  ``POST /_sandbox/oidc/expire`` makes every issued token expired.
- ``POST /_sandbox/repos/{type}/{namespace}/{name}/meta`` seeds Hub-side facts:
  {"likes": int, "downloads": int, "trendingScore": int, "granted": [user, ...],
  "disabled": bool, "createdAt"/"lastModified": epoch milliseconds}.
- ``POST /_sandbox/accounts/{name}`` {"fullname": str, "private_by_default": bool (orgs)}:
  the full name whoami and the overviews show, and whether the org's repos created without a
  visibility are private.
"""

from __future__ import annotations

from urllib.parse import unquote

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.faults import Fault
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.info import runtime
from hfsync.sandbox.runtime import script
from hfsync.sandbox.state import Hub

SETTINGS = {"xorb_url_ttl": float, "expired_urls": int, "oidc_token_ttl": float, "max_commit_operations": int}
SEEDABLE = {
    "likes",
    "downloads",
    "downloadsAllTime",
    "trendingScore",
    "granted",
    "disabled",
    "createdAt",
    "lastModified",
    "description",
}


def add_faults(hub: Hub, req: Request) -> Response:
    body = req.json()
    try:
        rules = [Fault.from_dict(r) for r in body.get("faults") or []]
    except ValueError as error:
        raise HubError(400, str(error)) from None
    hub.faults.add(rules)
    return json_response({"added": len(rules), "faults": hub.faults.pending()})


def clear_faults(hub: Hub, req: Request) -> Response:
    hub.faults.clear()
    return json_response({"faults": []})


def list_faults(hub: Hub, req: Request) -> Response:
    return json_response({"faults": hub.faults.pending()})


def stats(hub: Hub, req: Request) -> Response:
    return json_response(hub.stats.snapshot())


def reset_stats(hub: Hub, req: Request) -> Response:
    hub.stats.reset()
    return json_response({})


def settings(hub: Hub, req: Request) -> Response:
    body = req.json()
    unknown = set(body) - set(SETTINGS)
    if unknown:
        raise HubError(400, f"Unknown settings {sorted(unknown)}; allowed: {sorted(SETTINGS)}")
    for name, value in body.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise HubError(400, f"{name} must be a number, 0 or more")
        setattr(hub, name, SETTINGS[name](value))
    return json_response({name: getattr(hub, name) for name in SETTINGS})


def oidc_state(hub: Hub, req: Request) -> Response:
    return json_response(hub.oidc.describe())


def oidc_configure(hub: Hub, req: Request) -> Response:
    try:
        hub.oidc.configure(req.json())
    except ValueError as error:
        raise HubError(400, str(error)) from None
    return json_response(hub.oidc.describe())


def oidc_clear(hub: Hub, req: Request) -> Response:
    hub.oidc.clear()
    return json_response(hub.oidc.describe())


def oidc_expire(hub: Hub, req: Request) -> Response:
    return json_response({"expired": hub.oidc.expire_all()})


def seed_meta(hub: Hub, req: Request, repo_type: str, ns: str, name: str) -> Response:
    repo = hub.repos.get(repo_type, f"{unquote(ns)}/{unquote(name)}")
    if repo is None:
        raise HubError(404, "Repository not found", "RepoNotFound")
    body = req.json()
    unknown = set(body) - SEEDABLE
    if unknown:
        raise HubError(400, f"Cannot seed {sorted(unknown)}; allowed: {sorted(SEEDABLE)}")
    with hub.repos.lock(repo.type, repo.id):
        repo.update_meta(body)
    return json_response({k: repo.meta.get(k) for k in sorted(SEEDABLE)})


def set_profile(hub: Hub, req: Request, name: str) -> Response:
    """Admin: an account's full name, and for an org whether its new repos are private by default."""
    accounts = hub.accounts
    if name not in accounts.users and name not in accounts.orgs:
        raise HubError(404, f"No user or organization named {name!r}")
    body = req.json()
    allowed = {"fullname", "private_by_default"} if name in accounts.orgs else {"fullname"}
    unknown = set(body) - allowed
    if unknown:
        raise HubError(400, f"Cannot set {sorted(unknown)} on {name}; allowed: {sorted(allowed)}")
    if not isinstance(body.get("fullname", ""), str) or not isinstance(body.get("private_by_default", False), bool):
        raise HubError(400, "fullname must be a string and private_by_default a boolean")
    accounts.profiles[name] = {**accounts.profiles.get(name, {}), **body}
    accounts.save()
    return json_response({"name": name, "fullname": accounts.fullname(name),
                          "private_by_default": accounts.private_by_default(name)})


def set_script(hub: Hub, req: Request, ns: str, name: str) -> Response:
    """Admin: script the Space's runtime stages and logs (sandbox.runtime)."""
    repo = hub.repos.get("space", f"{unquote(ns)}/{unquote(name)}")
    if repo is None:
        raise HubError(404, "Repository not found", "RepoNotFound")
    with hub.repos.lock(repo.type, repo.id):
        return json_response(runtime(repo.update_meta({"runtimeScript": script(req.json())})))

