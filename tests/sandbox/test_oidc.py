"""Trusted Publishers on the sandbox: POST /oauth/token (RFC 8693), driven by huggingface_hub's
own OIDC functions, and what the exchanged tokens may and may not do."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from huggingface_hub import _oidc, constants
from huggingface_hub.errors import BadRequestError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import _auth

from tests.oidc_issuer import Issuer, Key, job_claims
from tests.sandbox.hubapi import api


@pytest.fixture
def github_job(issuer, monkeypatch):
    """The runtime of a GitHub Actions job with `permissions: id-token: write`."""
    for name, value in issuer.github_env().items():
        monkeypatch.setenv(name, value)
    return issuer


def _exchange(sandbox, subject_token: str, resource: str) -> dict:
    return _oidc.exchange_oidc_token(subject_token=subject_token, resource=resource, endpoint=sandbox.url)


def _post(sandbox, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(f"{sandbox.url}/oauth/token", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _refusals(sandbox) -> list[str]:
    return [e["outcome"] for e in sandbox.oidc_state()["audit"] if e["outcome"] != "issued"]


def test_oidc_login_of_huggingface_hub_publishes_to_its_repo_as_the_oidc_user(sandbox, github_job):
    owner = api(sandbox)
    owner.create_repo("acme/model", private=True)
    github_job.trust(sandbox, repos=[("model", "acme/model")])

    answer = _oidc.oidc_login(resource="acme/model", endpoint=sandbox.url)

    assert answer["token_type"] == "bearer" and answer["expires_in"] == 3600
    assert answer["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert answer["access_token"].startswith("hf_jwt_")
    # The id token asked GitHub for the endpoint as audience, as huggingface_hub does.
    assert len(github_job.minted) == 1
    ci = api(sandbox, answer["access_token"])
    ci.upload_file(path_or_fileobj=b"w", path_in_repo="w.bin", repo_id="acme/model")
    assert ci.model_info("acme/model").private is True
    commit = owner.list_repo_commits("acme/model")[0]
    assert commit.authors == ["[OIDC]"]
    me = ci.whoami()
    assert me["name"] == "[OIDC]"
    assert me["auth"]["accessToken"]["fineGrained"]["scoped"][0]["entity"] == {"type": "model", "name": "acme/model"}
    state = sandbox.oidc_state()
    assert state["publishers"][0]["lastUsedAt"] is not None
    assert state["audit"][-1]["subject"] == "repo:acme/ml-gitops:ref:refs/heads/main"


def test_huggingface_hub_token_lookup_uses_hf_oidc_resource(sandbox, github_job, monkeypatch):
    api(sandbox).create_repo("acme/data", repo_type="dataset")
    github_job.trust(sandbox, repos=[("dataset", "acme/data")])
    monkeypatch.setattr(constants, "ENDPOINT", sandbox.url)
    monkeypatch.setattr(_auth, "_OIDC_TOKEN_CACHE", None)
    monkeypatch.setenv("HF_OIDC_RESOURCE", "datasets/acme/data")

    token = _auth.get_token()

    assert token is not None and token.startswith("hf_jwt_")
    api(sandbox, token).upload_file(path_or_fileobj=b"r", path_in_repo="r.csv", repo_id="acme/data",
                                   repo_type="dataset")


def test_a_repo_token_writes_to_its_repo_only(sandbox, issuer):
    owner = api(sandbox)
    for repo_id, private in (("acme/mine", False), ("acme/public", False), ("acme/private", True)):
        owner.create_repo(repo_id, private=private)
    owner.create_repo("acme/mine", repo_type="dataset")
    issuer.trust(sandbox, repos=[("model", "acme/mine")])
    ci = api(sandbox, _exchange(sandbox, issuer.mint(audience=sandbox.url), "acme/mine")["access_token"])

    with pytest.raises(HfHubHTTPError) as refused:
        ci.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="acme/public")
    assert refused.value.response.status_code == 403
    assert "rights to write to the repo acme/public" in str(refused.value)
    with pytest.raises(HfHubHTTPError) as refused:  # same id, another type
        ci.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="acme/mine", repo_type="dataset")
    assert refused.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as refused:  # a pull request is a write too
        ci.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="acme/public", create_pr=True)
    assert refused.value.response.status_code == 403
    with pytest.raises(RepositoryNotFoundError):
        ci.model_info("acme/private")
    with pytest.raises(HfHubHTTPError) as refused:
        ci.create_repo("acme/new")
    assert refused.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError):
        ci.create_branch("acme/public", branch="b")
    ci.create_branch("acme/mine", branch="b")
    ci.create_tag("acme/mine", tag="v1")
    assert ci.model_info("acme/public").id == "acme/public"  # public reads are anyone's
    assert [c.title for c in owner.list_repo_commits("acme/public")] == ["initial commit"]


def test_issued_tokens_expire(sandbox, issuer):
    api(sandbox).create_repo("acme/m")
    issuer.trust(sandbox, repos=[("model", "acme/m")])
    sandbox.settings(oidc_token_ttl=120)
    answer = _exchange(sandbox, issuer.mint(audience=sandbox.url), "acme/m")
    assert answer["expires_in"] == 120
    ci = api(sandbox, answer["access_token"])
    ci.upload_file(path_or_fileobj=b"1", path_in_repo="a", repo_id="acme/m")

    assert sandbox.expire_oidc_tokens() == 1

    with pytest.raises(HfHubHTTPError) as refused:
        ci.upload_file(path_or_fileobj=b"2", path_in_repo="a", repo_id="acme/m")
    assert refused.value.response.status_code == 401
    assert "Invalid credentials in Authorization header" in str(refused.value)


def test_a_user_token_reads_gated_repos_and_nothing_private_nor_writes(sandbox, issuer):
    alice = api(sandbox, sandbox.token_for("alice"))
    owner = api(sandbox)
    for repo_id, private in (("sandbox/gated", False), ("sandbox/other-gated", False)):
        owner.create_repo(repo_id, private=private)
        owner.upload_file(path_or_fileobj=b"w", path_in_repo="w.txt", repo_id=repo_id)
        owner.update_repo_settings(repo_id, gated="manual")
    sandbox.seed("model", "sandbox/gated", granted=["alice"])
    alice.create_repo("alice/private", private=True)
    alice.create_repo("alice/own-gated")
    alice.upload_file(path_or_fileobj=b"o", path_in_repo="o.txt", repo_id="alice/own-gated")
    alice.update_repo_settings("alice/own-gated", gated="auto")
    issuer.trust(sandbox, users=["alice"])

    answer = _exchange(sandbox, issuer.mint(audience=sandbox.url), "alice")

    assert answer["access_token"].startswith("hf_oauth_")
    ci = api(sandbox, answer["access_token"])
    assert ci.whoami()["auth"]["accessToken"]["scopes"] == ["gated-repos"]
    from huggingface_hub import hf_hub_download
    for repo_id in ("sandbox/gated", "alice/own-gated"):
        hf_hub_download(repo_id, next(f for f in ci.list_repo_files(repo_id) if f.endswith(".txt")),
                        endpoint=sandbox.url, token=answer["access_token"], local_dir=str(sandbox.data_dir / "dl"))
    with pytest.raises(GatedRepoError):
        hf_hub_download("sandbox/other-gated", "w.txt", endpoint=sandbox.url, token=answer["access_token"])
    with pytest.raises(RepositoryNotFoundError):
        ci.model_info("alice/private")
    with pytest.raises(HfHubHTTPError) as refused:
        ci.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="alice/own-gated")
    assert refused.value.response.status_code == 403 and "read-only" in str(refused.value)
    with pytest.raises(HfHubHTTPError) as refused:
        ci.create_repo("alice/new")
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong audience", "audience"),
        ("expired", "time: expired"),
        ("not yet valid", "time: not yet valid"),
        ("issued in the future", "time: issued in the future"),
        ("signed by another key", "signature"),
        ("alg none", "signature: algorithm 'none'"),
        ("alg HS256 keyed with the public key", "signature: algorithm 'HS256'"),
        ("branch matching by prefix only", "claims"),
        ("another repository", "claims"),
        ("unknown issuer", "issuer"),
        ("repo with no publisher", "publisher"),
        ("repo that does not exist", "resource"),
        ("not a JWT", "malformed"),
    ],
)
def test_refused_exchanges_answer_invalid_grant_and_say_no_more(sandbox, issuer, case, reason):
    owner = api(sandbox)
    owner.create_repo("acme/m")
    owner.create_repo("acme/unpublished")
    issuer.trust(sandbox, repos=[("model", "acme/m"), ("model", "acme/gone")])
    aud, resource = sandbox.url, "acme/m"
    token = {
        "wrong audience": lambda: issuer.mint(audience="https://huggingface.co"),
        "expired": lambda: issuer.mint(audience=aud, exp=1_600_000_000),
        "not yet valid": lambda: issuer.mint(audience=aud, nbf=2_000_000_000_0),
        "issued in the future": lambda: issuer.mint(audience=aud, iat=2_000_000_000_0),
        "signed by another key": lambda: issuer.mint(audience=aud, key=Key(kid=issuer.key.kid)),
        "alg none": lambda: issuer.mint(audience=aud, key=None),
        "alg HS256 keyed with the public key": lambda: issuer.mint(audience=aud, alg="HS256"),
        "branch matching by prefix only": lambda: issuer.mint(
            audience=aud, **_job(ref="refs/heads/main-backup")),
        "another repository": lambda: issuer.mint(audience=aud, **_job(repository="mallory/ml-gitops")),
        "unknown issuer": lambda: issuer.mint(audience=aud, iss="https://gitlab.com"),
        "repo with no publisher": lambda: issuer.mint(audience=aud),
        "repo that does not exist": lambda: issuer.mint(audience=aud),
        "not a JWT": lambda: "not-a-jwt",
    }[case]()
    if case == "repo with no publisher":
        resource = "acme/unpublished"
    if case == "repo that does not exist":
        resource = "acme/gone"

    with pytest.raises(BadRequestError) as refused:
        _exchange(sandbox, token, resource)

    assert refused.value.response.status_code == 400
    assert refused.value.response.json() == {
        "error": "invalid_grant", "error_description": "The id token was not accepted for this resource."}
    assert _refusals(sandbox)[-1].startswith(reason), _refusals(sandbox)
    assert sandbox.oidc_state()["issued"] == 0


def _job(**changes: str) -> dict:
    claims = job_claims(**changes)
    return {k: claims[k] for k in ("repository", "ref", "workflow_ref", "sub")}


def test_an_es256_issuer_and_a_rotated_key_are_accepted(sandbox):
    owner = api(sandbox)
    owner.create_repo("acme/m")
    with Issuer(alg="ES256") as issuer:
        issuer.trust(sandbox, repos=[("model", "acme/m")])
        assert _exchange(sandbox, issuer.mint(audience=sandbox.url), "acme/m")["access_token"]
        fetches = issuer.jwks_fetches
        issuer.key = Key("ES256")  # the issuer rotates: the new key is published, the old kept
        issuer.keys.append(issuer.key)
        assert _exchange(sandbox, issuer.mint(audience=sandbox.url), "acme/m")["access_token"]
        assert issuer.jwks_fetches == fetches + 1


def test_claims_that_match_exactly_are_accepted_even_with_an_environment(sandbox, issuer):
    api(sandbox).create_repo("acme/m")
    claims = {"repository": "acme/ml-gitops", "ref": "refs/heads/main", "environment": "hub"}
    issuer.trust(sandbox, repos=[("model", "acme/m")], claims=claims)
    job = job_claims(environment="hub")
    assert _exchange(sandbox, issuer.mint(audience=sandbox.url, **job), "acme/m")["access_token"]
    with pytest.raises(BadRequestError):
        _exchange(sandbox, issuer.mint(audience=sandbox.url, **job_claims(environment="hub-staging")), "acme/m")


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"grant_type": "client_credentials"}, "grant_type"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:jwt"}, "subject_token_type"),
        ({"subject_token": ""}, "subject_token"),
        ({"resource": "a/b/c/d"}, "Invalid resource format"),
        ({"resource": None}, "resource"),
    ],
)
def test_malformed_exchanges_answer_invalid_request(sandbox, issuer, body, description):
    full = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "subject_token": issuer.mint(audience=sandbox.url), "resource": "acme/m", **body}
    status, answer = _post(sandbox, json.dumps({k: v for k, v in full.items() if v is not None}).encode())
    assert status == 400 and answer["error"] == "invalid_request"
    assert description in answer["error_description"]
    assert _post(sandbox, b"[1]")[1]["error"] == "invalid_request"


def test_a_form_encoded_exchange_as_rfc_8693_sends_it(sandbox, issuer):
    api(sandbox).create_repo("acme/space", repo_type="space", space_sdk="gradio")
    issuer.trust(sandbox, repos=[("space", "acme/space")])
    form = urllib.parse.urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "subject_token": issuer.mint(audience=sandbox.url), "resource": "spaces/acme/space"}).encode()
    status, answer = _post(sandbox, form, "application/x-www-form-urlencoded")
    assert status == 200 and answer["access_token"].startswith("hf_jwt_")


def test_admin_refuses_a_malformed_publisher(sandbox, issuer):
    with pytest.raises(urllib.error.HTTPError) as refused:
        sandbox.trusted_publishers({"publishers": [{"repo": "acme/m", "issuer": issuer.issuer, "claims": {}}]})
    assert refused.value.code == 400
    with pytest.raises(urllib.error.HTTPError):
        sandbox.trusted_publishers({"publishers": [{"repo": "acme/m", "issuer": "https://nowhere", "claims": {"a": "b"}}]})


def test_serve_takes_trusted_publishers_from_a_file(tmp_path, issuer):
    config = tmp_path / "publishers.json"
    config.write_text(json.dumps(issuer.config(repos=[("model", "sandbox/m")])))
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(tmp_path / "hub"),
         "--trusted-publishers", str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        token = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        api_ = api(type("S", (), {"url": url, "token": token}))
        api_.create_repo("sandbox/m")
        answer = _oidc.exchange_oidc_token(subject_token=issuer.mint(audience=url), resource="sandbox/m",
                                           endpoint=url)
        api(type("S", (), {"url": url, "token": answer["access_token"]})).upload_file(
            path_or_fileobj=b"x", path_in_repo="x", repo_id="sandbox/m")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)

    config.write_text('{"publishers": [')
    bad = subprocess.run([sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(tmp_path / "hub"),
                          "--trusted-publishers", str(config)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert f"{config}:1:" in bad.stderr and "Traceback" not in bad.stderr
