"""hub.reads: plan's metadata reads without huggingface_hub's client, answering as it answers."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.hf_api import DatasetInfo, ModelInfo, SpaceInfo

from hfsync.errors import HubError
from hfsync.hub.client import Hub
from hfsync.hub.publish import Publisher
from hfsync.hub.reads import Reader, card_data

CARDS = [
    {},
    {"license": "mit", "library_name": "transformers", "tags": ["a", "b"], "datasets": ["x/y"]},
    {"license": "mit", "tags": ["a", "a", "b"]},
    {"tags": "single"},
    {"license": None, "language": ["en"], "nested": {"k": None}},
    {"model-index": [{"name": "m", "results": [{"task": {"type": "text-classification"},
                                                 "dataset": {"type": "d", "name": "d"},
                                                 "metrics": [{"type": "accuracy", "value": 0.9}]}]}],
     "license": "mit"},
    {"model-index": "not a list"},
    {"train-eval-index": [{"config": "default"}], "pretty_name": "P"},
    {"sdk": "gradio", "title": "T", "tags": ["x", "x"]},
]


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize(("repo_type", "info"), [("model", ModelInfo), ("dataset", DatasetInfo), ("space", SpaceInfo)])
def test_card_data_reads_as_huggingface_hubs_repo_info(card, repo_type, info):
    parsed = info(id="a/b", cardData=card).card_data
    assert card_data(card, repo_type) == (parsed.to_dict() if parsed else {})


def test_a_read_is_the_same_remote_state_the_client_reads(sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/same")
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\ntags: [a]\n---\n# M\n", path_in_repo="README.md",
                    repo_id="sandbox/same")
    api.upload_file(path_or_fileobj=b"x" * 2000, path_in_repo="w/model.safetensors", repo_id="sandbox/same")
    api.create_tag("sandbox/same", tag="v1")
    publisher = Publisher(Hub(sandbox.url, sandbox.token))
    remote = publisher.read("sandbox/same", "model", "main", tags=True)
    info = api.model_info("sandbox/same", expand=["sha", "private", "gated", "cardData"])
    assert (remote.head, remote.private, remote.gated, remote.card_data) == (
        info.sha, info.private, info.gated, info.card_data.to_dict())
    listed = {f.path: f for f in api.list_repo_tree("sandbox/same", recursive=True) if hasattr(f, "blob_id")}
    assert {p: (f.size, f.oid, f.lfs_sha256) for p, f in remote.files.items()} == {
        p: (f.size, f.blob_id, f.lfs.sha256 if f.lfs else None) for p, f in listed.items()}
    assert remote.tags == {"v1": info.sha} and remote.branch_exists
    assert publisher.read("sandbox/same", "model", "dev").branch_exists is False
    assert publisher.read("sandbox/nothing-here", "model", "main").exists is False
    assert publisher.head("sandbox/same", "model", "main") == (True, info.sha)
    assert publisher.head("sandbox/nothing-here", "model", "main") == (False, None)


def test_pages_follow_the_link_header(sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/many")
    api.upload_folder(folder_path=_folder(1500), repo_id="sandbox/many")
    publisher = Publisher(Hub(sandbox.url, sandbox.token))
    assert len(publisher.read("sandbox/many", "model", "main").files) == 1501  # two pages, and .gitattributes


def _folder(count: int) -> str:
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp())
    for i in range(count):
        (root / f"f{i:04}.txt").write_text(str(i))
    return str(root)


def test_refusals_are_worded_as_for_any_request(sandbox):
    publisher = Publisher(Hub(sandbox.url, "hf_not_a_token"))
    with pytest.raises(HubError) as caught:
        publisher.read("sandbox/x", "model", "main")
    assert caught.value.message == ("read sandbox/x: the Hub refused the token (401 Unauthorized): it is invalid, "
                                    "expired or revoked.")
    assert "hf_not_a_token" not in str(caught.value) + (caught.value.hint or "")


def test_with_a_proxy_configured_the_reads_go_through_huggingface_hubs_client(sandbox, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    hub = Hub(sandbox.url, sandbox.token)
    assert Reader(hub).pool is None
    HfApi(endpoint=sandbox.url, token=sandbox.token).create_repo("sandbox/proxied")
    assert Publisher(hub).read("sandbox/proxied", "model", "main").exists


def test_a_next_page_on_another_host_is_not_followed_and_never_gets_the_token(httpserver):
    from werkzeug import Response

    token = "hf_" + "NextPageTokenCanary0123456789ab"
    other = "http://127.0.0.1:9/api/models/a/b/tree/main?cursor=x"  # nothing listens there
    seen: list[str] = []

    def listing(request):  # type: ignore[no-untyped-def]
        seen.append(request.headers.get("authorization", ""))
        return Response("[]", content_type="application/json", headers={"Link": f'<{other}>; rel="next"'})

    httpserver.expect_request("/api/models/a/b/tree/main").respond_with_handler(listing)
    reader = Reader(Hub(httpserver.url_for("").rstrip("/"), token))
    try:
        with pytest.raises(HubError) as caught:
            reader.pages("/api/models/a/b/tree/main")
    finally:
        reader.close()
    assert caught.value.message == ("the Hub's listing of /api/models/a/b/tree/main named its next page on "
                                    "another host (http://127.0.0.1:9); it was not followed")
    assert seen == [f"Bearer {token}"]
    assert token not in caught.value.message


def test_a_listing_is_read_a_page_at_a_time_as_its_reader_goes(httpserver):
    """The next page is asked for only once the reader is done with the one before: a listing
    of 100,000 files is held a page at a time."""
    from werkzeug import Response

    seen: list[str] = []

    def listing(request):  # type: ignore[no-untyped-def]
        cursor = request.args.get("cursor", "0")
        seen.append(cursor)
        headers = {"Link": f'<{httpserver.url_for("/api/models/a/b/tree/main")}?cursor=1>; rel="next"'}
        return Response(f'[{{"page": {cursor}}}]', content_type="application/json",
                        headers=headers if cursor == "0" else {})

    httpserver.expect_request("/api/models/a/b/tree/main").respond_with_handler(listing)
    reader = Reader(Hub(httpserver.url_for("").rstrip("/"), None))
    try:
        pages = reader.each_page("/api/models/a/b/tree/main")
        assert next(pages) == [{"page": 0}]
        assert seen == ["0"]
        assert list(pages) == [[{"page": 1}]]
    finally:
        reader.close()
    assert seen == ["0", "1"]
