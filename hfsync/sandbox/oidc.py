"""The Hub's Trusted Publishers: a CI job's OIDC id token exchanged for a short-lived Hub token.

``POST /oauth/token`` takes an RFC 8693 body (JSON, or a form as RFC 8693 sends it):
``grant_type`` (token exchange), ``subject_token_type`` (id token), ``subject_token``
(the JWT) and ``resource``: a repo (``ns/name``, ``datasets/ns/name``, ``spaces/ns/name``)
for a token that writes to that repo only, or a user name for a read-only ``gated-repos``
token. Errors are 400 with ``{"error": "invalid_request"|"invalid_grant",
"error_description": ...}``; as on the Hub, the description never says which check
failed (the admin API's audit log does, for tests).

An id token is accepted when its issuer is configured, a key of the issuer's JWKS signed
it (RS256 or ES256), ``aud`` is the configured audience (default: the URL the caller
used, which is what huggingface_hub asks GitHub for), ``exp``/``nbf``/``iat`` hold (30 s of
leeway), and every claim of one of the resource's publishers matches exactly. Claim
names are the id token's, plus two the Hub's GitHub preset offers: ``branch`` (``ref``
without ``refs/heads/``) and ``workflow`` (the file name in ``workflow_ref``, when the
token has one).

The configuration (issuers, publishers, audience) is kept in ``oidc.json`` in the data
dir; issued tokens live in memory only and expire (``oidc_token_ttl``, default 3600 s).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.gitstore import atomic_write
from hfsync.sandbox.jwtcheck import InvalidIdToken, unverified, verify_signature

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
OIDC_USER = "[OIDC]"  # the synthetic system user repo-token commits are attributed to
LEEWAY = 30.0
TOKEN_TTL = 3600.0
_PREFIXES = {"datasets": "dataset", "spaces": "space", "kernels": "kernel"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Grant:
    """What an exchanged token may do: write one repo ("repo"), or read as a user ("user")."""

    kind: str
    user: str
    expires_at: float
    issuer: str
    subject: str
    repo_type: str | None = None
    repo_id: str | None = None

    def covers(self, repo_type: str, repo_id: str) -> bool:
        return self.kind == "repo" and (self.repo_type, self.repo_id) == (repo_type, repo_id)


@dataclass
class Publisher:
    issuer: str
    claims: dict[str, str]
    repo_type: str | None = None
    repo_id: str | None = None
    user: str | None = None
    last_used_at: float | None = None

    def as_dict(self) -> dict:
        where = {"type": self.repo_type, "repo": self.repo_id} if self.user is None else {"user": self.user}
        return {**where, "issuer": self.issuer, "claims": self.claims, "lastUsedAt": self.last_used_at}


def whoami_grant(grant: Grant) -> dict:
    """whoami for an exchanged token: the system user (repo) or the user, and the scope."""
    if grant.kind == "repo":
        scoped = [{"entity": {"type": grant.repo_type, "name": grant.repo_id}, "permissions": ["repo.write"]}]
        token = {"displayName": "trusted publisher", "role": "fineGrained", "fineGrained": {"scoped": scoped}}
    else:
        token = {"displayName": "trusted publisher", "role": "read", "scopes": ["gated-repos"]}
    return {"type": "user", "name": grant.user, "fullname": grant.user, "orgs": [],
            "auth": {"type": "access_token", "accessToken": token}}


def oauth_error(code: str, description: str) -> HubError:
    return HubError(400, description, body={"error": code, "error_description": description})


def parse_resource(resource: object) -> tuple[str, str | None, str]:
    """("repo", type, "ns/name") or ("user", None, name); invalid_request otherwise."""
    if not isinstance(resource, str):
        raise oauth_error("invalid_request", "Missing or malformed parameter: resource")
    parts = resource.split("/")
    if len(parts) == 1 and _NAME.match(parts[0]):
        return "user", None, parts[0]
    if len(parts) == 3 and parts[0] in _PREFIXES:
        repo_type, parts = _PREFIXES[parts[0]], parts[1:]
    else:
        repo_type = "model"
    if len(parts) == 2 and all(_NAME.match(p) for p in parts):
        return "repo", repo_type, "/".join(parts)
    raise oauth_error("invalid_request", f"Invalid resource format: {resource!r}")


def _derived(claims: dict, name: str) -> object:
    if name == "branch":
        ref = claims.get("ref")
        return ref.removeprefix("refs/heads/") if isinstance(ref, str) and ref.startswith("refs/heads/") else None
    if name == "workflow" and isinstance(claims.get("workflow_ref"), str):
        path = claims["workflow_ref"].split("@", 1)[0]
        return path.rsplit("/.github/workflows/", 1)[-1] if "/.github/workflows/" in path else None
    return claims.get(name)


def claims_match(wanted: dict[str, str], claims: dict) -> bool:
    """Every wanted claim equal, exactly (no prefix, no pattern), to the token's."""
    return all(isinstance(_derived(claims, k), str) and _derived(claims, k) == v for k, v in wanted.items())


