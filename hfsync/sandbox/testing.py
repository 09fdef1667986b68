"""A handle on a running sandbox for tests: the admin API over plain HTTP.

Works for an in-process ``SandboxServer`` and for one started with
``hfsync sandbox serve`` alike (pass its URL and token).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path


class SandboxHandle:
    """``.url``, ``.token``, ``.data_dir`` and the admin calls tests need."""

    def __init__(self, url: str, token: str, data_dir: Path | None = None, server=None) -> None:  # type: ignore[no-untyped-def]
        self.url = url
        self.token = token
        self.data_dir = data_dir
        self.server = server

    def token_for(self, user: str) -> str:
        """The token of another user the server knows (in-process servers only)."""
        return self.server.token_for(user)

    def _admin(self, method: str, path: str, body: object = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read() or b"{}")

    def add_faults(self, rules: list[dict]) -> None:
        """Inject faults; each rule applies to the next ``times`` matching requests, e.g.
        ``{"method": "GET", "path": "/resolve/", "action": "status", "status": 429,
        "retry_after": 0, "times": 1}``. Actions: status, reset, truncate, corrupt, delay."""
        self._admin("POST", "/_sandbox/faults", {"faults": rules})

    def clear_faults(self) -> None:
        self._admin("DELETE", "/_sandbox/faults")

    def stats(self) -> dict:
        """{"requests", "bytes_in", "bytes_out", "routes": {"<METHOD> <route>": {...}}}."""
        return self._admin("GET", "/_sandbox/stats")

    def reset_stats(self) -> None:
        self._admin("POST", "/_sandbox/stats/reset")

    def settings(self, **values: object) -> dict:
        """Change the sandbox's settings: ``xorb_url_ttl`` (seconds the xorb URLs of
        reconstructions handed out from now on stay valid), ``expired_urls`` (how many of
        the next reconstructions hand out URLs that have already expired)."""
        return self._admin("POST", "/_sandbox/settings", values)

    def trusted_publishers(self, config: dict) -> dict:
        """Add OIDC issuers and Trusted Publishers (see hfsync.sandbox.oidc); the state."""
        return self._admin("POST", "/_sandbox/oidc", config)

    def clear_trusted_publishers(self) -> None:
        """Remove every issuer and publisher, and every token issued."""
        self._admin("DELETE", "/_sandbox/oidc")

    def oidc_state(self) -> dict:
        """Publishers, issued-token count, and the audit log of exchanges (with reasons)."""
        return self._admin("GET", "/_sandbox/oidc")

    def expire_oidc_tokens(self) -> int:
        return self._admin("POST", "/_sandbox/oidc/expire")["expired"]

    def elapse(self, space_id: str, seconds: float) -> None:
        """A Space's runtime as if ``seconds`` more had passed since it last deployed, so a
        test moves its stages on without racing the clock (in-process servers only)."""
        repos = self.server.hub.repos
        with repos.lock("space", space_id):
            repo = repos.get("space", space_id)
            meta = repo.update_meta({})
            script = {**meta["runtimeScript"], "at": meta["runtimeScript"]["at"] - seconds}
            repo.update_meta({"runtimeScript": script, "lastModified": meta["lastModified"] - seconds * 1000,
                              "restartedAt": meta.get("restartedAt", 0) - seconds})

    def account(self, name: str, **profile: object) -> dict:
        """Set a user's or org's ``fullname``, or an org's ``private_by_default`` (repos created
        there without a visibility are private)."""
        return self._admin("POST", f"/_sandbox/accounts/{name}", profile)

    def seed(self, repo_type: str, repo_id: str, **meta: object) -> dict:
        """Seed Hub-side facts on a repo: likes, downloads, trendingScore, granted (users
        let through a gate), disabled, createdAt/lastModified (epoch ms), description."""
        return self._admin("POST", f"/_sandbox/repos/{repo_type}/{repo_id}/meta", meta)

    def space_runtime(self, repo_id: str, stages: list[dict], *, build_log: tuple[str, ...] | list[str] = (),
                      run_log: tuple[str, ...] | list[str] = (), error: str | None = None) -> dict:
        """Script a Space's runtime: ``stages`` such as ``[{"stage": "BUILDING", "seconds": 0.3},
        {"stage": "BUILD_ERROR"}]`` (the last held for good), from now and again at each commit
        or restart; the build and run logs it streams; the error message of an error stage."""
        body = {"stages": stages, "build_log": list(build_log), "run_log": list(run_log), "error": error}
        return self._admin("POST", f"/_sandbox/spaces/{repo_id}/runtime", body)
