"""Each fault action as a client sees it, and exact byte counters."""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

from tests.sandbox.hubapi import api


@pytest.fixture
def repo(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/f")
    data = os.urandom(11 * 1024 * 1024)
    hub.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id="sandbox/f")
    hub.upload_file(path_or_fileobj=b"x" * 1000, path_in_repo="t.txt", repo_id="sandbox/f")
    return hub, data


def test_status_429_has_retry_after_and_ratelimit_headers(sandbox, repo):
    sandbox.add_faults([{"method": "GET", "path": "/api/models/sandbox/f$", "action": "status",
                         "status": 429, "retry_after": 3, "times": 1}])
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{sandbox.url}/api/models/sandbox/f")
    headers = caught.value.headers
    assert caught.value.code == 429
    assert headers["Retry-After"] == "3"
    assert headers["RateLimit"] == '"api";r=0;t=3'
    assert headers["RateLimit-Policy"] == '"fixed window";"api";q=500;w=300'
    # The rule was used up: the next request goes through.
    assert urllib.request.urlopen(f"{sandbox.url}/api/models/sandbox/f").status == 200


def test_status_429_retried_by_the_client(sandbox, repo):
    hub, _ = repo
    sandbox.add_faults([{"method": "POST", "path": "/preupload/", "action": "status",
                         "status": 429, "retry_after": 0, "times": 1}])
    sandbox.reset_stats()
    hub.upload_file(path_or_fileobj=b"new", path_in_repo="n.txt", repo_id="sandbox/f")
    assert sandbox.stats()["routes"]["POST preupload"]["requests"] == 2
    sandbox.add_faults([{"method": "GET", "path": "/api/models/sandbox/f$", "action": "status",
                         "status": 503}])
    with pytest.raises(HfHubHTTPError) as caught:
        hub.model_info("sandbox/f")
    assert caught.value.response.status_code == 503


def test_reset_before_response_is_retried(sandbox, repo):
    hub, _ = repo
    sandbox.add_faults([{"method": "GET", "path": "/tree/", "action": "reset", "times": 1}])
    sandbox.reset_stats()
    assert "w.bin" in hub.list_repo_files("sandbox/f")
    assert sandbox.stats()["routes"]["GET tree"]["requests"] == 2


def test_reset_with_rst_is_econnreset(sandbox, repo):
    sandbox.add_faults([{"method": "GET", "path": "/t.txt$", "action": "reset", "rst": True,
                         "after_bytes": 0}])
    conn = http.client.HTTPConnection(urlsplit(sandbox.url).netloc)
    conn.request("GET", "/sandbox/f/resolve/main/t.txt")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        conn.getresponse().read()


def test_truncate_download_resumes_with_range(legacy_lfs, sandbox, repo, tmp_path):
    _, data = repo
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "truncate",
                         "after_bytes": 10 * 1024 * 1024 + 5}])
    sandbox.reset_stats()
    path = hf_hub_download("sandbox/f", "w.bin", endpoint=sandbox.url, cache_dir=tmp_path)
    assert Path(path).read_bytes() == data
    route = sandbox.stats()["routes"]["GET lfs-download"]
    assert route["requests"] == 2
    assert route["bytes_out"] == (10 * 1024 * 1024 + 5) + (len(data) - 10 * 1024 * 1024)


def test_truncate_plain_http_sees_short_body(sandbox, repo):
    sandbox.add_faults([{"method": "GET", "path": "/t.txt$", "action": "truncate",
                         "after_bytes": 10}])
    conn = http.client.HTTPConnection(urlsplit(sandbox.url).netloc)
    conn.request("GET", "/sandbox/f/resolve/main/t.txt")
    response = conn.getresponse()
    assert response.getheader("Content-Length") == "1000"
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) == 10


def test_corrupt_flips_bytes(sandbox, repo):
    sandbox.add_faults([{"method": "GET", "path": "/t.txt$", "action": "corrupt",
                         "after_bytes": 100}])
    body = urllib.request.urlopen(f"{sandbox.url}/sandbox/f/resolve/main/t.txt").read()
    assert len(body) == 1000
    assert [i for i in range(1000) if body[i] != ord("x")] == list(range(100, 116))
    assert urllib.request.urlopen(f"{sandbox.url}/sandbox/f/resolve/main/t.txt").read() == b"x" * 1000


def test_replace_sends_other_bytes_under_the_same_status(sandbox, repo):
    import base64

    sandbox.add_faults([{"method": "GET", "path": "/t.txt$", "action": "replace",
                         "body": base64.b64encode(b"hostile").decode()}])
    response = urllib.request.urlopen(f"{sandbox.url}/sandbox/f/resolve/main/t.txt")
    assert (response.status, response.headers["Content-Length"], response.read()) == (200, "7", b"hostile")
    assert urllib.request.urlopen(f"{sandbox.url}/sandbox/f/resolve/main/t.txt").read() == b"x" * 1000


