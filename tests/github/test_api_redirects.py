"""The GitHub token goes to the API's origin only: a redirect to another host (a second server
on 127.0.0.1 that records what it receives; the fake API is reached as localhost) is refused,
not followed."""

from __future__ import annotations

import pytest

from tests.foreign import Host, credentials, leaks
from tests.github.conftest import GITHUB_TOKEN, PR, REPO
from tests.github.test_comment import COMMENTS, _comment, _plan
from tests.helpers import hfsync


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_refused_and_never_gets_the_token(github, tmp_path, status):
    with Host(lambda seen: (200, {"Content-Type": "application/json"}, b"[]")) as foreign:
        github.server.expect_request(COMMENTS, method="GET").respond_with_data(
            "", status=status, headers={"Location": f"{foreign.ip_url}/steal?page=1"})
        trace = tmp_path / "trace.jsonl"
        result = hfsync("--trace-file", str(trace), "github", "comment", _plan(tmp_path))
    api = f"localhost:{github.server.port}"
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"Error: the GitHub API at {api} redirected GET {COMMENTS} to another host, 127.0.0.1:{foreign.port}; "
        f"not followed: the token goes only to {api}\n"
        "Hint: Check GITHUB_API_URL, and any proxy between this machine and the API.\n")
    assert foreign.seen == []
    secrets = credentials(GITHUB_TOKEN)
    assert [s for s in secrets if s in result.output + (trace.read_text() if trace.exists() else "")] == []


def test_a_redirect_that_lands_on_another_host_after_a_same_origin_hop_sends_nothing_there(github, tmp_path):
    with Host(lambda seen: (200, {"Content-Type": "application/json"}, b"[]")) as foreign:
        github.server.expect_request(COMMENTS, method="GET").respond_with_data(
            "", status=301, headers={"Location": f"/repositories/1/issues/{PR}/comments"})
        github.server.expect_request(f"/repositories/1/issues/{PR}/comments", method="GET").respond_with_data(
            "", status=302, headers={"Location": f"{foreign.ip_url}/steal"})
        result = hfsync("github", "comment", _plan(tmp_path))
    assert result.exit_code == 1
    assert f"redirected GET /repositories/1/issues/{PR}/comments to another host, 127.0.0.1:{foreign.port}" \
        in result.stderr
    assert leaks(foreign.seen, credentials(GITHUB_TOKEN)) == [] and foreign.seen == []
    # The hop within the API's origin was followed with the token, as urllib does.
    assert [r.headers.get("Authorization") for r in github.requests()] == [f"Bearer {GITHUB_TOKEN}"] * 2


def test_a_redirect_within_the_api_origin_is_followed(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_data(
        "", status=301, headers={"Location": f"/repositories/1/issues/{PR}/comments"})
    github.server.expect_request(f"/repositories/1/issues/{PR}/comments", method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json(_comment(1, "x"), status=201)
    result = hfsync("github", "comment", _plan(tmp_path))
    assert result.exit_code == 0, result.output
    assert [r.path for r in github.requests()] == [COMMENTS, f"/repositories/1/issues/{PR}/comments", COMMENTS]
    assert REPO in COMMENTS


@pytest.mark.parametrize("proxy_auth", [False, True], ids=["plain-proxy", "proxy-with-user"])
def test_the_api_is_reached_through_a_proxy_and_only_the_api_gets_the_token(github, tmp_path, monkeypatch,
                                                                           proxy_auth):
    import base64

    from tests.foreign import forward

    github.server.expect_request(COMMENTS, method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json(_comment(1, "x"), status=201)
    with Host(forward) as proxy:
        user = "u:proxy-pw-2b@" if proxy_auth else ""
        for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://{user}127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "")
        result = hfsync("github", "comment", _plan(tmp_path))
    assert result.exit_code == 0, result.output
    api = github.server.url_for("/").rstrip("/")
    assert [(s.method, s.target.split("?")[0]) for s in proxy.seen] == [("GET", api + COMMENTS), ("POST", api + COMMENTS)]
    assert {s.header("Authorization") for s in proxy.seen} == {f"Bearer {GITHUB_TOKEN}"}
    given = f"Basic {base64.b64encode(b'u:proxy-pw-2b').decode()}" if proxy_auth else None
    assert {s.header("Proxy-Authorization") for s in proxy.seen} == {given}
    assert len(github.requests()) == 2
    assert "proxy-pw-2b" not in result.output and GITHUB_TOKEN not in result.output
