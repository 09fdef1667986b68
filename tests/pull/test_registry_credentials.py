"""A registry's credentials go to its own origin and the token realm it names, never to a host
it sends the client to (an upload Location, a redirect): hostile registries and a second host
(tests/foreign.py) that records everything it receives."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
import yaml

from tests.foreign import Host, Seen, credentials, leaks

USER, PASSWORD = "fleet", "reg-pw-7c1e0b"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SECRETS = credentials(basic=(USER, PASSWORD))
DATA = b"weights" * 1000
DIGEST = f"sha256:{hashlib.sha256(DATA).hexdigest()}"


@pytest.fixture
def auth_file(tmp_path, monkeypatch):
    def write(host: str) -> None:
        path = tmp_path / "auth.json"
        path.write_text(json.dumps({"auths": {host: {"username": USER, "password": PASSWORD}}}))
        monkeypatch.setenv("REGISTRY_AUTH_FILE", str(path))

    return write


def basic_registry(elsewhere: Host):
    """A registry asking for Basic auth that hands uploads and manifest reads to ``elsewhere``."""

    def respond(seen: Seen):
        if seen.header("Authorization") != BASIC:
            return 401, {"WWW-Authenticate": 'Basic realm="registry"'}, b""
        if seen.method == "POST" and seen.path.endswith("/blobs/uploads/"):
            return 202, {"Location": f"{elsewhere.url}/upload/1?state=a"}, b""
        if "/manifests/" in seen.path:
            return 307, {"Location": f"{elsewhere.url}{seen.path}"}, b""
        return 404, {}, b""

    return respond


def tempting(host: Host):
    """A host that asks for a token from a realm of its own, and hands one to whoever asks."""

    def respond(seen: Seen):
        if seen.path == "/token":
            return 200, {"Content-Type": "application/json"}, b'{"token": "t"}'
        return 401, {"WWW-Authenticate": f'Bearer realm="{host.url}/token",service="x"'}, b""

    return respond


def client_for(registry: Host):
    from hfsync.hub.retry import Retry, RetryPolicy
    from hfsync.registry.client import Reference, Registry

    return Registry(Reference.parse(f"oci://127.0.0.1:{registry.port}/models"), Retry(RetryPolicy(attempts=1)))


def test_an_upload_handed_to_another_host_is_sent_there_without_credentials(auth_file):
    def storage(seen: Seen):
        if seen.method == "PATCH":
            return 202, {"Location": f"http://localhost:{seen.headers['Host'].split(':')[1]}/upload/1?state=b"}, b""
        return (201, {}, b"") if seen.method == "PUT" else (404, {}, b"")

    with Host(storage) as elsewhere, Host() as registry:
        registry.respond = basic_registry(elsewhere)
        auth_file(f"127.0.0.1:{registry.port}")
        client = client_for(registry)
        client.upload_blob("models/acme/m1", DIGEST, len(DATA), lambda o, n: DATA[o:o + n], chunk=4096)
        client.close()
    assert [(s.method, s.path) for s in elsewhere.seen] == [("PATCH", "/upload/1"), ("PATCH", "/upload/1"),
                                                            ("PUT", "/upload/1")]
    assert b"".join(s.body for s in elsewhere.seen) == DATA
    assert leaks(elsewhere.seen, SECRETS) == []
    assert [s.header("Authorization") for s in registry.seen] == [None, BASIC]  # its own origin: answered


def test_a_challenge_from_the_host_an_upload_was_handed_to_is_not_answered(auth_file):
    from hfsync.registry.client import RegistryError

    def tempting(seen: Seen):
        return 401, {"WWW-Authenticate": f'Bearer realm="http://localhost:{foreign.port}/token",service="x"'}, b""

    with Host(tempting) as foreign, Host() as registry:
        registry.respond = basic_registry(foreign)
        auth_file(f"127.0.0.1:{registry.port}")
        client = client_for(registry)
        with pytest.raises(RegistryError) as caught:
            client.upload_blob("models/acme/m1", DIGEST, len(DATA), lambda o, n: DATA[o:o + n])
        client.close()
    here, there = f"127.0.0.1:{registry.port}", f"localhost:{foreign.port}"
    assert caught.value.message == (
        f"upload models/acme/m1@{DIGEST[:19]}: {there}, where {here} sent the request, asks for authentication; "
        f"the credentials for {here} go only to {here} and the token service it names, so it was not answered")
    assert caught.value.hint == f"Ask the operator of {here} why it sends clients to another host."
    assert [s.path for s in foreign.seen if s.path == "/token"] == []
    assert foreign.seen and leaks(foreign.seen, SECRETS) == []


def test_a_realm_named_by_a_host_the_registry_redirected_to_gets_no_credentials(auth_file):
    from hfsync.registry.client import RegistryError

    with Host() as foreign, Host() as registry:
        foreign.respond, registry.respond = tempting(foreign), basic_registry(foreign)
        auth_file(f"127.0.0.1:{registry.port}")
        client = client_for(registry)
        with pytest.raises(RegistryError, match=re.escape(
                f"read models/acme/m1:abc: localhost:{foreign.port}, where 127.0.0.1:{registry.port} sent the "
                "request, asks for authentication;")):
            client.get_manifest("models/acme/m1", "abc")
        client.close()
    assert [(s.method, s.path) for s in foreign.seen] == [("GET", "/v2/models/acme/m1/manifests/abc")]
    assert leaks(foreign.seen, SECRETS) == []


def test_the_token_realm_the_registry_names_on_another_host_gets_the_credentials_and_nothing_else(auth_file):
    """The registry token protocol: the realm the registry itself names may be anywhere."""

    def tokens(seen: Seen):
        return 200, {"Content-Type": "application/json"}, b'{"token": "bearer-8d2f"}'

    def registry_answer(seen: Seen):
        if seen.header("Authorization") != "Bearer bearer-8d2f":
            return 401, {"WWW-Authenticate": f'Bearer realm="{realm.url}/token",service="reg"'}, b""
        return 404, {}, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}'

    with Host(tokens) as realm, Host(registry_answer) as registry:
        auth_file(f"127.0.0.1:{registry.port}")
        client = client_for(registry)
        assert client.get_manifest("models/acme/m1", "abc") is None
        client.close()
    assert [(s.path, s.header("Authorization")) for s in realm.seen] == [("/token", BASIC)]
    assert [s.header("Authorization") for s in registry.seen] == [None, "Bearer bearer-8d2f"]


def test_a_pull_whose_registry_redirects_to_a_hostile_host_fails_clearly_and_leaks_nothing(
        sandbox, make_repo, project, run, auth_file, tmp_path):
    from tests.pull.test_pull_sandbox import locked_model

    _weights, dest = locked_model(make_repo, project, run)

    with Host() as foreign, Host() as registry:
        foreign.respond, registry.respond = tempting(foreign), basic_registry(foreign)
        auth_file(f"127.0.0.1:{registry.port}")
        project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[f"oci://127.0.0.1:{registry.port}/models"])
        trace = tmp_path / "trace.jsonl"
        result = run("pull", "--locked", "--offline", "--trace-file", str(trace))
    here, there = f"127.0.0.1:{registry.port}", f"localhost:{foreign.port}"
    commit = yaml.safe_load(project.lock.read_text())["pulls"][0]["commit"]
    assert result.exit_code == 1, result.output
    refused = (f"read models/acme/m1:{commit}: {there}, where {here} sent the request, asks for authentication; the "
               f"credentials for {here} go only to {here} and the token service it names, so it was not answered")
    assert result.stderr.split("Error: ", 1)[1] == (
        "4 files could not be pulled; the others are in place:\n" + f"  {refused}\n" * 4
        + f"Hint: Ask the operator of {here} why it sends clients to another host.\n")  # not "run again"
    assert not dest.exists() or not any(dest.glob("*.safetensors"))
    assert {s.path for s in foreign.seen} == {f"/v2/models/acme/m1/manifests/{commit}"}
    assert leaks(foreign.seen, SECRETS) == []
    for output in (result.stdout, result.stderr, trace.read_text()):
        assert [secret for secret in SECRETS if secret in output] == []


@pytest.mark.parametrize("proxied", [False, True], ids=["lean-pool", "behind-a-proxy"])
def test_a_blob_redirected_to_another_host_is_fetched_there_without_credentials(auth_file, tmp_path, monkeypatch,
                                                                               proxied):
    """Registries hand blobs to storage on another host: the bytes come from there, the credentials
    stay with the registry."""
    from hfsync.hub.retry import Retry, RetryPolicy
    from hfsync.model.lock import LockedFile, LockedPull
    from hfsync.pull import ociartifact
    from hfsync.pull.ocisource import OciSource

    if proxied:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    file = LockedFile("model.safetensors", len(DATA), sha256=DIGEST.removeprefix("sha256:"))
    entry = LockedPull("acme/m1", "model", "main", "c" * 40, "r", (file,))
    blobs = ociartifact.layers(entry, {file.path: DIGEST})
    config, _body = ociartifact.config(entry, blobs)
    manifest = ociartifact.manifest(entry, blobs, config, "x")

    def registry_answer(seen: Seen):
        if seen.header("Authorization") != BASIC:
            return 401, {"WWW-Authenticate": 'Basic realm="registry"'}, b""
        if "/manifests/" in seen.path:
            return 200, {"Content-Type": ociartifact.MANIFEST}, manifest
        return 307, {"Location": f"{storage.url}/blob?signature=s"}, b""

    with Host(lambda seen: (200, {}, DATA)) as storage, Host(registry_answer) as registry:
        auth_file(f"127.0.0.1:{registry.port}")
        source = OciSource(f"oci://127.0.0.1:{registry.port}/models", Retry(RetryPolicy(attempts=1)))
        target = tmp_path / "model.safetensors"
        source.fetch(entry, file, target, partial=tmp_path / "partial", label="acme/m1/model.safetensors",
                     advance=lambda n: None, accept=None).install()
        source.close()
    assert target.read_bytes() == DATA
    assert [s.path for s in storage.seen] == ["/blob"]
    assert leaks(storage.seen, SECRETS) == []
    assert [s.header("Authorization") for s in registry.seen] == [None, BASIC, BASIC]


def test_registry_credentials_once_earned_are_refused_to_any_other_host_by_the_shared_client(auth_file):
    """Blob downloads go through huggingface_hub's client (behind a proxy): it holds a registry's
    credentials to the registry's origin as it holds the Hub token to the Hub's."""
    from huggingface_hub import get_session

    from hfsync.errors import HubError
    from hfsync.hub import session

    def registry_answer(seen: Seen):
        return (404, {}, b"") if seen.header("Authorization") == BASIC else (
            401, {"WWW-Authenticate": 'Basic realm="registry"'}, b"")

    with Host(registry_answer) as registry, Host() as foreign:
        auth_file(f"127.0.0.1:{registry.port}")
        client = client_for(registry)
        assert client.get_manifest("models/acme/m1", "abc") is None  # the credentials are earned
        client.close()
        session.install()
        # (The same credentials earned by earlier registries of this process are listed too.)
        with pytest.raises(HubError, match=re.escape(
                f"GET /v2/x on localhost:{foreign.port} was not sent: it would carry a token that goes only to ")
                + rf".*\b127\.0\.0\.1:{registry.port}\b"):
            get_session().get(f"{foreign.url}/v2/x", headers={"Authorization": BASIC})
    assert foreign.seen == []


def test_a_push_whose_upload_is_handed_to_a_host_asking_for_credentials_stops_clearly(
        sandbox, make_repo, project, run, auth_file, tmp_path):
    from types import SimpleNamespace

    from tests.pull.test_oci import pushed
    from tests.pull.test_pull_sandbox import locked_model

    locked_model(make_repo, project, run)
    assert run("pull", "--locked").exit_code == 0

    def registry_answer(seen: Seen):
        if seen.method == "HEAD" and seen.header("Authorization") == BASIC:
            return 404, {}, b""  # no blob yet: each is uploaded
        return basic_registry(foreign)(seen)

    with Host() as foreign, Host(registry_answer) as registry:
        foreign.respond = tempting(foreign)
        auth_file(f"127.0.0.1:{registry.port}")
        result = pushed(sandbox, project, SimpleNamespace(url=f"oci://127.0.0.1:{registry.port}/models"))
    here, there = f"127.0.0.1:{registry.port}", f"localhost:{foreign.port}"
    assert result.exit_code == 1, result.output
    assert re.fullmatch(re.escape("Error: upload models/acme/m1@") + r"sha256:[0-9a-f]{12}" + re.escape(
        f": {there}, where {here} sent the request, asks for authentication; the credentials for {here} go only to "
        f"{here} and the token service it names, so it was not answered\n"
        f"Hint: Ask the operator of {here} why it sends clients to another host.\n"), result.stderr), result.stderr
    assert {s.method for s in foreign.seen} <= {"PATCH", "GET"} and foreign.seen
    assert "/token" not in {s.path for s in foreign.seen}
    assert leaks(foreign.seen, SECRETS) == []
    assert [v for v in SECRETS if v in result.output] == []
