"""Answers the Hub gives that the client depends on: error codes, request ids, settings."""

from __future__ import annotations

import urllib.request

import pytest
from huggingface_hub.errors import RepositoryNotFoundError

from tests.sandbox.hubapi import api


def test_repo_id_without_namespace_is_repo_not_found(sandbox):
    with pytest.raises(RepositoryNotFoundError):
        api(sandbox).model_info("gpt2")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{sandbox.url}/api/datasets/squad")
    assert caught.value.code == 401 and caught.value.headers["X-Error-Code"] == "RepoNotFound"


def test_every_response_has_a_request_id(sandbox):
    with urllib.request.urlopen(f"{sandbox.url}/api/models") as response:
        first = response.headers["X-Request-Id"]
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{sandbox.url}/no/such/page")
    assert first and caught.value.headers["X-Request-Id"] not in (None, first)


def test_list_user_repos_reads_storage_settings(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/a")
    hub.create_repo("sandbox/d", repo_type="dataset", private=True)
    hub.upload_file(path_or_fileobj=b"x" * 1000, path_in_repo="x.txt", repo_id="sandbox/a")
    hub.create_repo("acme/o")
    mine = {r.id: r for r in hub.list_user_repos()}
    assert set(mine) == {"sandbox/a", "sandbox/d"}
    assert mine["sandbox/d"].type == "dataset" and mine["sandbox/d"].visibility == "private"
    assert mine["sandbox/a"].storage > mine["sandbox/d"].storage > 0
    assert [r.id for r in hub.list_user_repos(namespace="acme")] == ["acme/o"]
    with pytest.raises(Exception):  # noqa: B017
        list(api(sandbox, token=sandbox.token_for("bob")).list_user_repos(namespace="acme"))


def test_repo_ids_are_case_insensitive(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/Mixed")
    assert hub.model_info("SANDBOX/mixed").id == "sandbox/Mixed"
    hub.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id="sandbox/mixed")
    assert hub.list_repo_files("Sandbox/MIXED") == [".gitattributes", "a.txt"]


def test_pull_requests_take_commits_from_any_signed_in_user(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/p")
    bob = api(sandbox, token=sandbox.token_for("bob"))
    pr = bob.upload_file(path_or_fileobj=b"b", path_in_repo="b.txt", repo_id="sandbox/p", create_pr=True)
    assert pr.pr_num == 1
    bob.upload_file(path_or_fileobj=b"c", path_in_repo="c.txt", repo_id="sandbox/p", revision="refs/pr/1")
    assert set(hub.list_repo_files("sandbox/p", revision="refs/pr/1")) == {".gitattributes", "b.txt", "c.txt"}
    assert hub.list_repo_files("sandbox/p") == [".gitattributes"]
    with pytest.raises(Exception):  # noqa: B017 - a non-member still cannot write to main
        bob.upload_file(path_or_fileobj=b"d", path_in_repo="d.txt", repo_id="sandbox/p")
