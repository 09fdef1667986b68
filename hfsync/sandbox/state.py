"""The sandbox's state (repos, LFS store, accounts, faults, counters) and access rules."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import time
from pathlib import Path
from urllib.parse import unquote

from hfsync.sandbox.auth import INVALID_TOKEN, Accounts, HubError, repo_not_found, revision_not_found
from hfsync.sandbox.cas import CasStore
from hfsync.sandbox.faults import Faults, Stats
from hfsync.sandbox.gitstore import atomic_write
from hfsync.sandbox.http import Request
from hfsync.sandbox.lfs import LfsStore
from hfsync.sandbox.oidc import TrustedPublishers
from hfsync.sandbox.repos import Registry, Repo

TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def sweep_leftovers(data_dir: Path, older_than: float = 600.0) -> None:
    """Remove what a killed server left half-done: partial uploads and multipart parts,
    repos being created or deleted, temporary object and ref files.

    Only entries older than ``older_than`` seconds go, so a second server sharing the
    data dir keeps its in-flight work.
    """
    cutoff = time.time() - older_than
    for dirpath, dirnames, filenames in os.walk(data_dir):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            leftover = name.startswith((".tmp-", ".trash-")) or (
                Path(dirpath) == data_dir / "lfs" / "tmp"
            )
            try:
                if leftover and path.lstat().st_mtime < cutoff:
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink()
            except FileNotFoundError:
                pass
        dirnames[:] = [d for d in dirnames if (Path(dirpath) / d).exists()]


XORB_URL_TTL = 3600.0


class Hub:
    """Everything a handler needs; one per server."""

    def __init__(
        self,
        data_dir: Path,
        users: dict[str, str] | None = None,
        orgs: dict[str, list[str]] | None = None,
        multipart_threshold: int = 64 * 1024 * 1024,
        multipart_chunk: int = 16 * 1024 * 1024,
    ) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.accounts = Accounts.load(data_dir / "accounts.json", users, orgs)
        self.repos = Registry(data_dir / "repos")
        self.lfs = LfsStore(data_dir / "lfs")
        self.cas = CasStore(data_dir / "xet")
        self.oidc = TrustedPublishers(data_dir / "oidc.json")
        sweep_leftovers(data_dir)
        self.faults = Faults()
        self.stats = Stats()
        self.multipart_threshold = multipart_threshold
        self.multipart_chunk = multipart_chunk
        self.cdn_port: int | None = None
        self.cas_port: int | None = None
        self.xorb_url_ttl = XORB_URL_TTL  # seconds a reconstruction's xorb URL stays valid
        self.expired_urls = 0  # the next this many reconstructions hand out expired URLs
        self.max_commit_operations = 0  # a commit with more operations is refused (0: no limit)
        secret_file = data_dir / "secret"
        if not secret_file.exists():
            atomic_write(secret_file, secrets.token_hex(32).encode())
        self._secret = secret_file.read_bytes()

    @property
    def oidc_token_ttl(self) -> float:
        return self.oidc.token_ttl

    @oidc_token_ttl.setter
    def oidc_token_ttl(self, seconds: float) -> None:
        self.oidc.token_ttl = seconds

    # -- signed URLs (LFS transfers carry no auth: the URL itself authorises them) --

    def sign(self, *parts: object) -> str:
        msg = "\0".join(str(p) for p in parts).encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()[:32]

    def check_sig(self, req: Request, *parts: object) -> None:
        if not hmac.compare_digest(req.arg("sig") or "", self.sign(*parts)):
            raise HubError(403, "Invalid or missing signature on transfer URL")

    # -- repos and access ------------------------------------------------------------

    def identify(self, req: Request) -> None:
        """Set ``req.user`` (and ``req.grant`` for a token exchanged at /oauth/token)."""
        authorization = req.headers.get("Authorization") or ""
        grant = self.oidc.grant_for(authorization.partition(" ")[2].strip()) if authorization else None
        if grant is None:
            req.user = self.accounts.user_for(authorization or None)
            return
        if time.time() >= grant.expires_at:
            raise HubError(401, INVALID_TOKEN)
        req.user, req.grant = grant.user, grant

    def can_read(self, req: Request, repo: Repo) -> bool:
        if not repo.meta.get("private"):
            return True
        if req.grant is not None:
            # A user publisher's token reads gated repos, never private ones.
            return req.grant.covers(repo.type, repo.id)
        return self.accounts.can_write(req.user, repo.namespace)

    def may_write(self, req: Request, namespace: str, repo: Repo | None = None) -> bool:
        if req.grant is not None:
            return repo is not None and req.grant.covers(repo.type, repo.id)
        return self.accounts.can_write(req.user, namespace)

    def repo(self, req: Request, repo_type: str, ns: str, name: str) -> Repo:
        """The repo, if the caller may see it; else the Hub's RepoNotFound answer."""
        repo_id = f"{unquote(ns)}/{unquote(name)}"
        # Ids are case-insensitive on the Hub; answers name the repo as it was created.
        repo = self.repos.get(repo_type, repo_id) or self.repos.find_case_insensitive(repo_type, repo_id)
        if repo is None or not self.can_read(req, repo):
            raise repo_not_found(req.user)
        if repo.meta.get("disabled"):
            raise HubError(403, "Access to this resource is disabled.")
        return repo

    def writable_repo(self, req: Request, repo_type: str, ns: str, name: str) -> Repo:
        repo = self.repo(req, repo_type, ns, name)
        self.require_write(req, repo.namespace, repo)
        return repo

    def contributable_repo(self, req: Request, repo_type: str, ns: str, name: str) -> Repo:
        """The repo, for a write that opens or updates a pull request: any signed-in
        reader may contribute one; other writes need write access."""
        if req.grant is not None or not (req.flag("create_pr") or "/refs/pr/" in unquote(req.path)):
            return self.writable_repo(req, repo_type, ns, name)
        repo = self.repo(req, repo_type, ns, name)
        if req.user is None:
            raise HubError(401, "You must be authenticated to access this resource")
        return repo

    def require_write(self, req: Request, namespace: str, repo: Repo | None = None) -> None:
        if req.user is None:
            raise HubError(401, "You must be authenticated to access this resource")
        if req.grant is not None and req.grant.kind == "user":
            raise HubError(403, "This token is read-only (gated-repos): it cannot write")
        if not self.may_write(req, namespace, repo):
            what = f"repo {repo.id}" if repo else f"namespace {namespace}"
            raise HubError(403, f"You don't have the rights to write to the {what}")

    def check_gate(self, req: Request, repo: Repo) -> None:
        """File access to a gated repo: owners, org members and granted users only."""
        owner = req.grant.covers(repo.type, repo.id) if req.grant and req.grant.kind == "repo" else (
            self.accounts.can_write(req.user, repo.namespace))
        if not repo.meta.get("gated") or owner:
            return
        if req.user is not None and req.user in repo.meta.get("granted", []):
            return
        kind = repo.type
        if req.user is None:
            raise HubError(
                401,
                f"Access to {kind} {repo.id} is restricted. You must have access to it and "
                "be authenticated to access it. Please log in.",
                "GatedRepo",
            )
        raise HubError(
            403,
            f"Access to {kind} {repo.id} is restricted and you are not in the authorized "
            f"list. Visit {self.repo_url_path(repo)} to ask for access.",
            "GatedRepo",
        )

    def commit_for(self, repo: Repo, raw_rev: str) -> tuple[str, str]:
        """(decoded revision, commit oid), or the Hub's RevisionNotFound answer."""
        rev = unquote(raw_rev)
        oid = repo.resolve(rev)
        if oid is None:
            raise revision_not_found(rev)
        return rev, oid

    @staticmethod
    def repo_url_path(repo: Repo) -> str:
        return f"/{PREFIX[repo.type]}{repo.id}"
