"""Reading the first bytes or a range of a file on the Hub: one request, never more bytes than asked."""

from __future__ import annotations

import pytest

from hfsync.errors import HubError
from hfsync.hub.client import Hub
from hfsync.hub.content import read_head, read_range
from tests.pull.conftest import safetensors_bytes

BIG = safetensors_bytes({"w": ("F32", [300_000])})  # LFS (by name), 1.2 MB


@pytest.fixture
def repo(sandbox, make_repo):
    commit = make_repo("acme/content", {"model.safetensors": BIG, "config.json": b'{"a": 1}\n'})
    return Hub(sandbox.url, sandbox.token), commit


def bytes_out(sandbox) -> int:
    return sandbox.stats()["bytes_out"]


def test_the_first_bytes_of_an_lfs_file_cost_that_many_bytes(sandbox, repo):
    hub, commit = repo
    sandbox.reset_stats()
    assert read_head(hub, "acme/content", "model", commit, "model.safetensors", 100) == BIG[:100]
    assert bytes_out(sandbox) < 100 + 4096  # the asked bytes, plus a redirect's headers at most


def test_a_range_in_the_middle_and_past_the_end(sandbox, repo):
    hub, commit = repo
    assert read_range(hub, "acme/content", "model", commit, "model.safetensors", 8, 16) == BIG[8:24]
    assert read_range(hub, "acme/content", "model", commit, "model.safetensors", len(BIG) - 4, 100) == BIG[-4:]
    assert read_head(hub, "acme/content", "model", commit, "config.json", 1000) == b'{"a": 1}\n'
    assert read_range(hub, "acme/content", "model", commit, "config.json", 0, 0) == b""


def test_a_missing_file_names_the_operation(repo):
    hub, commit = repo
    with pytest.raises(HubError, match=r"read nope\.json of acme/content: file not found on the Hub"):
        read_head(hub, "acme/content", "model", commit, "nope.json", 10)


def test_a_server_ignoring_range_is_read_only_as_far_as_asked(httpserver):
    body = bytes(range(256)) * 4096  # 1 MiB sent whole, status 200
    commit = "a" * 40
    httpserver.expect_request(f"/acme/x/resolve/{commit}/f.bin").respond_with_data(body, status=200)
    hub = Hub(httpserver.url_for("/").rstrip("/"), "hf_test_token")
    assert read_range(hub, "acme/x", "model", commit, "f.bin", 10, 20) == body[10:30]
