"""Upgrade branch names: every manifest path gives a ref git takes, deterministically, and two
paths never give the same one, however hostile the folders they sit in."""

from __future__ import annotations

import os
import random
from pathlib import Path

import git
import pytest

from hfsync.github.lockbranch import branch_name

ROOT = Path("/work/repo")
HOSTILE = [
    "hfsync.yaml", "models/hfsync.yaml", "cfg/.hidden/hfsync.yaml", "cfg/x.lock/hfsync.yaml", "cfg/x.lock",
    ".hfsync.yaml", "a..b/hfsync.yaml", "a/../b.yaml", "../outside/hfsync.yaml", "sp ace/hfsync.yaml",
    "t~i^l:d?e*[b]/hfsync.yaml", "back\\slash/hfsync.yaml", "@{u}/hfsync.yaml", "@/hfsync.yaml", "@",
    "ctl\x01\x1b\x7f/hfsync.yaml", "trail./hfsync.yaml", "trail.", "...", ".lock", "a.lock.yaml",
    "é/ü.yaml", "emoji🤗/h.yaml", "-lead/h.yaml", "x" * 250 + "/" + "y" * 250 + "/h.yaml",
    "cfg/x-lock/hfsync.yaml", "cfg/x_lock/hfsync.yaml", "cfg/x lock/hfsync.yaml", "cfg/x?lock/hfsync.yaml",
    "new\nline/h.yaml", "tab\t/h.yaml", "cfg/hfsync.yaml.", "cfg//hfsync.yaml",
]


def _random_paths(count: int) -> list[str]:
    alphabet = "aZ09._-/ ~^:?*[]\\@{}\x00\x01\x1b\x7f\u00e9\u202e.lock"
    rng = random.Random(29)
    paths = set()
    while len(paths) < count:
        path = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))).replace("\x00", "")
        if path.strip("/") and "//" not in path and not path.startswith("/"):
            paths.add(path.strip("/"))
    return sorted(paths)


def _valid(ref: str) -> bool:
    try:
        git.Git().check_ref_format(f"refs/heads/{ref}")
    except git.GitCommandError:
        return False
    return True


@pytest.mark.parametrize("path", HOSTILE)
def test_every_hostile_path_gives_a_valid_ref(path):
    ref = branch_name(ROOT, ROOT / path)
    assert _valid(ref), ref
    assert ref == branch_name(ROOT, ROOT / path)  # deterministic


def test_random_hostile_paths_give_valid_unique_refs_none_a_folder_of_another():
    # Strings naming one file (a/./b, a/../b) are one manifest: compare files.
    paths = sorted({os.path.relpath((ROOT / p).resolve(), ROOT) for p in {*HOSTILE, *_random_paths(400)}})
    # Files, all of them at once: a path that is the folder of another is no file.
    paths = [p for p in paths if not any(q.startswith(p + "/") for q in paths)]
    refs = {path: branch_name(ROOT, ROOT / path) for path in paths}
    assert all(_valid(ref) for ref in refs.values()), [r for r in refs.values() if not _valid(r)]
    assert len(set(refs.values())) == len(paths) > 400
    # git keeps refs as files: one ref cannot be the folder of another.
    names = set(refs.values())
    assert not [n for n in names if any(other.startswith(n + "/") for other in names)]


def test_a_path_git_takes_is_the_branch_and_others_are_encoded_readably():
    assert branch_name(ROOT, ROOT / "models/hfsync.yaml") == "hfsync/upgrade/models/hfsync.yaml"
    assert branch_name(ROOT, ROOT / "a.lock.yaml") == "hfsync/upgrade/a.lock.yaml"
    assert branch_name(ROOT, ROOT / "cfg/.hidden/hfsync.yaml") == (
        "hfsync/upgrade-encoded/cfg-hidden-hfsync-yaml-6eb25278544a5cd2")
