"""The Xet path through the unmodified client with hf_xet on: upload, download, dedup."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import HfFileSystem, hf_hub_download, snapshot_download

from tests.sandbox.hubapi import api
from tests.sandbox.xet import MIB, safetensors_like, xet_off

pytestmark = pytest.mark.usefixtures("xet_on")


@pytest.fixture
def folder(tmp_path):
    files = {
        "model-00001.safetensors": safetensors_like(70 * MIB, seed=1),  # more than one xorb
        "small.safetensors": safetensors_like(3 * MIB + 17, seed=2),
        "tiny.bin": b"\x00\x01\x02tiny",
        "config.json": b'{"hidden_size": 8}\n',
    }
    for name, data in files.items():
        (tmp_path / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / name).write_bytes(data)
    return tmp_path / "src", files


@pytest.fixture
def uploaded(sandbox, folder):
    hub = api(sandbox)
    hub.create_repo("sandbox/x")
    sandbox.reset_stats()
    commit = hub.upload_folder(folder_path=folder[0], repo_id="sandbox/x")
    return hub, folder[1], commit.oid


def test_upload_folder_goes_through_xet(sandbox, uploaded):
    hub, files, commit = uploaded
    routes = sandbox.stats()["routes"]
    assert routes["GET xet-write-token"]["requests"] >= 1
    assert routes["POST xorb-upload"]["requests"] >= 2
    assert routes["POST shard-upload"]["requests"] >= 1
    assert not [r for r in routes if "lfs" in r or r.endswith("unknown")]
    binary = sum(len(d) for n, d in files.items() if n != "config.json")
    # Compressed chunks: the byte-grouped and zero thirds shrink, the random third does not.
    assert binary / 3 < routes["POST xorb-upload"]["bytes_in"] < binary

    tree = {e.path: e for e in hub.list_repo_tree("sandbox/x", recursive=True)}
    for name, data in files.items():
        entry = tree[name]
        assert entry.size == len(data)
        if name == "config.json":
            assert entry.lfs is None and entry.xet_hash is None
        else:
            assert entry.lfs.sha256 == hashlib.sha256(data).hexdigest()
            assert len(entry.xet_hash) == 64
    info = hub.get_paths_info("sandbox/x", ["tiny.bin"])[0]
    assert info.xet_hash == tree["tiny.bin"].xet_hash
    assert hub.model_info("sandbox/x").sha == commit


def test_downloads_read_through_xet(sandbox, uploaded, tmp_path):
    _hub, files, commit = uploaded
    sandbox.reset_stats()
    for name, data in files.items():
        path = hf_hub_download("sandbox/x", name, endpoint=sandbox.url, token=sandbox.token,
                               cache_dir=tmp_path / "one")
        assert Path(path).read_bytes() == data, name
        assert f"snapshots/{commit}/" in path
    routes = sandbox.stats()["routes"]
    assert routes["GET reconstruction"]["requests"] >= 3
    assert routes["GET xorb-range"]["bytes_out"] > sum(len(d) for n, d in files.items() if n != "config.json") / 3
    assert "GET lfs-download" not in routes

    snap = Path(snapshot_download("sandbox/x", endpoint=sandbox.url, token=sandbox.token,
                                  local_dir=tmp_path / "local"))
    for name, data in files.items():
        assert (snap / name).read_bytes() == data


def test_hffilesystem_reads_ranges(sandbox, uploaded):
    _hub, files, _ = uploaded
    fs = HfFileSystem(endpoint=sandbox.url, token=sandbox.token)
    big = files["model-00001.safetensors"]
    with fs.open("sandbox/x/model-00001.safetensors", "rb") as f:
        f.seek(65 * MIB - 100)
        assert f.read(300) == big[65 * MIB - 100 : 65 * MIB + 200]
    assert fs.cat_file("sandbox/x/small.safetensors") == files["small.safetensors"]
    assert fs.cat_file("sandbox/x/tiny.bin", start=2, end=5) == files["tiny.bin"][2:5]


def test_resolve_offers_xet_and_legacy_clients_still_download(sandbox, uploaded, tmp_path, monkeypatch):
    _hub, files, commit = uploaded
    request = urllib.request.Request(f"{sandbox.url}/sandbox/x/resolve/main/small.safetensors", method="HEAD")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.build_opener(_NoRedirect).open(request)
    headers = caught.value.headers
    assert len(headers["X-Xet-Hash"]) == 64
    assert f'/api/models/sandbox/x/xet-read-token/{commit}>; rel="xet-auth"' in headers["Link"]
    location = headers["Location"]

    data = files["small.safetensors"]
    ranged = urllib.request.Request(location, headers={"Range": "bytes=1000000-2100000"})
    with urllib.request.urlopen(ranged) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 1000000-2100000/{len(data)}"
        assert response.read() == data[1000000:2100001]
    with urllib.request.urlopen(urllib.request.Request(location, headers={"Range": "bytes=-10"})) as response:
        assert response.read() == data[-10:]

    xet_off(monkeypatch)
    sandbox.reset_stats()
    for name in ("model-00001.safetensors", "tiny.bin"):
        path = hf_hub_download("sandbox/x", name, endpoint=sandbox.url, cache_dir=tmp_path / "legacy")
        assert Path(path).read_bytes() == files[name]
    routes = sandbox.stats()["routes"]
    assert routes["GET lfs-download"]["bytes_out"] == len(files["model-00001.safetensors"]) + len(files["tiny.bin"])
    assert "GET reconstruction" not in routes


def test_legacy_download_of_xet_file_resumes_after_a_cut(sandbox, uploaded, tmp_path, monkeypatch):
    _hub, files, _ = uploaded
    xet_off(monkeypatch)
    data = files["model-00001.safetensors"]
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "truncate",
                         "after_bytes": 30 * MIB + 5}])
    sandbox.reset_stats()
    path = hf_hub_download("sandbox/x", "model-00001.safetensors", endpoint=sandbox.url, cache_dir=tmp_path)
    assert Path(path).read_bytes() == data
    assert sandbox.stats()["routes"]["GET lfs-download"]["requests"] == 2


def test_reupload_with_one_percent_changed_sends_a_few_percent(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/d")
    size = 40 * MIB
    data = bytearray(safetensors_like(size, seed=3))
    path = tmp_path / "model.safetensors"
    path.write_bytes(data)
    hub.upload_file(path_or_fileobj=str(path), path_in_repo="model.safetensors", repo_id="sandbox/d")

    # One tensor rewritten in place: 1% of the bytes, contiguous, in the middle.
    start = size // 2
    data[start : start + size // 100] = safetensors_like(size // 100, seed=4)
    path.write_bytes(data)
    sandbox.reset_stats()
    hub.upload_file(path_or_fileobj=str(path), path_in_repo="model.safetensors", repo_id="sandbox/d")
    sent = sandbox.stats()["routes"]["POST xorb-upload"]["bytes_in"]
    assert sent <= 0.03 * size, sent
    out = hf_hub_download("sandbox/d", "model.safetensors", endpoint=sandbox.url, cache_dir=tmp_path / "c")
    assert Path(out).read_bytes() == bytes(data)


def test_same_file_twice_uploads_nothing(sandbox, tmp_path):
    hub = api(sandbox)
    hub.create_repo("sandbox/s")
    data = safetensors_like(5 * MIB, seed=5)
    hub.upload_file(path_or_fileobj=data, path_in_repo="a.safetensors", repo_id="sandbox/s")
    sandbox.reset_stats()
    hub.upload_file(path_or_fileobj=data, path_in_repo="b.safetensors", repo_id="sandbox/s")
    routes = sandbox.stats()["routes"]
    assert routes.get("POST xorb-upload", {"bytes_in": 0})["bytes_in"] == 0
    out = hf_hub_download("sandbox/s", "b.safetensors", endpoint=sandbox.url, cache_dir=tmp_path)
    assert Path(out).read_bytes() == data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_another_machine_uploading_known_content_dedups_through_the_cas(sandbox, tmp_path):
    """A fresh hf_xet cache (another machine) asks the CAS's global dedup and reads its shard.

    In child processes: a shard hf_xet cannot read makes it abort the whole process."""
    import os
    import subprocess
    import sys

    data = safetensors_like(3 * MIB, seed=6)
    (tmp_path / "m.safetensors").write_bytes(data)
    api(sandbox).create_repo("sandbox/g")
    code = ("import sys; from huggingface_hub import HfApi\n"
            "HfApi(endpoint=sys.argv[1], token=sys.argv[2]).upload_file(path_or_fileobj=sys.argv[3], "
            "path_in_repo=sys.argv[4], repo_id='sandbox/g')\n")
    sent = []
    for machine in ("one", "two"):
        env = {**os.environ, "HF_XET_CACHE": str(tmp_path / machine), "HF_HOME": str(tmp_path / f"home-{machine}")}
        sandbox.reset_stats()
        done = subprocess.run([sys.executable, "-c", code, sandbox.url, sandbox.token, str(tmp_path / "m.safetensors"),
                               f"{machine}.safetensors"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        sent.append(sandbox.stats()["routes"].get("POST xorb-upload", {}).get("bytes_in", 0))
    assert sent[0] > 2 * MIB
    assert sandbox.stats()["routes"]["GET dedup"]["requests"] >= 1
    assert sent[1] < sent[0] // 4  # the second machine found the chunks in the CAS
    out = hf_hub_download("sandbox/g", "two.safetensors", endpoint=sandbox.url, cache_dir=tmp_path / "c")
    assert Path(out).read_bytes() == data
