"""The users a gated repo's ``access:`` names: in the manifest, and one a line in its users_file."""

from __future__ import annotations

from dataclasses import replace

from hfsync.manifest.model import Access, RepoTarget


def with_access_file(target: RepoTarget) -> RepoTarget:
    """``target`` with the users its access.users_file names (one a line, # comments) among access.users."""
    if target.access is None or target.access.users_file is None:
        return target
    lines = target.access.users_file.read_text(encoding="utf-8", errors="replace").splitlines()
    named = [line.split("#", 1)[0].strip() for line in lines]
    users = tuple(dict.fromkeys([*target.access.users, *(n for n in named if n)]))
    return replace(target, access=Access(users))
