"""Listing and search through list_models / list_datasets / list_spaces."""

from __future__ import annotations

import pytest

from tests.sandbox.hubapi import api


@pytest.fixture
def catalogue(sandbox):
    hub = api(sandbox)
    cards = {
        "sandbox/bert-small": "---\nlicense: mit\ntags: [nlp]\npipeline_tag: fill-mask\n---\n",
        "sandbox/bert-large": "---\nlicense: apache-2.0\ntags: [nlp, large]\n---\n",
        "acme/vit": "---\nlicense: mit\ntags: [vision]\n---\n",
        "acme/other": None,
    }
    for i, (repo_id, card) in enumerate(cards.items()):
        hub.create_repo(repo_id)
        if card:
            hub.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md",
                            repo_id=repo_id)
        sandbox.seed("model", repo_id, likes=10 * i, downloads=100 - i)
    return hub


def test_search_author_filter(sandbox, catalogue):
    hub = catalogue
    assert sorted(m.id for m in hub.list_models(search="bert")) == [
        "sandbox/bert-large", "sandbox/bert-small"]
    assert sorted(m.id for m in hub.list_models(author="acme")) == ["acme/other", "acme/vit"]
    assert [m.id for m in hub.list_models(filter="vision")] == ["acme/vit"]
    assert [m.id for m in hub.list_models(filter=["nlp", "large"])] == ["sandbox/bert-large"]
    assert sorted(m.id for m in hub.list_models(filter="license:mit")) == [
        "acme/vit", "sandbox/bert-small"]
    assert [m.id for m in hub.list_models(pipeline_tag="fill-mask")] == ["sandbox/bert-small"]


def test_sort_limit_and_pagination(sandbox, catalogue):
    hub = catalogue
    assert [m.id for m in hub.list_models(sort="likes")] == [
        "acme/other", "acme/vit", "sandbox/bert-large", "sandbox/bert-small"]
    assert [m.likes for m in hub.list_models(sort="likes", limit=2)] == [30, 20]
    assert [m.id for m in hub.list_models(sort="downloads", limit=1)] == ["sandbox/bert-small"]
    newest = [m.id for m in hub.list_models(sort="created_at")]
    assert newest[0] == "acme/other"
    # Pages of one item, followed through the Link header by the client.
    sandbox.reset_stats()
    import httpx2

    seen, url = [], f"{sandbox.url}/api/models?limit=1&sort=likes"
    while url:
        response = httpx2.get(url)
        seen += [m["id"] for m in response.json()]
        url = response.links.get("next", {}).get("url")
    assert seen == ["acme/other", "acme/vit", "sandbox/bert-large", "sandbox/bert-small"]
    assert sandbox.stats()["routes"]["GET repo-list"]["requests"] == 4


def test_full_card_data_expand(sandbox, catalogue):
    hub = catalogue
    full = {m.id: m for m in hub.list_models(author="sandbox", full=True)}
    assert {s.rfilename for s in full["sandbox/bert-small"].siblings} == {
        ".gitattributes", "README.md"}
    assert len(full["sandbox/bert-small"].sha) == 40
    with_card = {m.id: m for m in hub.list_models(author="sandbox", cardData=True)}
    assert with_card["sandbox/bert-large"].card_data["license"] == "apache-2.0"
    expanded = list(hub.list_models(search="vit", expand=["downloads", "likes"]))
    assert expanded[0].downloads == 98 and expanded[0].likes == 20
    assert expanded[0].tags is None  # not asked for


def test_datasets_and_spaces(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/reviews", repo_type="dataset")
    hub.upload_file(path_or_fileobj=b"---\nlanguage: [en]\ntask_categories: [text-classification]\n---\n",
                    path_in_repo="README.md", repo_id="sandbox/reviews", repo_type="dataset")
    hub.create_repo("sandbox/demo", repo_type="space", space_sdk="streamlit")
    datasets = list(hub.list_datasets(filter="task_categories:text-classification"))
    assert [d.id for d in datasets] == ["sandbox/reviews"]
    assert [d.id for d in hub.list_datasets(filter="language:en")] == ["sandbox/reviews"]
    spaces = list(hub.list_spaces(search="demo"))
    assert [s.id for s in spaces] == ["sandbox/demo"] and spaces[0].sdk == "streamlit"
    assert hub.space_info("sandbox/demo").sdk == "streamlit"
