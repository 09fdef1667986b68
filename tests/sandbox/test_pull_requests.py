"""Pull requests and the Hub's limits, driven by huggingface_hub's own calls."""

from __future__ import annotations

import logging

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub.errors import HfHubHTTPError

from tests.sandbox.hubapi import api


def _add(path: str, data: bytes = b"x") -> CommitOperationAdd:
    return CommitOperationAdd(path, data)


def test_batches_on_a_pull_request_land_on_the_branch_as_one_commit(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/pr")
    before = hub.repo_info("sandbox/pr").sha
    first = hub.create_commit("sandbox/pr", [_add("a.txt", b"a")], commit_message="Batch 1",
                              commit_description="marker: abc", create_pr=True)
    assert first.pr_num == 1 and first.pr_revision == "refs/pr/1"
    second = hub.create_commit("sandbox/pr", [_add("b.txt", b"b")], commit_message="Batch 2",
                               revision="refs/pr/1", parent_commit=first.oid)
    assert hub.repo_info("sandbox/pr").sha == before  # nothing on main yet
    assert set(hub.list_repo_files("sandbox/pr", revision="refs/pr/1")) == {".gitattributes", "a.txt", "b.txt"}

    prs = list(hub.get_repo_discussions("sandbox/pr", discussion_type="pull_request", discussion_status="open"))
    assert [(d.num, d.title, d.status, d.is_pull_request) for d in prs] == [(1, "Batch 1", "open", True)]
    details = hub.get_discussion_details("sandbox/pr", 1)
    assert details.target_branch == "refs/heads/main" and details.events[0].content == "marker: abc"
    assert [e.oid for e in details.events if e.type == "commit"] == [first.oid, second.oid]

    hub.merge_pull_request("sandbox/pr", 1)
    merged = hub.get_discussion_details("sandbox/pr", 1)
    assert merged.status == "merged" and merged.merge_commit_oid == hub.repo_info("sandbox/pr").sha
    commits = hub.list_repo_commits("sandbox/pr")
    assert [c.title for c in commits][:2] == ["Batch 1 (#1)", "initial commit"]  # one step on main
    assert set(hub.list_repo_files("sandbox/pr")) == {".gitattributes", "a.txt", "b.txt"}
    assert list(hub.get_repo_discussions("sandbox/pr", discussion_status="open")) == []


def test_a_draft_takes_commits_and_a_closed_one_refuses_them(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/pr")
    draft = hub.create_pull_request("sandbox/pr", title="Staged upload", description="plan 123")
    assert (draft.num, draft.status, draft.is_pull_request) == (1, "draft", True)
    hub.create_commit("sandbox/pr", [_add("a.txt")], commit_message="one", revision="refs/pr/1")
    assert hub.get_discussion_details("sandbox/pr", 1).status == "open"
    event = hub.change_discussion_status("sandbox/pr", 1, "closed", comment="abandoned")
    assert event.new_status == "closed"
    with pytest.raises(HfHubHTTPError) as caught:
        hub.create_commit("sandbox/pr", [_add("b.txt")], commit_message="two", revision="refs/pr/1")
    assert caught.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError):
        hub.merge_pull_request("sandbox/pr", 1)
    assert hub.list_repo_files("sandbox/pr") == [".gitattributes"]


def test_a_merge_refuses_files_the_branch_changed_meanwhile(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/pr")
    hub.create_commit("sandbox/pr", [_add("a.txt", b"1")], commit_message="pr", create_pr=True)
    hub.create_commit("sandbox/pr", [_add("a.txt", b"2")], commit_message="direct")
    head = hub.repo_info("sandbox/pr").sha
    assert hub.get_discussion_details("sandbox/pr", 1).conflicting_files == ["a.txt"]
    with pytest.raises(HfHubHTTPError) as caught:
        hub.merge_pull_request("sandbox/pr", 1)
    assert caught.value.response.status_code == 409 and "a.txt" in str(caught.value)
    assert hub.repo_info("sandbox/pr").sha == head


def test_a_merge_keeps_what_the_branch_changed_elsewhere(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/pr")
    hub.create_commit("sandbox/pr", [_add("old.txt")], commit_message="seed")
    hub.create_commit("sandbox/pr", [_add("a.txt"), CommitOperationDelete("old.txt")], commit_message="pr",
                      create_pr=True)
    hub.create_commit("sandbox/pr", [_add("other.txt")], commit_message="direct")
    hub.merge_pull_request("sandbox/pr", 1)
    assert set(hub.list_repo_files("sandbox/pr")) == {".gitattributes", "a.txt", "other.txt"}


def test_only_writers_merge(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/pr")
    bob = api(sandbox, sandbox.token_for("bob"))
    bob.create_commit("sandbox/pr", [_add("a.txt")], commit_message="from bob", create_pr=True)
    with pytest.raises(HfHubHTTPError) as caught:
        bob.merge_pull_request("sandbox/pr", 1)
    assert caught.value.response.status_code == 403
    bob.change_discussion_status("sandbox/pr", 1, "closed")  # an author may close their own


def test_listing_pages_as_the_hub_does(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/pr")
    for i in range(55):
        hub.create_pull_request("sandbox/pr", title=f"pr {i:02d}")
    sandbox.reset_stats()
    titles = [d.title for d in hub.get_repo_discussions("sandbox/pr")]
    assert titles[0] == "pr 54" and len(titles) == 55  # newest first
    assert sandbox.stats()["routes"]["GET discussions"]["requests"] == 2


def test_a_commit_over_the_operation_limit_is_refused_whole(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/lim")
    sandbox.settings(max_commit_operations=3)
    with pytest.raises(HfHubHTTPError) as caught:
        hub.create_commit("sandbox/lim", [_add(f"{i}.txt") for i in range(4)], commit_message="too many")
    assert caught.value.response.status_code == 422
    assert "Too many operations in one commit (more than 3)" in caught.value.response.headers["X-Error-Message"]
    assert hub.list_repo_files("sandbox/lim") == [".gitattributes"]
    hub.create_commit("sandbox/lim", [_add(f"{i}.txt") for i in range(3)], commit_message="fits")


def test_a_crowded_folder_warns(sandbox, caplog):
    hub = api(sandbox)
    hub.create_repo("sandbox/crowd")
    ops = [_add(f"imgs/{i}.txt", b"") for i in range(10_001)]
    with caplog.at_level(logging.WARNING, logger="huggingface_hub"):
        info = hub.create_commit("sandbox/crowd", ops, commit_message="crowd")
    assert info.oid
    assert "Folders with more than 10000 entries slow down the Hub: imgs (10001 entries)" in caplog.text
