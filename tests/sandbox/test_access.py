"""Auth, private and gated repos, settings, lifecycle: the same exceptions as on the Hub."""

from __future__ import annotations

import pytest
from huggingface_hub import hf_hub_download, metadata_update
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)

from tests.sandbox.hubapi import api


def test_whoami_and_bad_token(sandbox):
    me = api(sandbox).whoami()
    assert me["name"] == "sandbox" and [o["name"] for o in me["orgs"]] == ["acme"]
    assert api(sandbox, sandbox.token_for("alice")).whoami()["name"] == "alice"
    with pytest.raises(HfHubHTTPError) as caught:
        api(sandbox, "hf_wrong").whoami()
    assert caught.value.response.status_code == 401


def test_private_repo_invisible_to_others(sandbox):
    owner = api(sandbox)
    owner.create_repo("sandbox/secret", private=True)
    owner.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="sandbox/secret")
    assert owner.model_info("sandbox/secret").private is True
    bob, anonymous = api(sandbox, sandbox.token_for("bob")), api(sandbox, False)
    for other, status in ((bob, 404), (anonymous, 401)):
        with pytest.raises(RepositoryNotFoundError) as caught:
            other.model_info("sandbox/secret")
        assert caught.value.response.status_code == status
        with pytest.raises(RepositoryNotFoundError):
            other.list_repo_files("sandbox/secret")
        assert other.repo_exists("sandbox/secret") is False
        assert [m.id for m in other.list_models(author="sandbox")] == []
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("sandbox/secret", "x.txt", endpoint=sandbox.url, token=False)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("sandbox/secret", "x.txt", endpoint=sandbox.url,
                        token=sandbox.token_for("bob"))
    # A missing repo looks exactly the same.
    with pytest.raises(RepositoryNotFoundError):
        bob.model_info("sandbox/never-created")


def test_org_members_write_others_cannot(sandbox):
    alice, bob = api(sandbox, sandbox.token_for("alice")), api(sandbox, sandbox.token_for("bob"))
    alice.create_repo("acme/shared")
    api(sandbox).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="acme/shared")
    with pytest.raises(HfHubHTTPError) as caught:
        bob.upload_file(path_or_fileobj=b"y", path_in_repo="y.txt", repo_id="acme/shared")
    assert caught.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as caught:
        bob.create_repo("acme/bobs")
    assert caught.value.response.status_code == 403
    assert bob.list_repo_files("acme/shared") == [".gitattributes", "x.txt"]


def test_gated_repo(sandbox):
    owner = api(sandbox)
    owner.create_repo("sandbox/gated")
    owner.upload_file(path_or_fileobj=b"w", path_in_repo="w.txt", repo_id="sandbox/gated")
    owner.update_repo_settings("sandbox/gated", gated="manual")
    bob = api(sandbox, sandbox.token_for("bob"))
    assert bob.model_info("sandbox/gated").gated == "manual"  # info stays readable
    with pytest.raises(GatedRepoError) as caught:
        hf_hub_download("sandbox/gated", "w.txt", endpoint=sandbox.url, token=False)
    assert caught.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as caught:
        hf_hub_download("sandbox/gated", "w.txt", endpoint=sandbox.url,
                        token=sandbox.token_for("bob"))
    assert caught.value.response.status_code == 403
    assert bob.repo_exists("sandbox/gated") is True
    sandbox.seed("model", "sandbox/gated", granted=["bob"])
    path = hf_hub_download("sandbox/gated", "w.txt", endpoint=sandbox.url,
                           token=sandbox.token_for("bob"))
    assert open(path).read() == "w"


