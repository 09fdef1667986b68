"""Where a publish comes from: the manifest repo's git commit, and the CI run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from hfsync.publish.plan import Provenance


def run_url(environ: Mapping[str, str]) -> str | None:
    """The GitHub Actions run URL, when GITHUB_SERVER_URL/REPOSITORY/RUN_ID are set."""
    server = environ.get("GITHUB_SERVER_URL")
    repository = environ.get("GITHUB_REPOSITORY")
    run_id = environ.get("GITHUB_RUN_ID")
    if not (server and repository and run_id):
        return None
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"


def collect(folder: Path, environ: Mapping[str, str] | None = None) -> Provenance:
    """The provenance of manifests in ``folder``: its git HEAD and dirty flag, the run URL."""
    import git

    environ = os.environ if environ is None else environ
    commit, dirty = None, False
    try:
        repo = git.Repo(folder, search_parent_directories=True)
        commit = repo.head.commit.hexsha
        dirty = repo.is_dirty(untracked_files=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, git.GitCommandNotFound):
        pass  # not a git checkout, or a repo without commits: no provenance to give
    return Provenance(commit, dirty, run_url(environ))


def commit_description(provenance: Provenance, head: str | None) -> str:
    """The commit description: provenance lines, one fact each."""
    lines = []
    if provenance.commit:
        lines.append(f"Manifest commit: {provenance.commit}{' (dirty tree)' if provenance.dirty else ''}")
    else:
        lines.append("Manifest commit: none (not a git checkout)")
    if provenance.run_url:
        lines.append(f"Run: {provenance.run_url}")
    if head:
        lines.append(f"Planned against: {head}")
    return "Published by hfsync.\n\n" + "\n".join(lines)
