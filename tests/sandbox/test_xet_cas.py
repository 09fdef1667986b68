"""The CAS routes spoken directly: hash checks, shard checks, tokens, faults, kill -9."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, hf_hub_download

from hfsync.sandbox import xet_format as xf
from hfsync.sandbox.cas import CasStore
from tests.sandbox.hubapi import api
from tests.sandbox.xet import MIB, cas_call, cas_token, make_shard, make_xorb, safetensors_like

pytestmark = pytest.mark.usefixtures("xet_on")


@pytest.fixture
def cas(sandbox):
    api(sandbox).create_repo("sandbox/c")
    return cas_token(sandbox, "sandbox/c")


def test_xorb_upload_checks_the_hash_and_the_token(sandbox, cas):
    url, token = cas
    xorb, body = make_xorb([os.urandom(1000), b"a" * 5000])
    assert cas_call(f"{url}/v1/xorbs/default/{'0' * 64}", token, "POST", body)[0] == 400
    assert cas_call(f"{url}/v1/xorbs/default/{xorb}", token, "POST", body[:-1])[0] == 400
    assert cas_call(f"{url}/v1/xorbs/default/{xorb}", None, "POST", body)[0] == 401
    _, read = cas_token(sandbox, "sandbox/c", "read")
    assert cas_call(f"{url}/v1/xorbs/default/{xorb}", read, "POST", body)[0] == 403
    assert cas_call(f"{url}/v1/xorbs/default/{xorb}", token, "POST", body) == (200, b'{"was_inserted": true}')
    assert cas_call(f"{url}/v1/xorbs/default/{xorb}", token, "POST", body) == (200, b'{"was_inserted": false}')
    assert cas_call(f"{url}/v1/xorbs/default/{xorb}", read, "HEAD")[0] == 200
    routes = sandbox.stats()["routes"]
    assert routes["POST xorb-upload"]["requests"] == 6


def test_shard_is_checked_against_the_xorbs_it_names(sandbox, cas):
    url, token = cas
    chunks = [os.urandom(3000), os.urandom(4000)]
    xorb, body = make_xorb(chunks)
    sha = hashlib.sha256(b"".join(chunks)).digest()
    good = make_shard([(chunks, [(xorb, 0, 2)], sha)], [(xorb, chunks)])
    # Before the xorb exists, the shard naming it is refused.
    status, text = cas_call(f"{url}/v1/shards", token, "POST", good)
    assert status == 400 and b"never uploaded" in text
    assert cas_call(f"{url}/v1/xorbs/default/{xorb}", token, "POST", body)[0] == 200
    # A term whose verification hash is not the xorb's is refused, and so is garbage.
    forged = make_shard([([chunks[1], chunks[0]], [(xorb, 0, 2)], sha)], [])
    assert cas_call(f"{url}/v1/shards", token, "POST", forged)[0] == 400
    assert cas_call(f"{url}/v1/shards", token, "POST", b"not a shard" * 10)[0] == 400
    assert cas_call(f"{url}/v1/shards", token, "POST", good) == (200, b'{"result": 1}')
    assert cas_call(f"{url}/v1/shards", token, "POST", good) == (200, b'{"result": 0}')
    status, text = cas_call(f"{url}/v2/shards", token, "POST", good)
    assert status == 200 and json.loads(text.splitlines()[-1]) == {"type": "result", "result": 0}

    # The file is now known by its sha256: a commit may name it, and it downloads.
    hub = api(sandbox)
    hub.create_commit("sandbox/c", [_lfs_add("w.bin", b"".join(chunks))], commit_message="via shard")
    file_id = xf.to_hex(xf.file_hash([(xf.chunk_hash(c), len(c)) for c in chunks]))
    assert hub.get_paths_info("sandbox/c", ["w.bin"])[0].xet_hash == file_id
    status, text = cas_call(f"{url}/v1/reconstructions/{file_id}", token)
    plan = json.loads(text)
    assert status == 200 and plan["terms"][0]["unpacked_length"] == 7000
    assert cas_call(f"{url}/v1/reconstructions/{'ab' * 32}", token)[0] == 404


def _lfs_add(path: str, data: bytes) -> CommitOperationAdd:
    """An add whose content is already in storage: the commit only names its sha256."""
    op = CommitOperationAdd(path_in_repo=path, path_or_fileobj=data)
    op._upload_mode = "lfs"
    op._is_uploaded = True
    return op


def test_commit_naming_unknown_content_is_refused(sandbox, cas):
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as caught:
        api(sandbox).create_commit("sandbox/c", [_lfs_add("w.bin", os.urandom(100))], commit_message="x")
    assert caught.value.response.status_code == 422


def test_reconstruction_range_and_dedup_query(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/r")
    data = safetensors_like(9 * MIB, seed=7)
    hub.upload_file(path_or_fileobj=data, path_in_repo="m.safetensors", repo_id="sandbox/r")
    url, token = cas_token(sandbox, "sandbox/r", "read")
    file_id = hub.get_paths_info("sandbox/r", ["m.safetensors"])[0].xet_hash
    for version in ("v1", "v2"):
        status, text = _get(f"{url}/{version}/reconstructions/{file_id}", token, "bytes=5000000-5000099")
        plan = json.loads(text)
        assert status == 200 and 0 < sum(t["unpacked_length"] for t in plan["terms"]) < 1024 * 1024
        assert plan["offset_into_first_range"] < 256 * 1024
    assert _get(f"{url}/v1/reconstructions/{file_id}", token, f"bytes={len(data)}-")[0] == 416
    status, text = cas_call(f"{url}/v1/reconstructions?file_id={file_id}", token)
    assert status == 200 and file_id in json.loads(text)["files"]

    store = CasStore(Path(sandbox.data_dir) / "xet")
    first = store.file(file_id).terms[0]
    chunk = xf.to_hex(store.chunks(first[0]).hashes[first[1]])
    status, shard = cas_call(f"{url}/v1/chunks/default-merkledb/{chunk}", token)
    assert status == 200
    _files, xorbs = xf.parse_shard(shard)
    assert xf.to_hex(xorbs[0].hash) == first[0]
    assert cas_call(f"{url}/v1/chunks/default-merkledb/{'cd' * 32}", token)[0] == 404


def _get(url: str, token: str, byte_range: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Range": byte_range})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize(
    ("route", "rule"),
    [
        ("POST xorb-upload", {"method": "POST", "path": "^/v1/xorbs/", "action": "status", "status": 429,
                              "retry_after": 1}),
        ("POST xorb-upload", {"method": "POST", "path": "^/v1/xorbs/", "action": "status", "status": 500}),
        ("POST xorb-upload", {"method": "POST", "path": "^/v1/xorbs/", "action": "reset"}),
        ("POST shard-upload", {"method": "POST", "path": "^/v[12]/shards", "action": "status", "status": 503}),
        ("POST shard-upload", {"method": "POST", "path": "^/v[12]/shards", "action": "reset"}),
    ],
)
def test_upload_faults_converge(sandbox, tmp_path, route, rule):
    hub = api(sandbox)
    hub.create_repo("sandbox/f")
    data = safetensors_like(2 * MIB, seed=8)
    sandbox.add_faults([rule])
    sandbox.reset_stats()
    hub.upload_file(path_or_fileobj=data, path_in_repo="w.safetensors", repo_id="sandbox/f")
    assert sandbox.stats()["routes"][route]["requests"] == 2
    out = hf_hub_download("sandbox/f", "w.safetensors", endpoint=sandbox.url, cache_dir=tmp_path)
    assert Path(out).read_bytes() == data


@pytest.mark.parametrize(
    ("route", "rule"),
    [
        ("GET reconstruction", {"method": "GET", "path": "/reconstructions/", "action": "status", "status": 429,
                                "retry_after": 1}),
        ("GET reconstruction", {"method": "GET", "path": "/reconstructions/", "action": "reset"}),
        ("GET xorb-range", {"method": "GET", "path": "^/sandbox-xet/xorb/", "action": "status", "status": 500}),
        ("GET xorb-range", {"method": "GET", "path": "^/sandbox-xet/xorb/", "action": "truncate",
                            "after_bytes": 1000}),
    ],
)
def test_download_faults_converge(sandbox, tmp_path, route, rule):
    hub = api(sandbox)
    hub.create_repo("sandbox/f")
    data = safetensors_like(2 * MIB, seed=9)
    hub.upload_file(path_or_fileobj=data, path_in_repo="w.safetensors", repo_id="sandbox/f")
    sandbox.add_faults([rule])
    sandbox.reset_stats()
    out = hf_hub_download("sandbox/f", "w.safetensors", endpoint=sandbox.url, cache_dir=tmp_path)
    assert Path(out).read_bytes() == data
    assert sandbox.stats()["routes"][route]["requests"] >= 2


def test_persistent_xorb_failure_fails_cleanly_without_a_commit(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/f")
    head = hub.model_info("sandbox/f").sha
    sandbox.add_faults([{"method": "POST", "path": "^/v1/xorbs/", "action": "status", "status": 400,
                         "message": "Xorb rejected", "times": 100}])
    with pytest.raises(Exception):  # noqa: B017 - whatever hf_xet raises, it must raise
        hub.upload_file(path_or_fileobj=safetensors_like(MIB, seed=10), path_in_repo="w.safetensors",
                        repo_id="sandbox/f")
    assert hub.model_info("sandbox/f").sha == head
    assert "POST commit" not in sandbox.stats()["routes"]


def _serve(data: Path) -> tuple[subprocess.Popen, str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    token = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    return process, url, token


def test_kill_9_mid_upload_leaves_no_corrupt_object(tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    # The client gives up on the dead server quickly (read when the Xet session starts).
    monkeypatch.setenv("HF_XET_CLIENT_RETRY_MAX_ATTEMPTS", "1")
    data_dir = tmp_path / "hub"
    process, url, token = _serve(data_dir)
    hub = HfApi(endpoint=url, token=token)
    hub.create_repo("sandbox/k")
    path = tmp_path / "big.safetensors"
    path.write_bytes(safetensors_like(100 * MIB, seed=11))
    outcome: list[object] = []

    def upload() -> None:
        try:
            hub.upload_file(path_or_fileobj=str(path), path_in_repo="big.safetensors", repo_id="sandbox/k")
            outcome.append("done")
        except Exception as error:  # the server dies under it
            outcome.append(error)

    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    xorbs = data_dir / "xet" / "xorbs"
    while time.monotonic() < deadline and not list(xorbs.glob("*/*.idx")):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    thread.join(timeout=120)
    assert outcome and outcome[0] != "done"  # the kill came before the commit

    store = CasStore(data_dir / "xet")
    stored = [p for p in xorbs.glob("*/*") if not p.name.startswith(".") and p.suffix != ".idx"]
    for body in stored:
        chunks = xf.parse_xorb(body.read_bytes())
        assert xf.to_hex(xf.merkle_root(list(zip(chunks.hashes, chunks.sizes, strict=True)))) == body.name
        assert store.chunks(body.name).hashes == chunks.hashes
    # The restarted server serves on from the same data, and the upload can be redone.
    process, url, token = _serve(data_dir)
    try:
        hub = HfApi(endpoint=url, token=token)
        hub.upload_file(path_or_fileobj=str(path), path_in_repo="big.safetensors", repo_id="sandbox/k")
        out = hf_hub_download("sandbox/k", "big.safetensors", endpoint=url, cache_dir=tmp_path / "c")
        assert Path(out).read_bytes() == path.read_bytes()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_xorb_urls_expire_like_the_hubs_cdn_urls(sandbox, tmp_path):
    import urllib.error
    import urllib.request

    hub = api(sandbox)
    hub.create_repo("sandbox/e")
    data = safetensors_like(MIB, seed=12)
    hub.upload_file(path_or_fileobj=data, path_in_repo="w.safetensors", repo_id="sandbox/e")
    url, token = cas_token(sandbox, "sandbox/e", "read")
    file_id = hub.get_paths_info("sandbox/e", ["w.safetensors"])[0].xet_hash

    def xorb_url() -> str:
        fetch = json.loads(cas_call(f"{url}/v1/reconstructions/{file_id}", token)[1])["fetch_info"]
        return next(iter(fetch.values()))[0]["url"]

    def get(address: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(urllib.request.Request(address, headers={"Range": "bytes=0-99"})) as r:
                return r.status, ""
        except urllib.error.HTTPError as error:
            return error.code, error.headers["X-Error-Message"]

    assert sandbox.settings(expired_urls=1) == {"xorb_url_ttl": 3600.0, "expired_urls": 1, "oidc_token_ttl": 3600.0,
                                                  "max_commit_operations": 0}
    assert get(xorb_url()) == (403, "Request has expired")
    before, fresh, after = time.time(), xorb_url(), time.time()
    assert get(fresh) == (206, "")
    exp = int(fresh.split("exp=")[1].split("&")[0])
    assert before + 3600 <= exp <= after + 3601  # the TTL from when it was handed out, however slow the test
    assert get(fresh.replace(f"exp={exp}", f"exp={exp + 10}")) == (403, "Invalid or missing signature on transfer URL")
    sandbox.settings(xorb_url_ttl=7200)
    before, longer, after = time.time(), xorb_url(), time.time()
    assert before + 7200 <= int(longer.split("exp=")[1].split("&")[0]) <= after + 7201
    for bad in ({"xorb_url_ttl": -1}, {"expired_urls": "2"}, {"nope": 1}):
        with pytest.raises(urllib.error.HTTPError) as refused:
            sandbox.settings(**bad)
        assert refused.value.code == 400
