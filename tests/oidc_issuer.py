"""A test OIDC issuer: a local key pair, its JWKS served on 127.0.0.1, and a fake GitHub
Actions id-token endpoint (``ACTIONS_ID_TOKEN_REQUEST_URL``) minting tokens for one job.

    with Issuer() as issuer:
        issuer.trust(sandbox, repos=[("model", "acme/m")])       # publishers for the job's claims
        monkeypatch.setenv(...)  # issuer.github_env() for the job's runtime
        token = issuer.mint(audience=sandbox.url, ref="refs/heads/other")   # any claims
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
REPOSITORY = "acme/ml-gitops"
WORKFLOW_FILE = "apply-on-merge.yml"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int, size: int | None = None) -> str:
    return b64url(value.to_bytes(size or (value.bit_length() + 7) // 8, "big"))


class Key:
    """A signing key (RS256 or ES256) and its public JWK."""

    def __init__(self, alg: str = "RS256", kid: str | None = None) -> None:
        self.alg, self.kid = alg, kid or secrets.token_hex(4)
        if alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict:
        numbers = self.private.public_key().public_numbers()
        if self.alg == "RS256":
            return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
                    "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}
        return {"kty": "EC", "alg": "ES256", "use": "sig", "kid": self.kid, "crv": "P-256",
                "x": _int_b64(numbers.x, 32), "y": _int_b64(numbers.y, 32)}

    def sign(self, data: bytes) -> bytes:
        if self.alg == "RS256":
            return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def encode(header: dict, claims: dict, key: Key | None) -> str:
    """A compact JWS; unsigned (empty signature) when ``key`` is None."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode()) if key is not None else b""
    return f"{signing_input}.{b64url(signature)}"


class Issuer:
    """The issuer's keys, its JWKS endpoint, and a GitHub-style id-token endpoint for one job."""

    def __init__(self, issuer: str = GITHUB_ISSUER, alg: str = "RS256") -> None:
        self.issuer = issuer
        self.key = Key(alg)
        self.keys = [self.key]
        self.request_token = "ghs_request_" + secrets.token_hex(8)
        self.job = job_claims()
        self.minted: list[str] = []  # every id token the endpoint handed out
        self.requests = 0  # id-token requests, refused ones included
        self.jwks_fetches = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Issuer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def jwks(self) -> dict:
        return {"keys": [k.jwk() for k in self.keys]}

    def mint(self, audience: str | list[str], key: Key | None = ..., alg: str | None = None,  # type: ignore[assignment]
             lifetime: float = 300, **claims: object) -> str:
        """An id token for the job (its claims overridden by ``claims``; None drops one)."""
        key = self.key if key is ... else key
        now = int(time.time())
        body = {**self.job, "iss": self.issuer, "aud": audience, "iat": now, "nbf": now,
                "exp": now + int(lifetime), "jti": secrets.token_hex(8), **claims}
        body = {k: v for k, v in body.items() if v is not None}
        header = {"alg": alg or (key.alg if key else "none"), "typ": "JWT"}
        if key is not None:
            header["kid"] = key.kid
        return encode(header, body, key)

    def github_env(self) -> dict[str, str]:
        """The variables GitHub Actions sets in a job with ``permissions: id-token: write``."""
        return {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
                "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}/_apis/idtoken?api-version=2.0"}

    def config(self, repos: list[tuple[str, str]] = (), users: list[str] = (),  # type: ignore[assignment]
               claims: dict[str, str] | None = None) -> dict:
        """The sandbox's Trusted Publishers document trusting this job for ``repos`` and ``users``."""
        wanted = claims or {"repository": self.job["repository"], "branch": "main", "workflow": WORKFLOW_FILE}
        publishers = [{"repo": repo_id, "type": repo_type, "issuer": self.issuer, "claims": wanted}
                      for repo_type, repo_id in repos]
        publishers += [{"user": user, "issuer": self.issuer, "claims": wanted} for user in users]
        return {"issuers": [{"issuer": self.issuer, "jwks_uri": f"{self.url}/.well-known/jwks"}],
                "publishers": publishers}

    def trust(self, sandbox, repos: list[tuple[str, str]] = (), users: list[str] = (),  # type: ignore[no-untyped-def, assignment]
              claims: dict[str, str] | None = None) -> dict:
        return sandbox.trusted_publishers(self.config(repos, users, claims))


def job_claims(repository: str = REPOSITORY, ref: str = "refs/heads/main", environment: str | None = None) -> dict:
    """The claims GitHub puts in a push job's id token (the time claims excepted)."""
    owner = repository.split("/")[0]
    claims = {
        "sub": f"repo:{repository}:" + (f"environment:{environment}" if environment else f"ref:{ref}"),
        "repository": repository, "repository_owner": owner, "repository_id": "4242",
        "ref": ref, "ref_type": "branch", "sha": "0" * 40, "event_name": "push", "actor": "alice",
        "workflow": "Apply on merge", "workflow_ref": f"{repository}/.github/workflows/{WORKFLOW_FILE}@{ref}",
        "job_workflow_ref": f"{repository}/.github/workflows/{WORKFLOW_FILE}@{ref}",
        "run_id": "1001", "run_attempt": "1", "runner_environment": "github-hosted",
    }
    if environment:
        claims["environment"] = environment
    return claims


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/.well-known/jwks":
                issuer.jwks_fetches += 1
                self._answer(200, issuer.jwks())
            elif url.path == "/_apis/idtoken":
                self._id_token(parse_qs(url.query))
            else:
                self._answer(404, {"message": "not found"})

        def _id_token(self, query: dict) -> None:
            issuer.requests += 1
            if self.headers.get("Authorization", "").lower() != f"bearer {issuer.request_token}".lower():
                self._answer(401, {"message": "Bad credentials"})
                return
            audience = query.get("audience", [None])[-1]
            token = issuer.mint(audience=audience) if audience else issuer.mint(audience=f"https://github.com/{issuer.job['repository_owner']}")
            issuer.minted.append(token)
            self._answer(200, {"count": len(issuer.minted), "value": token})

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
