"""hfsync's offline facts about the Hub agree with the sandbox Hub that stands in for it.

The sandbox imports nothing of hfsync (it plays the server, and must not share the
client's mistakes), so it keeps its own copy of the Hub's rules; these tests are what
keeps the two copies one list.
"""

from __future__ import annotations

from hfsync import hubfacts as hubdata
from hfsync.publish import diff
from hfsync.sandbox import cards, rules


def test_the_license_ids_are_the_sandbox_hubs():
    assert hubdata.LICENSES == cards.LICENSES


def test_the_lfs_size_threshold_is_the_sandbox_hubs():
    assert diff.LFS_SIZE == rules.LFS_SIZE_THRESHOLD


def test_the_plan_predicts_lfs_by_the_sandbox_hubs_gitattributes():
    # diff.LFS_PATTERNS adds *.gguf (stored through LFS by size in practice) and writes
    # saved_model/** as fnmatch reads it; every other pattern is the seeded .gitattributes'.
    seeded = {line.split()[0] for line in rules.default_gitattributes("model").decode().splitlines()}
    assert seeded - {"saved_model/**/*"} <= set(diff.LFS_PATTERNS)
