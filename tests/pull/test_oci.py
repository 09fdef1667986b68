"""`hfsync oci push` and pulls from oci:// sources, against the real CNCF distribution registry."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from tests.helpers import hfsync
from tests.pull.test_metrics import samples, value
from tests.pull.test_pull_sandbox import CONFIG, locked_model, partials


def pinned(project):
    entry = yaml.safe_load(project.lock.read_text())["pulls"][0]
    return entry["commit"], {f["path"]: f for f in entry["files"]}


def pushed(sandbox, project, registry, *args):
    os.environ["HF_TOKEN"] = sandbox.token
    try:
        return hfsync("--endpoint", sandbox.url, "--no-progress", "oci", "push", registry.url,
                      "-f", str(project.manifest), *args)
    finally:
        os.environ.pop("HF_TOKEN", None)


@pytest.fixture
def pushed_model(sandbox, make_repo, project, run, registry):
    """A locked, pulled model pushed to the registry: (weights, dest)."""
    weights, dest = locked_model(make_repo, project, run, size=3_000_000)
    assert run("pull", "--locked").exit_code == 0
    result = pushed(sandbox, project, registry)
    assert result.exit_code == 0, result.output
    return weights, dest


def test_push_writes_one_artifact_per_commit_that_oras_pulls_back(sandbox, pushed_model, project, registry,
                                                                  tmp_path):
    oras_client = pytest.importorskip("oras.client", reason="oras is in the test extra")
    weights, dest = pushed_model
    commit, files = pinned(project)
    client = oras_client.OrasClient(hostname=registry.host, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth(registry.user, registry.password)
    target = f"{registry.host}/models/acme/m1:{commit}"
    out = tmp_path / "oras-out"
    client.pull(target=target, outdir=str(out))
    for path in files:
        assert (out / path).read_bytes() == (dest / path).read_bytes(), path
    manifest = client.get_manifest(target)
    assert manifest["artifactType"] == "application/vnd.cncf.model.manifest.v1+json"
    assert manifest["config"]["mediaType"] == "application/vnd.cncf.model.config.v1+json"
    assert manifest["annotations"]["org.opencontainers.image.revision"] == commit
    layers = {layer["annotations"]["org.opencontainers.image.title"]: layer for layer in manifest["layers"]}
    weights_layer = layers["model.safetensors"]
    assert weights_layer["mediaType"] == "application/vnd.cncf.model.weight.v1.raw"
    assert weights_layer["digest"] == f"sha256:{files['model.safetensors']['sha256']}"
    assert weights_layer["annotations"]["dev.hfsync.lock.sha256"] == files["model.safetensors"]["sha256"]
    assert layers["config.json"]["annotations"]["dev.hfsync.lock.git-oid"] == files["config.json"]["git_oid"]
    assert layers["config.json"]["mediaType"] == "application/vnd.cncf.model.weight.config.v1.raw"
    assert layers["README.md"]["mediaType"] == "application/vnd.cncf.model.doc.v1.raw"
    assert len(weights) == weights_layer["size"]


def test_a_second_push_sends_no_blob(sandbox, pushed_model, project, registry):
    before = len(registry.requests())
    result = pushed(sandbox, project, registry)
    assert result.exit_code == 0, result.output
    assert "0 blobs uploaded (0 B), 5 already in the registry." in result.stdout
    again = registry.requests()[before:]
    assert not [r for r in again if r.startswith(("POST", "PATCH"))]
    assert [r.split(" ")[0] for r in again if "/blobs/" in r and '" 200 ' in r] == ["HEAD"] * 5


def test_pull_takes_every_file_from_the_registry(sandbox, pushed_model, project, run, registry, tmp_path):
    weights, dest = pushed_model
    for path in [p for p in dest.iterdir() if p.is_file()]:
        path.unlink()
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[registry.url])
    sandbox.reset_stats()
    served = registry.bytes_served()
    metrics, traced = tmp_path / "pull.prom", tmp_path / "trace.jsonl"
    os.environ["HF_TOKEN"] = sandbox.token
    try:
        result = hfsync("--endpoint", sandbox.url, "--no-progress", "--trace-file", str(traced), "pull",
                        "-f", str(project.manifest), "--locked", "--metrics-file", str(metrics))
    finally:
        os.environ.pop("HF_TOKEN", None)
    assert result.exit_code == 0, result.output
    # The registry's calls are in the trace like the Hub's: its manifest read, each blob
    # fetched, and never a credential.
    lines = [json.loads(line) for line in traced.read_text().splitlines()]
    registry_lines = [(line["operation"], line["method"], line["status"]) for line in lines
                      if line["path"].startswith("/v2/")]
    assert ("registry", "GET", 200) in registry_lines
    assert sum(1 for _, method, status in registry_lines if (method, status) in (("GET", 200), ("GET", 206))) >= 4
    assert registry.password not in traced.read_text()
    assert (dest / "model.safetensors").read_bytes() == weights
    assert (dest / "config.json").read_bytes() == CONFIG
    routes = sandbox.stats()["routes"]
    assert "GET resolve" not in routes and "GET lfs-download" not in routes
    commit, files = pinned(project)
    total = sum(f["size"] for f in files.values())
    assert registry.bytes_served() - served == total
    found = samples(metrics)
    assert value(found, "hfsync_pull_source_bytes", pull="acme/m1", commit=commit, source=registry.url) == total


def test_an_artifact_naming_other_digests_is_refused_and_the_hub_serves(sandbox, pushed_model, project, run,
                                                                         registry):
    from hfsync.hub.retry import Retry
    from hfsync.registry.client import Reference, Registry

    _weights, dest = pushed_model
    commit, _files = pinned(project)
    client = Registry(Reference.parse(registry.url), Retry())
    manifest = client.get_manifest("models/acme/m1", commit)
    for layer in manifest["layers"]:
        if layer["annotations"]["org.opencontainers.image.title"] == "config.json":
            layer["annotations"]["dev.hfsync.lock.git-oid"] = "0" * 40
    client.put_manifest("models/acme/m1", commit, json.dumps(manifest).encode())
    client.close()
    (dest / "config.json").unlink()
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[registry.url])
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "config.json").read_bytes() == CONFIG
    assert result.stderr.count(f"source {registry.url} served bytes that do not match the lock") == 1
    assert "does not pin what the lock pins: its layer for config.json names another dev.hfsync.lock.git-oid" \
        in result.stderr
    assert sandbox.stats()["routes"]["GET resolve"]["requests"] == 1


def test_a_registry_without_the_artifact_falls_back_to_the_hub(sandbox, make_repo, project, run, registry):
    weights, dest = locked_model(make_repo, project, run)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[registry.url])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert result.stderr.count(f"source {registry.url} does not have a pinned file") == 1
    assert partials(dest) == []


def test_refused_credentials_are_said_once_without_the_password(sandbox, pushed_model, project, run, registry,
                                                                 tmp_path, monkeypatch):
    import base64

    weights, dest = pushed_model
    (dest / "model.safetensors").unlink()
    wrong = "wrong-pw-77aa"
    auth = tmp_path / "wrong.json"
    auth.write_text(json.dumps({"auths": {registry.host: {
        "auth": base64.b64encode(f"{registry.user}:{wrong}".encode()).decode()}}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth))
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[registry.url])
    result = run("pull", "--locked", "-v")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert (f"source {registry.url} failed (read models/acme/m1:") in result.stderr
    assert f"{registry.host} requires authentication and the credentials found were refused" in result.stderr
    assert wrong not in result.output
    assert base64.b64encode(f"{registry.user}:{wrong}".encode()).decode() not in result.output

    result = pushed(sandbox, project, registry, "-v")
    assert result.exit_code == 1
    assert "the credentials found were refused" in result.stderr
    assert "REGISTRY_AUTH_FILE" in result.stderr
    assert wrong not in result.output


def test_push_refuses_a_pulled_file_that_differs_from_the_lock(sandbox, make_repo, project, run, registry):
    _weights, dest = locked_model(make_repo, project, run)
    assert run("pull", "--locked").exit_code == 0
    (dest / "config.json").write_bytes(b'{"hidden_size": 9}\n')  # same size, other bytes
    result = pushed(sandbox, project, registry)
    assert result.exit_code == 1
    assert "acme/m1/config.json: the pulled file differs from the lock" in result.stderr
    assert not [r for r in registry.requests() if r.startswith("PUT /v2/models/acme/m1/manifests/")]

    assert run("pull", "--locked").exit_code == 0
    data = bytearray((dest / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (dest / "model.safetensors").write_bytes(bytes(data))
    result = pushed(sandbox, project, registry)
    assert result.exit_code == 1
    assert "acme/m1/model.safetensors: the pulled file differs from the lock" in result.stderr
    assert not [r for r in registry.requests() if r.startswith("PUT /v2/models/acme/m1/manifests/")]


def test_an_interrupted_blob_upload_resumes_where_the_registry_got_to(registry):
    import hashlib

    from hfsync.hub.retry import Retry
    from hfsync.registry.client import Reference, Registry

    data = os.urandom(3 * 1024 * 1024 + 17)
    digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
    client = Registry(Reference.parse(registry.url), Retry())
    remembered = []
    reads = []

    def read_at(offset, length):
        reads.append(offset)
        if len(reads) == 2:
            raise KeyboardInterrupt  # the push is killed after its first chunk
        return data[offset:offset + length]

    with pytest.raises(KeyboardInterrupt):
        client.upload_blob("models/resume", digest, len(data), read_at, remember=remembered.append, chunk=1 << 20)
    assert not client.has_blob("models/resume", digest)
    reads.clear()
    client.upload_blob("models/resume", digest, len(data), lambda o, n: reads.append(o) or data[o:o + n],
                       resume_from=remembered[-1], remember=remembered.append, chunk=1 << 20)
    assert reads == [1 << 20, 2 << 20, 3 << 20]  # the first chunk was not sent again
    assert remembered[-1] is None
    assert client.has_blob("models/resume", digest)
    client.close()


def test_bearer_token_flow_and_the_token_never_shows(httpserver, monkeypatch, tmp_path, caplog):
    import base64

    from werkzeug import Response

    from hfsync.hub.retry import Retry
    from hfsync.log import redact
    from hfsync.registry.client import Reference, Registry

    token = "bearer-token-5d1e"
    host = f"127.0.0.1:{httpserver.port}"
    auth = tmp_path / "config.json"
    auth.write_text(json.dumps({"auths": {f"https://{host}": {"username": "u", "password": "p-9c2b"}}}))
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    asked = []

    def manifests(request):
        if request.headers.get("Authorization") != f"Bearer {token}":
            return Response(status=401, headers={"WWW-Authenticate": (
                f'Bearer realm="http://{host}/token",service="reg",scope="repository:models/acme/m1:pull"')})
        return Response(json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN"}]}), status=404)

    def issue(request):
        asked.append((request.args.get("service"), request.args.get("scope"), request.headers.get("Authorization")))
        return Response(json.dumps({"token": token}), content_type="application/json")

    httpserver.expect_request("/v2/models/acme/m1/manifests/abc").respond_with_handler(manifests)
    httpserver.expect_request("/token").respond_with_handler(issue)
    client = Registry(Reference.parse(f"oci://{host}/models"), Retry())
    assert client.get_manifest("models/acme/m1", "abc") is None
    assert asked == [("reg", "repository:models/acme/m1:pull", "Basic " + base64.b64encode(b"u:p-9c2b").decode())]
    assert client.authorization("models/acme/m1") == f"Bearer {token}"
    assert redact(f"x {token} p-9c2b") == "x *** ***"
    client.close()


@pytest.mark.parametrize("change, expected", [
    ({"digest": "sha256:../../../v2/other/blobs/x"}, "has no valid digest"),
    ({"size": 1}, "names another size than the lock"),
    ({"annotations": {"org.opencontainers.image.title": "config.json"}}, "names another dev.hfsync.lock.git-oid"),
])
def test_a_hostile_artifact_layer_is_refused(change, expected):
    from hfsync.model.lock import LockedFile, LockedPull
    from hfsync.pull.ociartifact import ArtifactMismatch, pinned_layers

    file = LockedFile("config.json", 19, git_oid="a" * 40)
    entry = LockedPull("acme/m1", "model", "main", "c" * 40, "r", (file,))
    layer = {"mediaType": "x", "digest": "sha256:" + "b" * 64, "size": 19,
             "annotations": {"org.opencontainers.image.title": "config.json", "dev.hfsync.lock.git-oid": "a" * 40}}
    assert pinned_layers(entry, {"layers": [layer]}) == {"config.json": layer}
    with pytest.raises(ArtifactMismatch, match=expected):
        pinned_layers(entry, {"layers": [{**layer, **change}]})
    with pytest.raises(ArtifactMismatch, match=f"its org.opencontainers.image.revision is '{'d' * 40}', the lock pins"):
        pinned_layers(entry, {"layers": [layer], "annotations": {"org.opencontainers.image.revision": "d" * 40}})


def test_a_blob_cut_off_mid_body_resumes_with_range(httpserver, tmp_path, monkeypatch):
    """A registry (pytest-httpserver) that breaks the first blob response half way."""
    import hashlib

    from werkzeug import Response

    from hfsync.hub.retry import Retry, RetryPolicy
    from hfsync.model.lock import LockedFile, LockedPull
    from hfsync.pull import ociartifact
    from hfsync.pull.ocisource import OciSource

    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "none.json"))
    data = os.urandom(3 * 1024 * 1024)
    sha = hashlib.sha256(data).hexdigest()
    file = LockedFile("model.safetensors", len(data), sha256=sha)
    entry = LockedPull("acme/m1", "model", "main", "c" * 40, "r", (file,))
    blobs = ociartifact.layers(entry, {file.path: f"sha256:{sha}"})
    config, _body = ociartifact.config(entry, blobs)
    httpserver.expect_request(f"/v2/models/acme/m1/manifests/{'c' * 40}").respond_with_data(
        ociartifact.manifest(entry, blobs, config, "x"), content_type=ociartifact.MANIFEST)
    ranges = []

    def blob(request):
        ranges.append(request.headers.get("Range"))
        if len(ranges) == 1:
            def half():
                yield data[: len(data) // 2]
                raise ConnectionResetError("cut")
            return Response(half(), headers={"Content-Length": str(len(data))})
        start = int(request.headers["Range"].split("=")[1].rstrip("-"))
        return Response(data[start:], status=206,
                        headers={"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"})

    httpserver.expect_request(f"/v2/models/acme/m1/blobs/sha256:{sha}").respond_with_handler(blob)
    source = OciSource(f"oci://127.0.0.1:{httpserver.port}/models", Retry(RetryPolicy(base=0.01)))
    target = tmp_path / "out" / "model.safetensors"
    target.parent.mkdir()
    fetched = source.fetch(entry, file, target, partial=tmp_path / "model.partial", label="acme/m1/model.safetensors",
                           advance=lambda n: None, accept=None)
    fetched.install()
    source.close()
    assert target.read_bytes() == data
    assert ranges[0] is None and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"
