"""Where a publish comes from: the manifest repo's git commit, and the CI run."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from hfsync.environment import run_url
from hfsync.model.plan import Provenance


def collect(folder: Path, environ: Mapping[str, str] | None = None) -> Provenance:
    """The provenance of manifests in ``folder``: its git HEAD and dirty flag, the run URL."""
    environ = os.environ if environ is None else environ
    # Two git commands rather than GitPython, which runs the same commands but costs more
    # to import than the rest of a no-op plan (start-up budget: README, bench_startup.py).
    head = _git(folder, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    commit = head.strip() if head else None
    dirty = bool(commit) and bool(_git(folder, "status", "--porcelain", "--untracked-files=normal"))
    # Without a commit, a third command tells a repository with no commits yet from no repository.
    checkout = bool(commit) or (_git(folder, "rev-parse", "--is-inside-work-tree") or "").strip() == "true"
    return Provenance(commit, dirty, run_url(environ), checkout)


def _git(folder: Path, *args: str) -> str | None:
    """git's output in ``folder``; None when it fails (not a checkout, no commit, no git)."""
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def commit_description(provenance: Provenance, head: str | None) -> str:
    """The commit description: provenance lines, one fact each."""
    lines = []
    if provenance.commit:
        lines.append(f"Manifest commit: {provenance.commit}{' (dirty tree)' if provenance.dirty else ''}")
    elif provenance.checkout:
        lines.append("Manifest commit: none (the manifest's git repository has no commits yet)")
    else:
        lines.append("Manifest commit: none (not a git checkout)")
    if provenance.run_url:
        lines.append(f"Run: {provenance.run_url}")
    if head:
        lines.append(f"Planned against: {head}")
    return "Published by hfsync.\n\n" + "\n".join(lines)
