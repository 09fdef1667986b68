"""The metadata cache on its own: expiry, commits, atomic files, damaged entries, offline."""

from __future__ import annotations

import json

import pytest

from hfsync.environment import metadata_ttl
from hfsync.errors import HfsyncError, OfflineError
from hfsync.hub.metacache import CachedReads, MetadataCache, is_commit
from hfsync.units import describe_age

SHA = "0123456789abcdef0123456789abcdef01234567"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_branch_answers_expire_commit_answers_never(tmp_path):
    clock = Clock()
    cache = MetadataCache(tmp_path, ttl=60, clock=clock)
    reads = CachedReads(cache, "http://hub")
    fetched = []

    def fetch(value):
        return lambda hint: fetched.append((value, hint)) or value

    assert reads.read(("info", "model", "a/b", "main"), "x", fetch(1), immutable=False) == 1
    assert reads.read(("info", "model", "a/b", SHA), "x", fetch(2), immutable=True) == 2
    clock.now += 59
    assert reads.read(("info", "model", "a/b", "main"), "x", fetch(3), immutable=False) == 1
    clock.now += 10_000_000
    assert reads.read(("info", "model", "a/b", "main"), "x", fetch(4), immutable=False) == 4
    assert reads.read(("info", "model", "a/b", SHA), "x", fetch(5), immutable=True) == 2
    # The refetch of an expired entry knew the cache could have answered (for the slow warning).
    assert fetched == [(1, None), (2, None), (4, "from data 116 days old")]
    # Another endpoint is another entry.
    assert CachedReads(cache, "http://other").read(("info", "model", "a/b", SHA), "x", fetch(6), immutable=True) == 6


def test_entries_are_whole_files_and_damage_is_a_miss(tmp_path):
    cache = MetadataCache(tmp_path, ttl=60)
    key = ("http://hub", "search", "model", '{"q": 1}')
    cache.put(key, {"ids": ["a/b"]}, immutable=False)
    path = cache.path_for(key)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    record = json.loads(path.read_text())
    assert record["key"] == json.dumps(list(key), separators=(",", ":"))
    assert cache.get(key).value == {"ids": ["a/b"]}
    path.write_text(path.read_text()[:-5])  # a torn write from some other tool
    assert cache.get(key) is None
    path.write_text(json.dumps({**record, "key": "something else"}))  # a hash collision, in theory
    assert cache.get(key) is None


def test_an_unwritable_cache_does_not_fail_the_read(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    reads = CachedReads(MetadataCache(blocker / "metadata", ttl=60), "http://hub")
    assert reads.read(("k",), "x", lambda hint: 42, immutable=True) == 42


def test_offline_answers_any_age_and_misses_without_fetching(tmp_path):
    clock = Clock()
    cache = MetadataCache(tmp_path, ttl=60, clock=clock)
    CachedReads(cache, "http://hub").read(("k",), "x", lambda hint: "v", immutable=False)
    clock.now += 7200
    offline = CachedReads(cache, "http://hub", offline=True)

    def never(hint):
        raise AssertionError("offline must not fetch")

    assert offline.read(("k",), "x", never, immutable=False) == "v"
    assert offline.age_note() == "data 2 h old"
    with pytest.raises(OfflineError) as error:
        offline.read(("other",), "model acme/x", never, immutable=False)
    assert error.value.message == "Offline, and the metadata cache holds no answer for model acme/x from http://hub."


def test_ttl_from_the_environment(monkeypatch):
    assert metadata_ttl() == 900
    monkeypatch.setenv("HFSYNC_METADATA_TTL", "30")
    assert metadata_ttl() == 30
    monkeypatch.setenv("HFSYNC_METADATA_TTL", "soon")
    with pytest.raises(HfsyncError, match="HFSYNC_METADATA_TTL='soon' is not a number of seconds"):
        metadata_ttl()
    monkeypatch.setenv("HFSYNC_METADATA_TTL", "-1")
    with pytest.raises(HfsyncError, match="must not be negative"):
        metadata_ttl()


def test_small_helpers():
    assert is_commit(SHA) and not is_commit("main") and not is_commit(SHA.upper()) and not is_commit(None)
    assert [describe_age(s) for s in (5, 600, 7200, 86400 * 3)] == ["5 s", "10 min", "2 h", "3 days"]


def test_relocking_an_unmoved_revision_lists_no_files_again(sandbox, tmp_path, monkeypatch):
    from huggingface_hub import CommitOperationAdd, HfApi

    from tests.helpers import hfsync

    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/tree")
    api.create_commit("acme/tree", [CommitOperationAdd("config.json", b"{}")], commit_message="one")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: acme/tree\n    dest: vendor/tree\n")
    assert hfsync("--endpoint", sandbox.url, "lock").exit_code == 0
    first = (tmp_path / "hfsync.lock").read_text()
    sandbox.reset_stats()
    assert hfsync("--endpoint", sandbox.url, "lock", "--update").exit_code == 0
    routes = sandbox.stats()["routes"]
    assert (routes["GET repo-info"]["requests"], "GET tree" in routes) == (1, False)
    assert (tmp_path / "hfsync.lock").read_text() == first
    api.create_commit("acme/tree", [CommitOperationAdd("more.json", b"[]")], commit_message="two")
    assert hfsync("--endpoint", sandbox.url, "lock", "--update").exit_code == 0
    assert sandbox.stats()["routes"]["GET tree"]["requests"] == 1
    assert "more.json" in (tmp_path / "hfsync.lock").read_text()