@dataclass
class _Issuer:
    issuer: str
    jwks_uri: str | None = None
    jwks: dict | None = None
    fetched: dict | None = field(default=None, repr=False)


class TrustedPublishers:
    """Issuers, publishers, issued tokens, and an audit log of exchanges."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.audience: str | None = None
        self.token_ttl = TOKEN_TTL
        self.issuers: dict[str, _Issuer] = {}
        self.publishers: list[Publisher] = []
        self.audit: list[dict] = []
        self.expirations = 0  # how many times every issued token was expired at once
        self._tokens: dict[str, Grant] = {}
        self._lock = threading.Lock()
        if path.exists():
            self.configure(json.loads(path.read_text()), save=False)

    # -- configuration (admin API, `sandbox serve --trusted-publishers`) --------------

    def configure(self, doc: dict, save: bool = True) -> None:
        """Add the issuers and publishers of ``doc``; ValueError naming what is wrong."""
        if not isinstance(doc, dict) or set(doc) - {"audience", "issuers", "publishers"}:
            raise ValueError("expected an object with 'audience', 'issuers' and 'publishers'")
        issuers = [_parse_issuer(i) for i in doc.get("issuers") or []]
        with self._lock:
            known = set(self.issuers) | {i.issuer for i in issuers}
            publishers = [_parse_publisher(p, known) for p in doc.get("publishers") or []]
            if doc.get("audience") is not None:
                self.audience = str(doc["audience"])
            self.issuers.update({i.issuer: i for i in issuers})
            self.publishers.extend(publishers)
        if save:
            self._save()

    def clear(self) -> None:
        with self._lock:
            self.audience, self.issuers, self.publishers, self.audit = None, {}, [], []
            self._tokens.clear()
        self._save()

    def _save(self) -> None:
        issuers = [{"issuer": i.issuer, "jwks_uri": i.jwks_uri} if i.jwks_uri else {"issuer": i.issuer, "jwks": i.jwks}
                   for i in self.issuers.values()]
        publishers = [{k: v for k, v in p.as_dict().items() if k != "lastUsedAt"} for p in self.publishers]
        doc = {"audience": self.audience, "issuers": issuers, "publishers": publishers}
        atomic_write(self.path, json.dumps(doc, indent=1).encode())

    def describe(self) -> dict:
        with self._lock:
            return {
                "audience": self.audience,
                "token_ttl": self.token_ttl,
                "issuers": sorted(self.issuers),
                "publishers": [p.as_dict() for p in self.publishers],
                "audit": list(self.audit),
                "issued": len(self._tokens),
            }

    # -- issued tokens ------------------------------------------------------------------

    def grant_for(self, token: str) -> Grant | None:
        """The grant behind an issued token (expired ones included); None if not one."""
        with self._lock:
            return self._tokens.get(token)

    def expire_all(self) -> int:
        """Make every issued token expired now (as if an hour had passed)."""
        with self._lock:
            self.expirations += 1
            for token, grant in self._tokens.items():
                self._tokens[token] = Grant(**{**grant.__dict__, "expires_at": 0.0})
            return len(self._tokens)

    # -- the exchange -----------------------------------------------------------------------

    def exchange(self, body: dict, audience: str, find_repo, user_exists) -> dict:  # type: ignore[no-untyped-def]
        """The token-exchange answer for ``body``; HubError 400 with the OAuth error.

        ``find_repo(type, id)`` gives the repo's canonical id or None; ``user_exists(name)``."""
        for name, value in (("grant_type", GRANT_TYPE), ("subject_token_type", ID_TOKEN_TYPE)):
            if body.get(name) != value:
                raise oauth_error("invalid_request", f"Missing or unsupported parameter: {name}")
        subject_token = body.get("subject_token")
        if not isinstance(subject_token, str) or not subject_token:
            raise oauth_error("invalid_request", "Missing or malformed parameter: subject_token")
        kind, repo_type, name = parse_resource(body.get("resource"))
        resource = name if repo_type in (None, "model") else f"{repo_type}s/{name}"
        try:
            claims = self._checked_claims(subject_token, self.audience or audience)
            grant = self._grant(kind, repo_type, name, claims, find_repo, user_exists)
        except InvalidIdToken as refusal:
            self._log(resource, None, str(refusal))
            raise oauth_error("invalid_grant", "The id token was not accepted for this resource.") from None
        prefix = "hf_jwt_" if kind == "repo" else "hf_oauth_"
        token = prefix + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = grant
        self._log(resource, claims, "issued")
        return {"access_token": token, "token_type": "bearer", "expires_in": int(self.token_ttl),
                "issued_token_type": ACCESS_TOKEN_TYPE}

    def _checked_claims(self, token: str, audience: str) -> dict:
        _header, claims = unverified(token)
        issuer = self.issuers.get(claims.get("iss"))  # type: ignore[arg-type]
        if issuer is None:
            raise InvalidIdToken(f"issuer: {claims.get('iss')!r} is not configured")
        try:
            claims = verify_signature(token, self._jwks(issuer, refresh=False))
        except InvalidIdToken:
            # The issuer may have rotated its keys since they were fetched.
            claims = verify_signature(token, self._jwks(issuer, refresh=True))
        aud = claims.get("aud")
        if audience not in (aud if isinstance(aud, list) else [aud]):
            raise InvalidIdToken(f"audience: {aud!r} is not {audience!r}")
        _check_times(claims, time.time())
        return claims

    def _jwks(self, issuer: _Issuer, refresh: bool) -> dict:
        if issuer.jwks is not None:
            return issuer.jwks
        if issuer.fetched is None or refresh:
            try:
                with urllib.request.urlopen(str(issuer.jwks_uri), timeout=5) as answer:
                    issuer.fetched = json.loads(answer.read())
            except (OSError, ValueError) as error:
                raise InvalidIdToken(f"signature: the issuer's keys could not be fetched ({error})") from None
        return issuer.fetched or {}

    def _grant(self, kind, repo_type, name, claims, find_repo, user_exists) -> Grant:  # type: ignore[no-untyped-def]
        if kind == "repo":
            found = find_repo(repo_type, name)
            if found is None:
                raise InvalidIdToken("resource: repo not found")
            name = found
        elif not user_exists(name):
            raise InvalidIdToken("resource: user not found")
        with self._lock:
            matching = [p for p in self.publishers if p.issuer == claims["iss"] and
                        ((p.repo_type, p.repo_id) == (repo_type, name) if kind == "repo" else p.user == name)]
            if not matching:
                raise InvalidIdToken("publisher: none configured for this resource and issuer")
            publisher = next((p for p in matching if claims_match(p.claims, claims)), None)
            if publisher is None:
                raise InvalidIdToken("claims: no publisher's claims all match")
            publisher.last_used_at = time.time()
        expires_at = time.time() + self.token_ttl
        subject = str(claims.get("sub", ""))
        if kind == "repo":
            return Grant("repo", OIDC_USER, expires_at, claims["iss"], subject, repo_type, name)
        return Grant("user", name, expires_at, claims["iss"], subject)

    def _log(self, resource: str, claims: dict | None, outcome: str) -> None:
        entry = {"time": time.time(), "resource": resource, "outcome": outcome}
        if claims is not None:
            entry.update(issuer=claims.get("iss"), subject=claims.get("sub"))
        with self._lock:
            self.audit = [*self.audit[-99:], entry]


