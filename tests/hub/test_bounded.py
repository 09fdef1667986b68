"""Every answer read whole from a server is read up to a stated limit (hub.bounded), against a
hostile server (tests.hostile) that never stops sending and counts what got out."""

from __future__ import annotations

import json

import pytest

from tests.helpers import hfsync
from tests.hostile import SLACK, EndlessServer

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def hostile():
    servers = []

    def start(routes, cap=160 * MIB):
        servers.append(EndlessServer(routes, cap=cap))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def manifest(tmp_path, text="version: 1\npulls:\n  - id: acme/m\n    dest: vendor/m\n"):
    (tmp_path / "hfsync.yaml").write_text(text)
    return str(tmp_path / "hfsync.yaml")


def test_an_endless_repo_info_stops_lock_at_the_hub_json_limit(hostile, tmp_path):
    route = "/api/models/acme/m/revision/main"
    server = hostile({route: (200, JSON, b'{"id": "acme/m", "siblings": [', b'{"rfilename": "x"}, ' * 4096)})
    result = hfsync("--endpoint", server.url, "--no-progress", "lock", "-f", manifest(tmp_path))
    assert result.exit_code == 1, result.output
    assert f"{server.host} sent more than 64 MiB, the most hfsync reads for that answer; it stopped reading there" \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "hfsync.lock").exists()
    assert server.sent_to(route) <= 64 * MIB + SLACK


def test_an_endless_listing_through_huggingface_hubs_client_stops_at_the_limit(hostile):
    server = hostile({"/api/models": (200, JSON, b"[", b'{"id": "acme/x", "tags": []}, ' * 2048)})
    result = hfsync("--endpoint", server.url, "search", "models", "bert")
    assert result.exit_code == 1, result.output
    assert (f"GET /api/models: {server.host} sent more than 64 MiB, the most hfsync reads for that answer; "
            "it stopped reading there") in result.stderr
    assert server.sent_to("/api/models") <= 64 * MIB + SLACK


def test_an_endless_redirect_body_is_left_unread_and_the_redirect_followed(hostile, tmp_path):
    from hfsync.hub.bounded import ERROR_PAGE

    commit = "1" * 40
    server = hostile({})
    server.routes.update({
        "/api/models/acme/m/revision/main": (302, {"Location": "/api/real/revision"}, b"<html>", b"moved " * 8192),
        "/api/real/revision": (200, JSON, json.dumps({"id": "acme/m", "sha": commit, "siblings": []}).encode(), b""),
        f"/api/models/acme/m/tree/{commit}": (200, JSON, b"[]", b""),
    })
    result = hfsync("--endpoint", server.url, "--no-progress", "lock", "-f", manifest(tmp_path))
    assert result.exit_code == 0, result.output
    assert server.sent_to("/api/models/acme/m/revision/main") <= ERROR_PAGE + SLACK


def test_an_endless_github_api_answer_stops_at_its_limit(hostile):
    from hfsync.errors import HfsyncError
    from hfsync.github.api import ANSWER_LIMIT, Api, GitHubContext

    route = "/repos/o/r/issues/7/comments"
    server = hostile({route: (200, JSON, b"[", b'{"id": 1, "body": "x"}, ' * 4096)}, cap=64 * MIB)
    context = GitHubContext(server.url, "ghs_secret", "o/r", 7, None, None, False)
    with pytest.raises(HfsyncError) as caught:
        Api(context).request("GET", "issues/7/comments")
    assert str(caught.value) == (f"GitHub API GET {route}: {server.host} sent more than 16 MiB, the most hfsync "
                                 "reads for that answer; it stopped reading there")
    assert server.sent_to(route) <= ANSWER_LIMIT + SLACK


def test_an_endless_xet_reconstruction_stops_at_the_limit(hostile):
    from hfsync.hub.bounded import TooLarge
    from hfsync.hub.client import Credentials, Hub
    from hfsync.hub.download import Downloader
    from hfsync.hub.xetpull import XetReader

    route = "/v1/reconstructions/"
    server = hostile({route: (200, JSON, b'{"terms": [', b'{"hash": "x"}, ' * 4096)})
    downloader = Downloader(Hub(server.url, credentials=Credentials(None)))
    reader = object.__new__(XetReader)  # the reader of one answer: its Hub plays no part in it
    reader.get = downloader.get
    try:
        with pytest.raises(TooLarge) as caught:
            reader._small(f"{server.url}{route}abc", {})
    finally:
        downloader.close()
    assert str(caught.value).startswith(f"read a Xet reconstruction: {server.host} sent more than 64 MiB")
    assert server.sent_to(route) <= 64 * MIB + SLACK


def test_an_endless_redirect_body_is_left_unread_by_huggingface_hubs_client_too(hostile):
    from hfsync.hub.bounded import ERROR_PAGE

    server = hostile({
        "/api/models?": (302, {"Location": "/api/listing"}, b"<html>", b"moved " * 8192),
        "/api/listing": (200, JSON, b"[]", b""),
    })
    result = hfsync("--endpoint", server.url, "search", "models", "bert")
    assert result.exit_code == 0, result.output
    assert server.sent_to("/api/models?") <= ERROR_PAGE + SLACK


def test_an_endless_redirect_body_is_left_unread_by_the_registry_client(hostile, tmp_path, monkeypatch):
    from hfsync.hub.bounded import ERROR_PAGE
    from hfsync.hub.retry import Retry
    from hfsync.registry.client import Reference, Registry

    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "no-auth.json"))
    route = "/v2/models/acme/m1/manifests/c"
    server = hostile({
        route: (307, {"Location": "/elsewhere/manifest"}, b"<html>", b"moved " * 8192),
        "/elsewhere/manifest": (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
                                b'{"layers": []}', b""),
    })
    client = Registry(Reference.parse(f"oci://{server.host}/models"), Retry())
    try:
        assert client.get_manifest("models/acme/m1", "c") == {"layers": []}
    finally:
        client.close()
    assert server.sent_to(route) <= ERROR_PAGE + SLACK
