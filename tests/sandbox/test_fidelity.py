"""Answers the Hub gives that the client depends on: error codes, request ids, settings."""

from __future__ import annotations

import re
import urllib.request

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, hf_hub_download
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

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


# -- the Hub's words for refused writes (texts from huggingface_hub's tests against the Hub) --


def test_creating_an_existing_repo_answers_409_with_its_url(sandbox):
    hub = api(sandbox)
    url = hub.create_repo("sandbox/Taken", repo_type="dataset")
    with pytest.raises(HfHubHTTPError) as caught:
        hub.create_repo("sandbox/taken", repo_type="dataset")
    assert caught.value.response.status_code == 409
    assert caught.value.response.json() == {"error": "You already created this dataset repo", "url": url}
    assert str(caught.value).endswith("You already created this dataset repo")
    # exist_ok reads the url of the 409: the repo as it is spelled on the Hub.
    assert hub.create_repo("SANDBOX/TAKEN", repo_type="dataset", exist_ok=True).repo_id == "sandbox/Taken"
    hub.create_repo("sandbox/other", repo_type="dataset")
    with pytest.raises(HfHubHTTPError, match="A dataset repository called sandbox/other already exists"):
        hub.move_repo("sandbox/Taken", "sandbox/other", repo_type="dataset")


