"""A source that never stops sending is read only up to a stated limit, then dropped.

The hostile registry (tests.hostile) answers the manifest with a body that does not end
and counts what it got out before hfsync hung up.
"""

from __future__ import annotations

import pytest

from tests.hostile import SLACK, EndlessServer
from tests.pull.test_pull_sandbox import locked_model

MANIFEST_ROUTE = "/v2/models/acme/m1/manifests/"
MIB = 1024 * 1024


@pytest.fixture
def endless_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "no-auth.json"))
    server = EndlessServer({MANIFEST_ROUTE: (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
                                             b'{"schemaVersion": 2, "layers": [', b'{"mediaType": "x"}, ' * 4096)},
                           cap=64 * MIB)
    try:
        yield server
    finally:
        server.close()


def test_an_endless_manifest_is_refused_at_the_registry_limit(endless_registry):
    from hfsync.hub.bounded import TooLarge
    from hfsync.hub.retry import Retry
    from hfsync.registry.client import MANIFEST_LIMIT, Reference, Registry

    host = endless_registry.host
    client = Registry(Reference.parse(f"oci://{host}/models"), Retry())
    try:
        with pytest.raises(TooLarge) as caught:
            client.get_manifest("models/acme/m1", "c" * 40)
    finally:
        client.close()
    assert str(caught.value) == (f"read models/acme/m1:{'c' * 40}: {host} sent more than 4 MiB, the most hfsync "
                                 "reads for that answer; it stopped reading there")
    assert MANIFEST_LIMIT == 4 * MIB
    assert endless_registry.sent_to(MANIFEST_ROUTE) <= MANIFEST_LIMIT + SLACK


def test_a_pull_passes_over_an_endless_registry_and_takes_the_hub(sandbox, make_repo, project, run,
                                                                 endless_registry):
    weights, dest = locked_model(make_repo, project, run)
    source = f"oci://{endless_registry.host}/models"
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[source])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert (f"source {source} failed (read models/acme/m1:") in result.stderr
    assert f"{endless_registry.host} sent more than 4 MiB, the most hfsync reads for that answer" in result.stderr
    assert endless_registry.sent_to(MANIFEST_ROUTE) <= 4 * MIB + SLACK


def test_with_the_hub_failing_too_the_pull_fails_naming_the_registry_limit(sandbox, make_repo, project, run,
                                                                          endless_registry):
    _weights, dest = locked_model(make_repo, project, run)
    source = f"oci://{endless_registry.host}/models"
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[source])
    sandbox.add_faults([{"method": "GET", "path": "/resolve/|/sandbox-lfs/|/reconstructions/|/sandbox-xet/",
                         "action": "status", "status": 404, "times": 100}])
    result = run("pull", "--locked")
    assert result.exit_code == 1, result.output
    assert f"    {source}: read models/acme/m1:" in result.stderr
    assert f"{endless_registry.host} sent more than 4 MiB, the most hfsync reads for that answer" in result.stderr
    assert "Traceback" not in result.stderr
    assert not dest.exists() or [p.name for p in dest.iterdir() if p.name != ".hfsync"] == []  # nothing installed
    assert endless_registry.sent_to(MANIFEST_ROUTE) <= 4 * MIB + SLACK


def test_an_endless_token_answer_and_an_endless_refusal_are_read_only_so_far(tmp_path, monkeypatch):
    from hfsync.hub.bounded import ERROR_PAGE, TooLarge
    from hfsync.hub.retry import Retry
    from hfsync.registry.client import TOKEN_LIMIT, Reference, Registry

    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "no-auth.json"))
    server = EndlessServer({}, cap=64 * MIB)
    host = server.host
    server.routes.update({
        MANIFEST_ROUTE: (401, {"WWW-Authenticate": f'Bearer realm="http://{host}/token",service="reg"'},
                         b'{"errors": [', b'{"code": "DENIED"}, ' * 4096),
        "/token": (200, {"Content-Type": "application/json"}, b'{"token": "', b"t" * 65536),
    })
    client = Registry(Reference.parse(f"oci://{host}/models"), Retry())
    try:
        with pytest.raises(TooLarge) as caught:
            client.get_manifest("models/acme/m1", "c" * 40)
    finally:
        client.close()
        server.close()
    assert str(caught.value) == (f"read models/acme/m1:{'c' * 40}: the registry's token service: {host} sent more "
                                 "than 1 MiB, the most hfsync reads for that answer; it stopped reading there")
    assert server.sent_to("/token") <= TOKEN_LIMIT + SLACK
    assert server.sent_to(MANIFEST_ROUTE) <= ERROR_PAGE + SLACK


def test_a_mirrors_endless_error_page_is_read_only_for_its_message(sandbox, make_repo, project, run):
    from hfsync.hub.bounded import ERROR_PAGE

    weights, dest = locked_model(make_repo, project, run)
    mirror = EndlessServer({"/": (404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "no such file"},
                                  b"<html>", b"not here " * 7000)}, cap=64 * MIB)
    try:
        project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[mirror.url])
        result = run("pull", "--locked")
        assert result.exit_code == 0, result.output
        assert (dest / "model.safetensors").read_bytes() == weights
        assert f"source {mirror.url} does not have a pinned file" in result.stderr
        asked = len(mirror.requests)
        assert asked >= 1
        assert mirror.sent_to("/", answers=asked) <= asked * (ERROR_PAGE + SLACK)
    finally:
        mirror.close()


def test_an_endless_blob_is_streamed_only_up_to_the_pinned_size(tmp_path, monkeypatch):
    import hashlib
    import os

    from hfsync.errors import ContentError
    from hfsync.hub.retry import Retry, RetryPolicy
    from hfsync.model.lock import LockedFile, LockedPull
    from hfsync.pull import ociartifact
    from hfsync.pull.ocisource import OciSource

    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "no-auth.json"))
    data = os.urandom(2 * MIB)
    sha = hashlib.sha256(data).hexdigest()
    file = LockedFile("model.safetensors", len(data), sha256=sha)
    entry = LockedPull("acme/m1", "model", "main", "c" * 40, "r", (file,))
    blobs = ociartifact.layers(entry, {file.path: f"sha256:{sha}"})
    config, _body = ociartifact.config(entry, blobs)
    blob = f"/v2/models/acme/m1/blobs/sha256:{sha}"
    server = EndlessServer({
        MANIFEST_ROUTE: (200, {"Content-Type": ociartifact.MANIFEST}, ociartifact.manifest(entry, blobs, config, "x"),
                         b""),
        blob: (200, {}, data, os.urandom(1 << 16)),  # the pinned bytes, then more and more
    }, cap=256 * MIB)
    source = OciSource(f"oci://{server.host}/models", Retry(RetryPolicy(base=0.01)))
    target = tmp_path / "out" / "model.safetensors"
    target.parent.mkdir()
    try:
        with pytest.raises(ContentError) as caught:
            source.fetch(entry, file, target, partial=tmp_path / "model.partial", label="acme/m1/model.safetensors",
                         advance=lambda n: None, accept=None)
    finally:
        source.close()
        server.close()
    assert str(caught.value).startswith("acme/m1/model.safetensors: the downloaded bytes do not match the lock "
                                        f"(more than the {len(data)} pinned bytes), twice; nothing was written.")
    assert not target.exists()
    assert server.sent_to(blob, answers=2) <= 2 * (len(data) + SLACK)