def test_update_settings_move_delete(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/d", repo_type="dataset")
    hub.update_repo_settings("sandbox/d", repo_type="dataset", private=True, gated="auto")
    info = hub.dataset_info("sandbox/d")
    assert info.private is True and info.gated == "auto"
    hub.update_repo_settings("sandbox/d", repo_type="dataset", private=False, gated=False)
    info = hub.dataset_info("sandbox/d")
    assert info.private is False and info.gated is False
    hub.move_repo("sandbox/d", "acme/d2", repo_type="dataset")
    assert hub.dataset_info("acme/d2").id == "acme/d2"
    assert hub.repo_exists("sandbox/d", repo_type="dataset") is False
    hub.delete_repo("acme/d2", repo_type="dataset")
    hub.delete_repo("acme/d2", repo_type="dataset", missing_ok=True)
    with pytest.raises(RepositoryNotFoundError):
        hub.delete_repo("acme/d2", repo_type="dataset")


def test_metadata_update_and_validate_yaml(sandbox, monkeypatch):
    import huggingface_hub.constants
    import huggingface_hub.hf_api

    # metadata_update has no endpoint argument: it uses the HF_ENDPOINT read at import
    # (module constants and the module-level HfApi), so point those at the sandbox.
    monkeypatch.setattr(huggingface_hub.hf_api.api, "endpoint", sandbox.url)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", sandbox.url)
    monkeypatch.setattr(huggingface_hub.constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        sandbox.url + "/{repo_id}/resolve/{revision}/{filename}")
    hub = api(sandbox)
    hub.create_repo("sandbox/card")
    # An existing card (a new one would need Jinja2 for the client's template).
    hub.upload_file(path_or_fileobj=b"# Card\n", path_in_repo="README.md", repo_id="sandbox/card")
    metadata_update("sandbox/card", {"license": "apache-2.0", "pipeline_tag": "text-classification"},
                    token=sandbox.token)
    info = hub.model_info("sandbox/card")
    assert info.card_data["license"] == "apache-2.0"
    assert info.pipeline_tag == "text-classification"
    metadata_update("sandbox/card", {"tags": ["demo"]}, token=sandbox.token)
    assert "demo" in hub.model_info("sandbox/card").tags
    bad = "---\nlicense: not-a-license\nlanguage: [English!]\ntags: {a: 1}\n---\nx\n"
    with pytest.raises(ValueError, match="license") as caught:
        hub.upload_file(path_or_fileobj=bad.encode(), path_in_repo="README.md",
                        repo_id="sandbox/card")
    assert "language" in str(caught.value) and "tags" in str(caught.value)


def _ask(sandbox, repo_id: str, user: str) -> int:
    from huggingface_hub.utils import get_session

    reply = get_session().post(f"{sandbox.url}/{repo_id}/ask-access",
                       headers={"Authorization": f"Bearer {sandbox.token_for(user)}"})
    return reply.status_code


def test_access_requests_pending_accept_reject_grant(sandbox, tmp_path):
    owner = api(sandbox)
    owner.create_repo("acme/gated")
    owner.upload_file(path_or_fileobj=b"w", path_in_repo="w.txt", repo_id="acme/gated")
    with pytest.raises(HfHubHTTPError) as caught:  # not gated yet
        list(owner.list_pending_access_requests("acme/gated"))
    assert caught.value.response.status_code == 400
    owner.update_repo_settings("acme/gated", gated="manual")
    assert _ask(sandbox, "acme/gated", "bob") == 200
    pending = list(owner.list_pending_access_requests("acme/gated"))
    assert [(r.username, r.status, r.email) for r in pending] == [("bob", "pending", "bob@sandbox.invalid")]
    with pytest.raises(GatedRepoError):
        hf_hub_download("acme/gated", "w.txt", endpoint=sandbox.url, token=sandbox.token_for("bob"))
    owner.accept_access_request("acme/gated", "bob")
    assert hf_hub_download("acme/gated", "w.txt", endpoint=sandbox.url, token=sandbox.token_for("bob"))
    with pytest.raises(HfHubHTTPError) as caught:  # already accepted
        owner.accept_access_request("acme/gated", "bob")
    assert caught.value.response.status_code == 404
    owner.reject_access_request("acme/gated", "bob", rejection_reason="no")
    assert [r.username for r in owner.list_rejected_access_requests("acme/gated")] == ["bob"]
    with pytest.raises(GatedRepoError):
        hf_hub_download("acme/gated", "w.txt", endpoint=sandbox.url, token=sandbox.token_for("bob"),
                        cache_dir=tmp_path / "again")
    owner.cancel_access_request("acme/gated", "bob")
    assert [r.username for r in owner.list_pending_access_requests("acme/gated")] == ["bob"]
    owner.grant_access("acme/gated", "bob")
    accepted = list(owner.list_accepted_access_requests("acme/gated"))
    assert [(r.username, r.status, r.email) for r in accepted] == [("bob", "accepted", None)]
    with pytest.raises(HfHubHTTPError) as caught:  # already has access
        owner.grant_access("acme/gated", "bob")
    assert caught.value.response.status_code == 400


def test_access_grant_to_unknown_user_and_by_non_owner(sandbox):
    owner = api(sandbox)
    owner.create_repo("sandbox/g")
    owner.update_repo_settings("sandbox/g", gated="manual")
    with pytest.raises(HfHubHTTPError) as caught:
        owner.grant_access("sandbox/g", "nobody-by-that-name")
    assert caught.value.response.status_code == 404 and "nobody-by-that-name" in str(caught.value)
    with pytest.raises(HfHubHTTPError) as caught:
        owner.accept_access_request("sandbox/g", "ghost")
    assert caught.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as caught:
        api(sandbox, sandbox.token_for("bob")).grant_access("sandbox/g", "bob")
    assert caught.value.response.status_code == 403
    sandbox.seed("model", "sandbox/g", granted=["alice"])  # granted by a seed: listed as accepted
    assert [r.username for r in owner.list_accepted_access_requests("sandbox/g")] == ["alice"]


def test_auto_gate_accepts_requests(sandbox):
    owner = api(sandbox)
    owner.create_repo("sandbox/auto", repo_type="dataset")
    owner.update_repo_settings("sandbox/auto", repo_type="dataset", gated="auto")
    assert _ask(sandbox, "datasets/sandbox/auto", "bob") == 200
    assert [r.username for r in owner.list_accepted_access_requests("sandbox/auto", repo_type="dataset")] == ["bob"]


def test_user_and_organization_overviews(sandbox):
    hub = api(sandbox)
    alice = hub.get_user_overview("alice")
    assert (alice.username, alice.fullname, [o.name for o in alice.orgs]) == ("alice", "alice", ["acme"])
    assert hub.get_organization_overview("acme").num_users == 2
    for missing in (lambda: hub.get_user_overview("nobody"), lambda: hub.get_organization_overview("nobody")):
        with pytest.raises(HfHubHTTPError) as caught:
            missing()
        assert caught.value.response.status_code == 404