def test_an_existing_branch_or_tag_is_a_409_naming_the_reference(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    hub.create_branch("sandbox/r", branch="dev")
    for branch in ("dev", "main"):
        with pytest.raises(HfHubHTTPError, match=f"Reference refs/heads/{branch} already exists") as caught:
            hub.create_branch("sandbox/r", branch=branch)
        assert caught.value.response.status_code == 409
        hub.create_branch("sandbox/r", branch=branch, exist_ok=True)
    hub.create_tag("sandbox/r", tag="v1")
    with pytest.raises(HfHubHTTPError, match="Reference refs/tags/v1 already exists") as caught:
        hub.create_tag("sandbox/r", tag="v1")
    assert caught.value.response.status_code == 409
    hub.create_tag("sandbox/r", tag="v1", exist_ok=True)


def test_the_default_branch_cannot_be_deleted(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    head = hub.model_info("sandbox/r").sha
    with pytest.raises(HfHubHTTPError, match="Cannot delete refs/heads/main"):
        hub.delete_branch("sandbox/r", branch="main")
    assert hub.model_info("sandbox/r", revision="main").sha == head
    # A missing branch, and a tag passed as a branch, are missing revisions.
    hub.create_tag("sandbox/r", tag="cool-tag")
    for name in ("cool-branch", "cool-tag"):
        with pytest.raises(RevisionNotFoundError, match=f"Invalid rev id: {name}"):
            hub.delete_branch("sandbox/r", branch=name)
    assert [t.name for t in hub.list_repo_refs("sandbox/r").tags] == ["cool-tag"]


def test_tag_creation_checks_the_revision_before_the_name(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    with pytest.raises(RevisionNotFoundError, match="Invalid rev id: foobar"):
        hub.create_tag("sandbox/r", tag="invalid tag", revision="foobar")
    with pytest.raises(BadRequestError, match="Invalid tag name: invalid tag"):
        hub.create_tag("sandbox/r", tag="invalid tag")
    assert hub.list_repo_refs("sandbox/r").tags == []


def test_branches_and_tags_may_share_a_name(sandbox):
    # On the Hub a branch may take an existing tag's name (huggingface_hub's
    # test_create_branch_existing_tag_does_not_fail); refs/heads and refs/tags are apart,
    # so a tag may take a branch's name too.
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    first = hub.model_info("sandbox/r").sha
    hub.create_tag("sandbox/r", tag="release")
    hub.create_branch("sandbox/r", branch="release")
    hub.create_branch("sandbox/r", branch="dev")
    hub.create_tag("sandbox/r", tag="dev")
    refs = hub.list_repo_refs("sandbox/r")
    assert sorted(b.name for b in refs.branches) == ["dev", "main", "release"]
    assert sorted(t.name for t in refs.tags) == ["dev", "release"]
    # A commit to the shared name goes to the branch; the tag stays where it was.
    hub.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="sandbox/r", revision="release")
    refs = hub.list_repo_refs("sandbox/r")
    assert {t.name: t.target_commit for t in refs.tags}["release"] == first
    assert {b.name: b.target_commit for b in refs.branches}["release"] != first
    with pytest.raises(HfHubHTTPError, match="Reference refs/tags/release already exists"):
        hub.create_tag("sandbox/r", tag="release")


# -- commits the Hub refuses ---------------------------------------------------------


def test_a_pull_request_targets_a_branch_not_a_commit(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    hub.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id="sandbox/r")
    hub.create_branch("sandbox/r", branch="test_branch")
    hub.create_tag("sandbox/r", tag="v1")
    head = hub.model_info("sandbox/r").sha

    def add() -> list[CommitOperationAdd]:
        return [CommitOperationAdd("file.txt", b"content")]

    pr = hub.create_commit("sandbox/r", add(), commit_message="pr", revision="test_branch", create_pr=True)
    assert pr.pr_num == 1
    sandbox.reset_stats()
    for revision in (head, head[:7], "v1", "missing_branch"):
        with pytest.raises(RevisionNotFoundError, match=f"Invalid rev id: {revision}"):
            hub.create_commit("sandbox/r", add(), commit_message="pr", revision=revision, create_pr=True)
    # Refused at the preupload already: nothing reached the commit endpoint.
    assert "POST commit" not in sandbox.stats()["routes"]
    # A commit without files to add skips the preupload: the commit endpoint refuses it too.
    with pytest.raises(RevisionNotFoundError, match=f"Invalid rev id: {head}"):
        hub.create_commit("sandbox/r", [CommitOperationDelete("a.txt")], commit_message="pr",
                          revision=head, create_pr=True)
    prs = hub.list_repo_refs("sandbox/r", include_pull_requests=True).pull_requests
    assert [p.ref for p in prs] == ["refs/pr/1"]


def test_a_backslash_is_part_of_a_name_the_hub_accepts_and_the_client_will_not_download(sandbox, tmp_path):
    # huggingface_hub's own download tests commit "folder/..\\..\\..\\file" to the Hub.
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    names = ["folder/..\\..\\..\\file", "..\\ddd", "a\\.\\b.txt"]
    for name in names:
        hub.upload_file(path_or_fileobj=b"content", path_in_repo=name, repo_id="sandbox/r")
    assert sorted(hub.list_repo_files("sandbox/r")) == sorted([".gitattributes", *names])
    local = tmp_path / "local"
    with pytest.raises(ValueError, match=r"cannot contain a '\.\.' path segment"):
        hf_hub_download("sandbox/r", names[0], local_dir=local, endpoint=sandbox.url, token=sandbox.token)
    assert not local.exists() or not any(local.rglob("file"))


@pytest.mark.parametrize("path", [".git\\config", "sub/../x.txt"])
def test_a_path_into_git_or_climbing_with_slashes_is_refused(sandbox, path):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    with pytest.raises((HfHubHTTPError, ValueError)) as caught:
        hub.create_commit("sandbox/r", [_raw_add(path)], commit_message="c")
    if isinstance(caught.value, HfHubHTTPError):
        assert str(caught.value).endswith(f"Invalid path in commit operation: {path}")
    assert hub.list_repo_files("sandbox/r") == [".gitattributes"]


def _raw_add(path: str) -> CommitOperationAdd:
    operation = CommitOperationAdd(path_in_repo="x", path_or_fileobj=b"content")
    operation.path_in_repo = path  # past the client's own check, as another client would send it
    return operation


# -- validate-yaml ---------------------------------------------------------------------

INVALID_MODELCARD = "\n---\nmodel-index: foo\n---\n\nThis is a modelcard with an invalid metadata section.\n"


def test_an_invalid_model_index_is_refused_before_any_upload(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    sandbox.reset_stats()
    with pytest.raises(ValueError) as caught:
        hub.create_commit("sandbox/r", [CommitOperationAdd("README.md", INVALID_MODELCARD.encode()),
                                        CommitOperationAdd("lfs.bin", b"\0content")], commit_message="x")
    assert str(caught.value) == 'Invalid metadata in README.md.\n- "model-index" must be an array'
    routes = sandbox.stats()["routes"]
    assert "POST preupload" not in routes and "POST commit" not in routes
    for index, error in [
        ("[{name: m}]", '"model-index[0].results" is required'),
        ("[{name: m, results: x}]", '"model-index[0].results" must be an array'),
        ("[foo]", '"model-index[0]" must be of type object'),
    ]:
        with pytest.raises(ValueError, match=re.escape(f"- {error}")):
            hub.upload_file(path_or_fileobj=f"---\nmodel-index: {index}\n---\n".encode(),
                            path_in_repo="README.md", repo_id="sandbox/r")
    good = "---\nmodel-index:\n- name: m\n  results: []\n---\n"
    hub.upload_file(path_or_fileobj=good.encode(), path_in_repo="README.md", repo_id="sandbox/r")


@pytest.mark.parametrize("card", ["This is a modelcard without metadata", "---\n---\nbody\n", "---\n{}\n---\n"])
def test_a_card_without_metadata_is_committed_with_the_hubs_warning(sandbox, card):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    expected = "Warnings while validating metadata in README.md:\n- empty or missing yaml metadata in repo card"
    with pytest.warns(UserWarning, match=re.escape(expected)):
        commit = hub.create_commit("sandbox/r", [CommitOperationAdd("README.md", card.encode())],
                                   commit_message="card")
    assert hub.model_info("sandbox/r").sha == commit.oid


@pytest.fixture
def card_endpoint(sandbox, monkeypatch):
    """RepoCard.validate posts to the HF_ENDPOINT read at import: point it at the sandbox."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", sandbox.url)


def test_repocard_validate_shows_the_hubs_error_lines(card_endpoint):
    from huggingface_hub import RepoCard

    RepoCard("---\nlicense: mit\n---\n# Card\n").validate()
    with pytest.raises(ValueError) as caught:
        RepoCard("---\nlicense: asdf\n---\n# Card\n").validate()
    text = str(caught.value)
    assert text.startswith('- Error: "license" must be one of [apache-2.0, mit, openrail, bigscience-openrail-m,')
    assert text.endswith(", llama4, grok2-community, gemma, unknown, other, array]") and "\n" not in text
    with pytest.raises(ValueError) as caught:
        RepoCard("---\nlicense: [mit, asdf]\nmodel-index: foo\n---\n").validate()
    lines = str(caught.value).split("\n")
    assert lines[0].startswith('- Error: "license[1]" must be one of [apache-2.0,')
    assert lines[1:] == ['- Error: "model-index" must be an array']


# -- more answers the client reads (claims of the sandbox, each through the client) --------


def test_an_invalid_branch_name_is_a_bad_request(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    for branch in ("refs/pr/5", "refs/something/random"):
        with pytest.raises(BadRequestError, match=f"Invalid reference for a branch: {branch}"):
            hub.create_branch("sandbox/r", branch=branch)
    assert [b.name for b in hub.list_repo_refs("sandbox/r").branches] == ["main"]


def test_file_and_revision_exists_read_the_error_codes(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    hub.upload_file(path_or_fileobj=b"a", path_in_repo="dir/a.txt", repo_id="sandbox/r")
    hub.create_branch("sandbox/r", branch="dev")
    assert hub.file_exists("sandbox/r", "dir/a.txt") is True
    assert hub.file_exists("sandbox/r", "dir/b.txt") is False
    assert hub.file_exists("sandbox/r", "dir/a.txt", revision="no-such-branch") is False
    assert hub.file_exists("sandbox/missing", "dir/a.txt") is False
    assert hub.revision_exists("sandbox/r", "dev") is True
    assert hub.revision_exists("sandbox/r", "no-such-branch") is False
    assert hub.revision_exists("sandbox/missing", "main") is False


def test_a_folder_lists_its_folders_first(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    hub.create_commit("sandbox/r", [CommitOperationAdd(p, b"x") for p in ("b.txt", "a/x.txt", "c/y.txt", "0.txt")],
                      commit_message="files")
    assert [e.path for e in hub.list_repo_tree("sandbox/r")] == ["a", "c", ".gitattributes", "0.txt", "b.txt"]


def test_commits_listed_formatted(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    hub.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id="sandbox/r",
                    commit_message="Add a", commit_description="Why a")
    first, second = hub.list_repo_commits("sandbox/r", formatted=True)
    assert (first.title, first.message, first.formatted_title, first.formatted_message) == (
        "Add a", "Why a", "Add a", "Why a")
    assert second.title == "initial commit" and second.authors == ["sandbox"]


def test_paths_info_takes_at_most_a_thousand_paths(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    paths = [".gitattributes"] + [f"missing/{i}.txt" for i in range(999)]
    assert [e.path for e in hub.get_paths_info("sandbox/r", paths)] == [".gitattributes"]
    with pytest.raises(HfHubHTTPError) as caught:
        hub.get_paths_info("sandbox/r", [*paths, "one-more.txt"])
    assert caught.value.response.status_code == 413
    assert str(caught.value).endswith("too many parameters")


def test_a_missing_file_is_remembered_by_the_client(sandbox, tmp_path):
    from huggingface_hub import hf_hub_download, try_to_load_from_cache
    from huggingface_hub.errors import EntryNotFoundError
    from huggingface_hub.file_download import _CACHED_NO_EXIST

    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("sandbox/r", "nope.txt", endpoint=sandbox.url, cache_dir=tmp_path)
    # The miss names the commit it was seen at (X-Repo-Commit), so the client caches it.
    assert try_to_load_from_cache("sandbox/r", "nope.txt", cache_dir=tmp_path) is _CACHED_NO_EXIST
    head = hub.model_info("sandbox/r").sha
    assert (tmp_path / "models--sandbox--r" / ".no_exist" / head / "nope.txt").is_file()


# -- accounts ----------------------------------------------------------------------------


def test_full_names_show_where_the_client_reads_them(sandbox):
    sandbox.account("sandbox", fullname="Sandbox Person")
    sandbox.account("acme", fullname="ACME Corp")
    hub = api(sandbox)
    me = hub.whoami()
    assert me["fullname"] == "Sandbox Person"
    assert [(o["name"], o["fullname"]) for o in me["orgs"]] == [("acme", "ACME Corp")]
    assert hub.get_user_overview("sandbox").fullname == "Sandbox Person"
    assert hub.get_user_overview("bob").fullname == "bob"  # never set: the name itself
    assert hub.get_organization_overview("acme").fullname == "ACME Corp"


def test_an_org_whose_repos_are_private_by_default(sandbox):
    hub = api(sandbox)
    hub.create_repo("acme/before")
    sandbox.account("acme", private_by_default=True)
    hub.create_repo("acme/quiet")
    hub.create_repo("acme/open", private=False)
    hub.create_repo("sandbox/mine")  # a user's repos stay public by default
    assert [hub.model_info(r).private for r in ("acme/before", "acme/quiet", "acme/open", "sandbox/mine")] == [
        False, True, False, False]


def test_account_settings_are_checked(sandbox):
    with pytest.raises(urllib.error.HTTPError) as caught:
        sandbox.account("bob", private_by_default=True)  # a user has no such setting
    assert caught.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as caught:
        sandbox.account("nobody", fullname="X")
    assert caught.value.code == 404
