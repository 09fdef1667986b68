"""hfsync search against the seeded sandbox: server-side filters, client-side filters,
sorting, limits, pagination, the metadata cache and offline answers."""

from __future__ import annotations

import json

import pytest

from hfsync.discover.search import SearchQuery, run_search
from hfsync.discover.session import Lookup
from hfsync.hub.metacache import MetadataCache
from tests.discover.conftest import CATALOGUE, requests_to
from tests.helpers import hfsync


def search(hub, *args: str) -> list[str]:
    result = hfsync("--endpoint", hub.url, "search", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return [item["id"] for item in json.loads(result.stdout)["results"]]


def expected(predicate, sort=None, limit=20, kind="model") -> list[str]:
    seeds = [s for s in CATALOGUE if s.type == kind and predicate(s)]
    if sort:
        seeds.sort(key=lambda s: (getattr(s, sort), s.id), reverse=True)
    return [s.id for s in seeds][:limit]


def safetensors(seed) -> bool:
    return any(name.endswith(".safetensors") for name in seed.files)


@pytest.mark.parametrize(
    ("args", "predicate"),
    [
        (["model-1"], lambda s: "model-1" in s.id),
        (["--author", "sandbox"], lambda s: s.id.startswith("sandbox/")),
        (["--task", "token-classification"], lambda s: s.card.get("pipeline_tag") == "token-classification"),
        (["--library", "peft"], lambda s: s.card.get("library_name") == "peft"),
        (["--license", "mit"], lambda s: s.license == "mit"),
        (["--tag", "edge"], lambda s: "edge" in s.card.get("tags", [])),
        (["--tag", "edge", "--tag", "demo", "--task", "text-generation"],
         lambda s: "edge" in s.card.get("tags", []) and s.card.get("pipeline_tag") == "text-generation"),
    ],
)
def test_server_side_filters(hub, args, predicate):
    ids = search(hub, "models", *args, "--sort", "likes", "--limit", "100")
    assert ids == expected(predicate, sort="likes", limit=100)
    assert ids  # every filter matches something: an empty answer would prove nothing
    assert requests_to(hub, "GET repo-list") == 1


@pytest.mark.parametrize(
    ("args", "predicate"),
    [
        (["--license", "mit", "--license", "llama3"], lambda s: s.license in ("mit", "llama3")),
        (["--min-likes", "30"], lambda s: s.likes >= 30),
        (["--min-downloads", "1150"], lambda s: s.downloads >= 1150),
        (["--safetensors"], safetensors),
        (["--safetensors", "--license", "apache-2.0", "--license", "llama3", "--min-likes", "10"],
         lambda s: safetensors(s) and s.license in ("apache-2.0", "llama3") and s.likes >= 10),
    ],
)
def test_client_side_filters(hub, args, predicate):
    ids = search(hub, "models", *args, "--sort", "downloads", "--limit", "100")
    assert ids == expected(predicate, sort="downloads", limit=100)
    assert ids


@pytest.mark.parametrize(("sort", "field"), [("likes", "likes"), ("downloads", "downloads"),
                                              ("created", "age_days"), ("updated", "age_days")])
def test_sort_and_limit(hub, sort, field):
    ids = search(hub, "models", "--author", "acme", "--sort", sort, "--limit", "5")
    if field == "age_days":  # newest first: the smallest age
        seeds = sorted((s for s in CATALOGUE if s.id.startswith("acme/model")), key=lambda s: s.age_days)
        assert ids == [s.id for s in seeds][:5]
    else:
        assert ids == expected(lambda s: s.id.startswith("acme/"), sort=field, limit=5)


def test_datasets_and_spaces(hub):
    assert search(hub, "datasets", "--task", "text-classification") == ["acme/reviews"]
    assert search(hub, "datasets", "--sort", "likes") == ["acme/corpus", "acme/reviews"]
    assert search(hub, "spaces", "--library", "streamlit") == ["acme/board"]
    assert search(hub, "spaces", "--sort", "likes", "--limit", "1") == ["acme/board"]


def test_pagination_stops_once_the_limit_passes_the_client_filters(hub):
    lookup = Lookup.open(hub.url)
    query = SearchQuery("model", author="acme", min_downloads=1100, sort="likes", limit=3)
    found = run_search(lookup, query, page_size=4)
    assert [f.id for f in found] == expected(
        lambda s: s.id.startswith("acme/") and s.downloads >= 1100, sort="likes", limit=3)
    # Pages of 4, sorted by likes; the third match is in the second page: no third page.
    matches_needed = [s for s in sorted(CATALOGUE[:24], key=lambda s: (s.likes, s.id), reverse=True)]
    position = [i for i, s in enumerate(matches_needed) if s.downloads >= 1100][2]
    assert requests_to(hub, "GET repo-list") == position // 4 + 1 < 24 // 4


def test_a_minimum_on_the_sort_key_stops_at_the_floor(hub):
    lookup = Lookup.open(hub.url)
    found = run_search(lookup, SearchQuery("model", sort="likes", min_likes=45, limit=50), page_size=2)
    assert [f.id for f in found] == expected(lambda s: s.likes >= 45, sort="likes", limit=50)
    # Two items of >= 45 likes; the page that shows the first below 45 is the last one read.
    assert requests_to(hub, "GET repo-list") == 2


def test_table_shows_the_columns(hub):
    result = hfsync("--endpoint", hub.url, "search", "models", "sentiment-adapter")
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == ["id", "task", "library", "license", "downloads", "likes", "updated", "safetensors"]
    assert row.split() == ["sandbox/sentiment-adapter", "text-classification", "peft", "apache-2.0",
                           "20", "2", "2023-10-14", "yes"]
    pickle_row = hfsync("--endpoint", hub.url, "search", "models", "model-03").stdout.splitlines()[1]
    assert pickle_row.split()[-1] == "no"


def test_no_match_and_bad_combinations(hub):
    result = hfsync("--endpoint", hub.url, "search", "models", "nothing-like-this")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No models match.\n")
    result = hfsync("--endpoint", hub.url, "search", "spaces", "--sort", "downloads")
    assert result.exit_code == 1
    assert result.stderr == "Error: spaces cannot be sorted by downloads.\nHint: Sort by likes, updated or created.\n"
    result = hfsync("--endpoint", hub.url, "search", "spaces", "--task", "x")
    assert (result.exit_code, result.stderr) == (1, "Error: --task applies to models and datasets, not spaces.\n")
    assert requests_to(hub, "GET repo-list") == 1


def test_a_repeated_search_is_answered_by_the_cache(hub):
    first = search(hub, "models", "--task", "text-generation", "--safetensors")
    assert requests_to(hub, "GET repo-list") == 1
    assert search(hub, "models", "--task", "text-generation", "--safetensors") == first
    assert hub.stats()["requests"] == 1
    # A different query is a different entry.
    search(hub, "models", "--task", "text-generation")
    assert requests_to(hub, "GET repo-list") == 2


def test_ttl_zero_refetches(hub, monkeypatch):
    monkeypatch.setenv("HFSYNC_METADATA_TTL", "0")
    search(hub, "models", "--author", "sandbox")
    search(hub, "models", "--author", "sandbox")
    assert requests_to(hub, "GET repo-list") == 2
    monkeypatch.delenv("HFSYNC_METADATA_TTL")
    search(hub, "models", "--author", "sandbox", "--ttl", "0")
    assert requests_to(hub, "GET repo-list") == 3


def test_ttl_expiry_with_an_injected_clock(hub):
    now = [1000.0]
    cache = MetadataCache(ttl=60, clock=lambda: now[0])
    query = SearchQuery("model", author="sandbox")
    run_search(Lookup.open(hub.url, cache=cache), query)
    now[0] += 59
    run_search(Lookup.open(hub.url, cache=cache), query)
    assert requests_to(hub, "GET repo-list") == 1
    now[0] += 2
    run_search(Lookup.open(hub.url, cache=cache), query)
    assert requests_to(hub, "GET repo-list") == 2


def test_offline_answers_from_the_cache_and_says_how_old(hub, monkeypatch):
    online = search(hub, "models", "--license", "mit")
    hub.reset_stats()
    result = hfsync("--endpoint", hub.url, "search", "models", "--license", "mit", "--offline", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [item["id"] for item in json.loads(result.stdout)["results"]] == online
    assert result.stderr.startswith("Offline: answered from the metadata cache (data ")
    assert result.stderr.endswith(" s old).\n")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HFSYNC_METADATA_TTL", "0")  # offline, even expired entries answer
    assert search(hub, "models", "--license", "mit") == online
    assert hub.stats()["requests"] == 0


def test_offline_miss_fails_clearly_without_a_request(hub):
    result = hfsync("--endpoint", hub.url, "search", "models", "--license", "gpl", "--offline")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Offline, and the metadata cache holds no answer for this search of models from {hub.url}.\n"
        "Hint: Run the same command once online to cache it, or drop --offline/HF_HUB_OFFLINE.\n"
    )
    assert hub.stats()["requests"] == 0


def test_rate_limits_are_waited_out_on_every_page(hub):
    hub.add_faults([{"method": "GET", "path": "^/api/models$", "action": "status", "status": 429,
                     "retry_after": 0, "times": 2}])
    lookup = Lookup.open(hub.url)
    found = run_search(lookup, SearchQuery("model", author="acme", sort="likes", limit=6), page_size=3)
    assert [f.id for f in found] == expected(lambda s: s.id.startswith("acme/"), sort="likes", limit=6)
    assert requests_to(hub, "GET repo-list") == 2 + 2  # two pages, two refusals
