"""Pulls behind a proxy, from every kind of source (the Hub with Xet, a Hub-protocol mirror, an
OCI registry): with loopback in NO_PROXY nothing reaches the proxy, and without it every request
goes through a forward proxy the test runs on 127.0.0.1 (tests/foreign.py), which records what
passes: the bytes arrive, each credential travels only to its own origin, and the proxy gets a
Proxy-Authorization only when its URL names a user."""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import urlsplit

import pytest

from tests.foreign import Host, credentials, forward
from tests.helpers import hfsync
from tests.pull.test_oci import pushed
from tests.pull.test_pull_sandbox import CONFIG, locked_model

PROXY_USER, PROXY_PASSWORD = "proxyuser", "proxy-pw-41aa"
KINDS = ("hub", "mirror", "oci")


@pytest.fixture
def proxy():
    with Host(forward) as running:
        yield running


def behind(monkeypatch, proxy_url: str, no_proxy: str) -> None:
    """Proxy settings as a machine has them, read afresh by the next client made."""
    from hfsync.hub import session

    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("HTTPS_PROXY", proxy_url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    session.uninstall()  # huggingface_hub's shared client reads the proxies when it is made


@pytest.fixture
def source(request, sandbox, make_repo, project, run, tmp_path):
    """A locked model and where the pull takes it from: (weights, dest, source URL or None, its host)."""
    kind = request.param
    weights, dest = locked_model(make_repo, project, run, size=3_000_000)
    if kind == "hub":
        yield weights, dest, None, urlsplit(sandbox.url).netloc
        return
    if kind == "mirror":
        import shutil

        from hfsync.sandbox.server import SandboxServer

        shutil.copytree(sandbox.data_dir, tmp_path / "mirror")
        server = SandboxServer(tmp_path / "mirror").start()
        try:
            yield weights, dest, server.url, urlsplit(server.url).netloc
        finally:
            server.stop()
        return
    registry = request.getfixturevalue("registry")
    assert run("pull", "--locked").exit_code == 0
    assert pushed(sandbox, project, registry).exit_code == 0
    for path in [p for p in dest.iterdir() if p.is_file()]:
        path.unlink()
    yield weights, dest, registry.url, registry.host


def pull(sandbox, project, source_url, trace):
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[source_url] if source_url else [])
    os.environ["HF_TOKEN"] = sandbox.token
    try:
        return hfsync("--endpoint", sandbox.url, "--no-progress", "--trace-file", str(trace), "pull", "-f",
                      str(project.manifest), "--locked", *(["--offline"] if source_url else []))
    finally:
        os.environ.pop("HF_TOKEN", None)


@pytest.mark.parametrize("source", KINDS, indirect=True)
def test_with_loopback_in_no_proxy_nothing_reaches_the_proxy(source, sandbox, project, proxy, monkeypatch, tmp_path):
    weights, dest, source_url, _host = source
    behind(monkeypatch, proxy.ip_url, "127.0.0.1,localhost")
    result = pull(sandbox, project, source_url, tmp_path / "trace.jsonl")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert (dest / "config.json").read_bytes() == CONFIG
    assert proxy.seen == []


@pytest.mark.parametrize("proxy_auth", [False, True], ids=["plain-proxy", "proxy-with-user"])
@pytest.mark.parametrize("source", KINDS, indirect=True)
def test_every_request_goes_through_the_proxy_and_credentials_only_to_their_origin(
        source, sandbox, project, proxy, monkeypatch, tmp_path, request, proxy_auth):
    weights, dest, source_url, host = source
    proxy_url = f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}" if proxy_auth else proxy.ip_url
    behind(monkeypatch, proxy_url, "")
    trace = tmp_path / "trace.jsonl"
    result = pull(sandbox, project, source_url, trace)
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert (dest / "config.json").read_bytes() == CONFIG
    passed = [s for s in proxy.seen if not urlsplit(s.target).path.startswith("/_sandbox/")]
    # Every request the pull made went through the proxy, to the source holding the bytes.
    assert passed and all(s.target.startswith("http://") for s in passed)
    assert host in {urlsplit(s.target).netloc for s in passed}
    traced = {(line["method"], line["path"]) for line in map(json.loads, trace.read_text().splitlines())}
    assert traced and traced <= {(s.method, urlsplit(s.target).path) for s in passed}
    given = "Basic " + base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode() if proxy_auth else None
    assert {s.header("Proxy-Authorization") for s in passed} == {given}
    # Each credential only on requests to the origin it is for.
    hub_host = urlsplit(sandbox.url).netloc
    secrets = {hub_host: credentials(sandbox.token)}
    if source_url and source_url.startswith("oci://"):
        registry = request.getfixturevalue("registry")
        secrets[registry.host] = credentials(basic=(registry.user, registry.password))
    for owner, values in secrets.items():
        elsewhere = [s for s in passed if urlsplit(s.target).netloc != owner]
        assert [s.target for s in elsewhere if any(v in str(s.headers) + s.target for v in values)] == []
    everything = [v for values in secrets.values() for v in values] + credentials(PROXY_PASSWORD)
    for output in (result.stdout, result.stderr, trace.read_text()):
        assert [v for v in everything if v in output] == []
