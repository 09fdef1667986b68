"""Users, tokens, orgs, and the Hub's error answers for access checks.

The client maps errors to exceptions from the ``X-Error-Code`` header (an ``http://``
sandbox cannot rely on the 401 URL fallback the client keeps for ``https://`` Hub URLs),
so every access error here carries the code the Hub sends.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.sandbox.gitstore import atomic_write

DEFAULT_USER = "sandbox"
INVALID_TOKEN = "Invalid credentials in Authorization header"


class HubError(Exception):
    """An error answer: status, X-Error-Code, message (header and JSON body)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        body: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.body = body


def repo_not_found(user: str | None) -> HubError:
    # The Hub answers 401 to anonymous callers and 404 to authenticated ones, for a
    # missing repo and a private one alike, so existence does not leak.
    return HubError(401 if user is None else 404, "Repository not found", "RepoNotFound")


def revision_not_found(rev: str) -> HubError:
    return HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")


def entry_not_found(path: str, rev: str) -> HubError:
    return HubError(404, f'{path} does not exist on "{rev}"', "EntryNotFound")


@dataclass
class Accounts:
    """Who exists: users with tokens, and orgs with members. Persisted in the data dir."""

    path: Path
    users: dict[str, str] = field(default_factory=dict)  # name -> token
    orgs: dict[str, list[str]] = field(default_factory=dict)  # org -> members
    # name -> {"fullname": str, "private_by_default": bool (orgs)}: what the admin API set
    profiles: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, users: dict[str, str] | None, orgs: dict[str, list[str]] | None) -> Accounts:
        """Load saved accounts, add the given ones, and make sure `sandbox` exists."""
        saved = json.loads(path.read_text()) if path.exists() else {}
        accounts = cls(path, dict(saved.get("users", {})), dict(saved.get("orgs", {})), dict(saved.get("profiles", {})))
        if DEFAULT_USER not in accounts.users:
            accounts.users[DEFAULT_USER] = "hf_sandbox_" + secrets.token_hex(16)
        accounts.users.update(users or {})
        for org, members in (orgs or {}).items():
            accounts.orgs[org] = sorted(set(accounts.orgs.get(org, [])) | set(members))
        accounts.save()
        return accounts

    def save(self) -> None:
        data = {"users": self.users, "orgs": self.orgs, "profiles": self.profiles}
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True).encode())

    def user_for(self, authorization: str | None) -> str | None:
        """The user a request's Authorization header names; HubError 401 if invalid."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HubError(401, INVALID_TOKEN)
        for name, known in self.users.items():
            if secrets.compare_digest(known, token):
                return name
        raise HubError(401, INVALID_TOKEN)

    def token(self, user: str) -> str:
        return self.users[user]

    def can_write(self, user: str | None, namespace: str) -> bool:
        if user is None:
            return False
        return user == namespace or user in self.orgs.get(namespace, [])

    def namespace_exists(self, namespace: str) -> bool:
        return namespace in self.users or namespace in self.orgs

    def canonical(self, namespace: str) -> str:
        """A user or org name as it was spelled when created (names are case-insensitive)."""
        return next((n for n in (*self.users, *self.orgs) if n.lower() == namespace.lower()), namespace)

    def fullname(self, name: str) -> str:
        """The display name the Hub shows beside the account name (the name itself until set)."""
        return str(self.profiles.get(name, {}).get("fullname") or name)

    def private_by_default(self, namespace: str) -> bool:
        """Whether a repo created in ``namespace`` without a visibility is private (an org setting)."""
        return bool(self.profiles.get(namespace, {}).get("private_by_default"))

    def whoami(self, user: str) -> dict:
        orgs = [
            {"type": "org", "id": _fake_id(o), "name": o, "fullname": self.fullname(o)}
            for o, members in sorted(self.orgs.items())
            if user in members
        ]
        return {
            "type": "user",
            "id": _fake_id(user),
            "name": user,
            "fullname": self.fullname(user),
            "email": f"{user}@sandbox.invalid",
            "emailVerified": True,
            "isPro": False,
            "canPay": False,
            "periodEnd": None,
            "avatarUrl": "/avatars/sandbox.svg",
            "orgs": orgs,
            "auth": {
                "type": "access_token",
                "accessToken": {"displayName": "sandbox", "role": "write"},
            },
        }


def _fake_id(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:24]
