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


REPO_IDS = ["acme/model", "model", "Acme-1/m_2.v3", "a/b", "x" * 96, "acme/" + "x" * 96, "acme/" + "x" * 97,
            "acme/a--b", "acme/a..b", "acme/m.git", "acme/.m", "acme/m.", "acme/-m", "acme/m-", "a/b/c", "", "/m",
            "acme/", "acme/caf\u00e9", "acme/m m", "acme/m!", "_acme/m", "acme/_m_", "acme/1", "acme//m", "acme/m\n"]


def test_repo_ids_are_judged_as_huggingface_hub_judges_them():
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    for repo_id in REPO_IDS:
        try:
            validate_repo_id(repo_id)
            theirs = True
        except HFValidationError:
            theirs = False
        assert hubdata.is_valid_repo_id(repo_id) is theirs, repo_id
