"""An upgrade's lock change as one commit on its own branch, pushed: what its pull request shows.

The commit is built on the checked-out commit with a private index (GIT_INDEX_FILE), so
the user's index and working tree are left as they are. It holds the lock file exactly
as it is on disk, and is force-pushed: the branch is always one commit on top of its
base, however many nights the upgrade ran. A branch whose tree already matches is not
pushed again (no new CI run for the same change).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import git

from hfsync.errors import HfsyncError

BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


PREFIX = "hfsync/upgrade/"
# Where manifest paths git would refuse in a ref go: one component each, never a path of PREFIX's.
ENCODED = "hfsync/upgrade-encoded/"
# A path component git takes as it is (git check-ref-format), in characters every host and shell
# takes too: no leading dot, no ".lock" or "." at the end ("..", "@{", controls, space and
# ~^:?*[\\ never pass the character class).
_PLAIN = re.compile(r"(?!\.)[A-Za-z0-9._-]+(?<!\.lock)(?<!\.)")


def branch_name(repo_root: Path, manifest: Path) -> str:
    """The upgrade branch of ``manifest``: ``hfsync/upgrade/<its path in the repo>`` when git
    takes that path as a ref; else ``hfsync/upgrade-encoded/<the path in letters, digits, _ and
    ->-<16 hex digits of its SHA-256>``. Deterministic, always a valid ref, and two paths never
    share one (nor does one branch name a folder of another)."""
    relative = os.path.relpath(manifest.resolve(), repo_root.resolve()).replace(os.sep, "/")
    if ".." not in relative and all(_PLAIN.fullmatch(part) for part in relative.split("/")):
        return PREFIX + relative
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", relative).strip("-")[:80]
    digest = hashlib.sha256(relative.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{ENCODED}{readable}-{digest}" if readable else f"{ENCODED}{digest}"


def open_repo(path: Path) -> git.Repo:
    """The git repository holding ``path``; HfsyncError when there is none."""
    try:
        return git.Repo(path.resolve().parent, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HfsyncError(f"{path} is not in a git repository",
                          hint="Run `hfsync github pr` in a checkout of the manifests' repository.") from None


def push_lock(repo: git.Repo, lock: Path, branch: str, message: str, remote: str = "origin") -> bool:
    """Commit ``lock`` on top of HEAD and force-push it to ``branch``; False when the branch already had it."""
    root = Path(repo.working_tree_dir or ".")
    relative = os.path.relpath(lock.resolve(), root.resolve()).replace(os.sep, "/")
    env = _identity(repo)
    try:
        with tempfile.TemporaryDirectory(prefix="hfsync-index-") as folder:
            env["GIT_INDEX_FILE"] = os.path.join(folder, "index")
            repo.git.read_tree("HEAD", env=env)
            repo.git.update_index("--add", "--", relative, env=env)
            tree = repo.git.write_tree(env=env)
        if _remote_tree(repo, remote, branch) == tree:
            return False
        commit = repo.git.commit_tree(tree, "-p", "HEAD", "-m", message, env=env)
        repo.git.push(remote, f"+{commit}:refs/heads/{branch}")
    except git.GitCommandError as error:
        said = (error.stderr or "").strip().replace("\n", " ").removeprefix("stderr: ").strip("' ")
        raise HfsyncError(
            f"could not push the lock change to {remote} {branch}: {said or error}",
            hint="The workflow needs `permissions: contents: write` (and `pull-requests: write`).",
        ) from None
    return True


def _remote_tree(repo: git.Repo, remote: str, branch: str) -> str | None:
    """The tree of ``branch`` on ``remote`` now, or None when it does not exist."""
    try:
        repo.git.fetch(remote, f"refs/heads/{branch}")
        return repo.git.rev_parse("FETCH_HEAD^{tree}")
    except git.GitCommandError:
        return None


def _identity(repo: git.Repo) -> dict[str, str]:
    """The environment for commit-tree: the configured user, else GitHub Actions' bot."""
    env = dict(os.environ)
    reader = repo.config_reader()
    name = reader.get_value("user", "name", "") if reader.has_section("user") else ""
    email = reader.get_value("user", "email", "") if reader.has_section("user") else ""
    if not (name and email) and not env.get("GIT_AUTHOR_EMAIL"):
        for role in ("AUTHOR", "COMMITTER"):
            env[f"GIT_{role}_NAME"], env[f"GIT_{role}_EMAIL"] = BOT
    return env
