"""The Hub token goes to the Hub's origin only, on every path of hfsync's own Hub requests: a
fake Hub (a server on 127.0.0.1) names a second host (reached as localhost:PORT, recording
everything it receives) in a redirect, a next-page link or a 307 of a POST."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from hfsync.errors import HubError
from hfsync.hub.client import Hub
from tests.foreign import Host, Seen, credentials, leaks
from tests.helpers import hfsync

ID_TOKEN = "eyJ" + "idtokenpayload" * 4
DATA = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + b"w" * 4000
COMMIT = "c" * 40


def served(seen: Seen):
    return 200, {"Content-Length": str(len(DATA))}, DATA


@pytest.fixture
def token():
    """A token of this test alone: each is bound to the origins of the Hubs it was given to."""
    return "hf_" + uuid.uuid4().hex


@pytest.fixture
def foreign():
    with Host(served) as host:
        yield host


@pytest.fixture
def fake_hub(foreign):
    """A Hub whose file downloads redirect to ``foreign`` and whose listings name it as the next page."""

    def respond(seen: Seen):
        if "/resolve/" in seen.path:
            return 302, {"Location": f"{foreign.url}/cdn/model.safetensors"}, b""
        if seen.path == "/api/models":
            return 200, {"Content-Type": "application/json",
                         "Link": f'<{foreign.url}/api/models?cursor=2>; rel="next"'}, b'[{"id": "acme/a"}]'
        if seen.path.startswith("/api/models/acme/m1/commits/"):
            return 200, {"Content-Type": "application/json",
                         "Link": f'<{foreign.url}{seen.path}?p=1>; rel="next"'}, json.dumps(
                [{"id": "1" * 40, "title": "t", "authors": [], "date": "2026-01-01"}]).encode()
        if seen.path == "/oauth/token":
            return 307, {"Location": f"{foreign.url}/oauth/token"}, b""
        return 404, {}, b""

    with Host(respond) as hub:
        yield hub


@pytest.mark.parametrize("proxied", [False, True], ids=["lean-pool", "behind-a-proxy"])
def test_a_download_redirected_to_another_host_is_sent_there_without_the_token(fake_hub, foreign, token, tmp_path,
                                                                               monkeypatch, proxied):
    """The CDN case: the bytes come from the other host, the token stays with the Hub."""
    from hfsync.hub.download import Downloader
    from hfsync.model.lock import LockedFile

    if proxied:  # huggingface_hub's client (httpx2) instead of the standard-library pool
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    hub = Hub(fake_hub.ip_url, token)
    downloader = Downloader(hub)
    assert (downloader.pool is None) == proxied
    file = LockedFile("model.safetensors", len(DATA), sha256=hashlib.sha256(DATA).hexdigest())
    target = tmp_path / "model.safetensors"
    fetched = downloader.fetch(downloader.url("acme/m1", "model", COMMIT, file.path), file, target,
                               partial=tmp_path / "partial", label="acme/m1/model.safetensors", repo=("model", "acme/m1"))
    fetched.install()
    downloader.close()
    assert target.read_bytes() == DATA
    assert [s.path for s in foreign.seen] == ["/cdn/model.safetensors"]
    assert leaks(foreign.seen, credentials(token, ID_TOKEN)) == []
    assert [s.header("Authorization") for s in fake_hub.seen] == [f"Bearer {token}"]


def test_a_search_whose_next_page_is_on_another_host_stops_there(fake_hub, foreign, token, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_TOKEN", token)
    trace = tmp_path / "trace.jsonl"
    result = hfsync("--endpoint", fake_hub.ip_url, "--trace-file", str(trace), "search", "models", "--limit", "5")
    hub, there = f"127.0.0.1:{fake_hub.port}", f"localhost:{foreign.port}"
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"Error: GET /api/models on {there} was not sent: it would carry a token that "
                             f"goes only to {hub}\nHint: Ask the operator of {hub} why it names another host.\n")
    assert foreign.seen == []
    for output in (result.stdout, result.stderr, trace.read_text()):
        assert [s for s in credentials(token, ID_TOKEN) if s in output] == []


def test_upstream_history_whose_next_page_is_on_another_host_stops_there(fake_hub, foreign, token):
    from hfsync.hub.history import commits_between

    with pytest.raises(HubError, match=f"GET /api/models/acme/m1/commits/{COMMIT} on localhost:{foreign.port} was "
                                       "not sent: it would carry a token that goes only to"):
        commits_between(Hub(fake_hub.ip_url, token), "acme/m1", "model", "0" * 40, COMMIT)
    assert foreign.seen == []


def test_an_oidc_exchange_redirected_to_another_host_keeps_the_id_token_home(fake_hub, foreign):
    from hfsync.hub import session
    from hfsync.hub.internals import exchange_oidc_token

    session.install()
    hub = f"127.0.0.1:{fake_hub.port}"
    with pytest.raises(HubError) as caught:
        exchange_oidc_token(ID_TOKEN, "acme/m1", fake_hub.ip_url)
    assert caught.value.message == (f"{hub} redirected POST /oauth/token to another host, localhost:{foreign.port}; "
                                    f"not followed: the request's body goes only to {hub}")
    assert foreign.seen == []
    assert [s.path for s in fake_hub.seen] == ["/oauth/token"]
    assert ID_TOKEN.encode() in fake_hub.seen[0].body  # the Hub itself was asked


@pytest.mark.parametrize("proxied", [False, True], ids=["no-proxy", "behind-a-proxy"])
def test_partial_reads_and_cards_redirected_to_another_host_arrive_without_the_token(fake_hub, foreign, token,
                                                                                     monkeypatch, proxied):
    """hub.content (a diff's Range read) and hub.discover (a card, follow_redirects=True)."""
    from hfsync.hub.content import read_range
    from hfsync.hub.discover import card_text

    if proxied:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    hub = Hub(fake_hub.ip_url, token)
    assert read_range(hub, "acme/m1", "model", COMMIT, "model.safetensors", 0, 16) == DATA[:16]
    assert card_text(hub, "model", "acme/m1", COMMIT) == DATA.decode()
    assert [s.path for s in foreign.seen] == ["/cdn/model.safetensors"] * 2
    assert leaks(foreign.seen, credentials(token)) == []
    assert {s.header("Authorization") for s in fake_hub.seen} == {f"Bearer {token}"}