def _check_times(claims: dict, now: float) -> None:
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if (value is not None or name == "exp") and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidIdToken(f"time: {name} is missing or not a number")
    if now > claims["exp"] + LEEWAY:
        raise InvalidIdToken("time: expired")
    if claims.get("nbf") is not None and now + LEEWAY < claims["nbf"]:
        raise InvalidIdToken("time: not yet valid (nbf)")
    if claims.get("iat") is not None and now + LEEWAY < claims["iat"]:
        raise InvalidIdToken("time: issued in the future (iat)")


def _parse_issuer(data: object) -> _Issuer:
    if not isinstance(data, dict) or not isinstance(data.get("issuer"), str) or not (
            isinstance(data.get("jwks_uri"), str) or "jwks" in data):
        raise ValueError(f"an issuer needs 'issuer' and 'jwks_uri' or 'jwks': {data!r}")
    jwks = data.get("jwks")
    if jwks is not None and not isinstance(jwks, dict):
        raise ValueError(f"'jwks' of issuer {data['issuer']} must be a JWK set object")
    return _Issuer(data["issuer"], data.get("jwks_uri"), jwks)


def _parse_publisher(data: object, issuers: set[str]) -> Publisher:
    if not isinstance(data, dict) or set(data) - {"repo", "type", "user", "issuer", "claims"}:
        raise ValueError(f"a publisher has 'repo' (and 'type') or 'user', 'issuer' and 'claims': {data!r}")
    claims = data.get("claims")
    if not isinstance(claims, dict) or not claims or not all(isinstance(v, str) for v in claims.values()):
        raise ValueError(f"a publisher needs 'claims', a non-empty object of strings: {data!r}")
    if data.get("issuer") not in issuers:
        raise ValueError(f"publisher's issuer {data.get('issuer')!r} is not configured")
    if "user" in data:
        return Publisher(data["issuer"], dict(claims), user=str(data["user"]))
    try:
        kind, repo_type, repo_id = parse_resource(str(data.get("repo", "")))
    except HubError:
        kind, repo_type, repo_id = "", None, ""
    repo_type = data.get("type") or repo_type
    if kind != "repo" or repo_type not in ("model", "dataset", "space"):
        raise ValueError(f"a repo publisher needs 'repo' as namespace/name and a type: {data!r}")
    return Publisher(data["issuer"], dict(claims), repo_type, repo_id)


def request_body(raw: bytes, content_type: str) -> dict:
    """The exchange's parameters from JSON (huggingface_hub) or a form (RFC 8693)."""
    if "application/x-www-form-urlencoded" in content_type:
        return {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise oauth_error("invalid_request", "The body is neither JSON nor a form") from None
    if not isinstance(body, dict):
        raise oauth_error("invalid_request", "The body is not a JSON object")
    return body