def test_delay(sandbox, repo):
    hub, _ = repo
    sandbox.add_faults([{"method": "GET", "path": "/api/models/", "action": "delay",
                         "seconds": 0.6}])
    start = time.monotonic()
    hub.model_info("sandbox/f")
    assert time.monotonic() - start >= 0.6


def _wait_for(check, what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _routed(sandbox, route: str) -> int:
    return sandbox.stats()["routes"].get(route, {}).get("requests", 0)


def test_clearing_the_faults_releases_a_held_request(sandbox, repo):
    hub, _ = repo
    sandbox.reset_stats()
    sandbox.add_faults([{"method": "GET", "path": "/api/models/", "action": "delay", "seconds": 600}])
    answers: list[str] = []
    held = threading.Thread(target=lambda: answers.append(hub.model_info("sandbox/f").id), daemon=True)
    held.start()
    _wait_for(lambda: _routed(sandbox, "GET repo-info") == 1, "the held request")
    assert answers == []  # held: the rule outlasts the test
    sandbox.clear_faults()
    held.join(timeout=60)
    assert answers == ["sandbox/f"]


def test_a_held_request_whose_client_hung_up_is_dropped_not_handled(sandbox, repo):
    hub, _ = repo
    sandbox.reset_stats()
    sandbox.add_faults([{"method": "POST", "path": "^/api/repos/create$", "action": "delay", "seconds": 600}])
    body = json.dumps({"name": "ghost", "type": "model"})
    client = socket.create_connection((urlsplit(sandbox.url).hostname, urlsplit(sandbox.url).port))
    client.sendall(f"POST /api/repos/create HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer {sandbox.token}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
    _wait_for(lambda: _routed(sandbox, "POST repo-create") == 1, "the held request")
    port = client.getsockname()[1]
    (held,) = [c for c in list(sandbox.server.connections) if c.getpeername()[1] == port]
    client.close()  # a killed client: its request is held, body unread
    sandbox.clear_faults()
    _wait_for(lambda: held not in sandbox.server.connections, "the server to be done with the request")
    assert sandbox.server.hub.repos.get("model", "sandbox/ghost") is None
    assert hub.model_info("sandbox/f").id == "sandbox/f"  # and it serves on


def test_clear_faults(sandbox, repo):
    hub, _ = repo
    sandbox.add_faults([{"path": "/api/", "action": "status", "status": 500, "times": 100}])
    sandbox.clear_faults()
    assert hub.model_info("sandbox/f").id == "sandbox/f"


def test_stats_count_body_bytes_exactly(legacy_lfs, sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/s")
    sandbox.reset_stats()
    payload = os.urandom(3 * 1024 * 1024)
    hub.upload_file(path_or_fileobj=payload, path_in_repo="w.bin", repo_id="sandbox/s")
    hub.upload_file(path_or_fileobj=b"y" * 777, path_in_repo="y.txt", repo_id="sandbox/s")
    stats = sandbox.stats()
    routes = stats["routes"]
    assert routes["PUT lfs-upload"] == {"requests": 1, "bytes_in": len(payload), "bytes_out": 0}
    assert routes["POST commit"]["requests"] == 2
    for key in ("requests", "bytes_in", "bytes_out"):
        assert stats[key] == sum(r[key] for r in routes.values())

    sandbox.reset_stats()
    assert sandbox.stats() == {"requests": 0, "bytes_in": 0, "bytes_out": 0, "routes": {}}
    hf_hub_download("sandbox/s", "y.txt", endpoint=sandbox.url, cache_dir=tmp_path)
    hf_hub_download("sandbox/s", "w.bin", endpoint=sandbox.url, cache_dir=tmp_path)
    routes = sandbox.stats()["routes"]
    assert routes["HEAD resolve"] == {"requests": 2, "bytes_in": 0, "bytes_out": 0}
    assert routes["GET resolve"] == {"requests": 1, "bytes_in": 0, "bytes_out": 777}
    assert routes["GET lfs-download"] == {"requests": 1, "bytes_in": 0,
                                          "bytes_out": len(payload)}


def test_status_with_error_code_maps_to_the_client_exception(sandbox, repo):
    from huggingface_hub.errors import RepositoryNotFoundError

    hub, _ = repo
    sandbox.add_faults([{"method": "GET", "path": "/api/models/sandbox/f$", "action": "status",
                         "status": 404, "code": "RepoNotFound", "message": "Repository not found"}])
    with pytest.raises(RepositoryNotFoundError):
        hub.model_info("sandbox/f")
