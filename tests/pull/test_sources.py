"""Pulling from mirrors before the Hub: a second sandbox Hub plays the mirror, faults and all."""

from __future__ import annotations

import shutil

import pytest
import yaml

from tests.pull.test_metrics import samples, value
from tests.pull.test_pull_sandbox import CONFIG, locked_model, partials


@pytest.fixture
def mirror(sandbox, tmp_path):
    """``mirror()``: a second sandbox Hub holding a copy of the first one's repos (same commits)."""
    from hfsync.sandbox.server import SandboxServer
    from hfsync.sandbox.testing import SandboxHandle

    servers = []

    def start(copy: bool = True) -> SandboxHandle:
        data = tmp_path / f"mirror-{len(servers)}"
        if copy:
            shutil.copytree(sandbox.data_dir, data)
        server = SandboxServer(data).start()
        servers.append(server)
        return SandboxHandle(server.url, server.token, server.data_dir, server)

    yield start
    for server in servers:
        server.stop()


def downloads(hub):
    routes = hub.stats()["routes"]
    return {k: v for k, v in routes.items() if k in ("GET resolve", "GET lfs-download")}


def pin(project):
    entry = yaml.safe_load(project.lock.read_text())["pulls"][0]
    return {"pull": entry["id"], "commit": entry["commit"]}, {f["path"]: f["size"] for f in entry["files"]}


def test_every_file_comes_from_the_mirror_and_the_hub_serves_none(sandbox, mirror, make_repo, project, run, tmp_path):
    weights, dest = locked_model(make_repo, project, run, size=3_000_000)
    near = mirror()
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[near.url])
    lock_before = project.lock.read_bytes()
    sandbox.reset_stats()
    metrics = tmp_path / "pull.prom"
    result = run("pull", "--locked", "--metrics-file", str(metrics))
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert (dest / "config.json").read_bytes() == CONFIG
    assert downloads(sandbox) == {}
    assert near.stats()["routes"]["GET lfs-download"]["bytes_out"] == len(weights)
    assert project.lock.read_bytes() == lock_before  # a source never changes what is pinned
    labels, sizes = pin(project)
    found = samples(metrics)
    assert value(found, "hfsync_pull_source_bytes", **labels, source=near.url) == sum(sizes.values())
    assert "source " not in result.stderr


def test_a_corrupting_mirror_is_passed_over_for_that_file_and_said_once(legacy_lfs, sandbox, mirror, make_repo, project, run,
                                                                       tmp_path):
    weights, dest = locked_model(make_repo, project, run, size=3_000_000)
    near = mirror()
    near.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "corrupt", "after_bytes": 4096,
                      "times": 100}])
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[near.url])
    sandbox.reset_stats()
    metrics = tmp_path / "pull.prom"
    result = run("pull", "--locked", "--metrics-file", str(metrics))
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert partials(dest) == []
    assert result.stderr.count(f"source {near.url} served bytes that do not match the lock") == 1
    # The weights came from the Hub; the small files from the mirror.
    assert sandbox.stats()["routes"]["GET lfs-download"]["bytes_out"] == len(weights)
    assert sandbox.stats()["routes"]["GET resolve"]["requests"] == 1
    labels, sizes = pin(project)
    found = samples(metrics)
    assert value(found, "hfsync_pull_source_bytes", **labels, source=sandbox.url) == len(weights)
    assert value(found, "hfsync_pull_source_bytes", **labels, source=near.url) == sum(sizes.values()) - len(weights)
    assert value(found, "hfsync_pull_source_files_rejected", **labels, source=near.url) == 1
    assert value(found, "hfsync_pull_success", **labels) == 1


def test_a_mirror_without_the_repo_falls_back_to_the_hub(sandbox, mirror, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run)
    empty = mirror(copy=False)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[empty.url])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert result.stderr.count(f"source {empty.url} does not have a pinned file") == 1
    assert empty.stats()["routes"]["GET resolve"]["requests"] == 4  # asked for each file: it may hold some


def test_a_dead_mirror_is_skipped_for_the_rest_of_the_run(sandbox, make_repo, project, engine_pull, monkeypatch):
    from hfsync.render.progress import PlainReporter

    weights, dest = locked_model_engine(sandbox, make_repo, project)
    monkeypatch.setenv("HFSYNC_SOURCES", "http://127.0.0.1:9, ")  # a closed port
    notes = []
    monkeypatch.setattr(PlainReporter, "note", lambda self, message: notes.append(message))
    summary = engine_pull(parallelism=1)
    assert summary.downloaded == 4
    assert (dest / "model.safetensors").read_bytes() == weights
    assert len(notes) == 1 and notes[0].startswith("source http://127.0.0.1:9 failed (download acme/m1/")
    assert notes[0].endswith("it is skipped for the rest of this run")
    record = summary.records["acme/m1"]
    assert record.rejected == {"http://127.0.0.1:9": 1}
    _labels, sizes = pin(project)
    assert record.sources == {sandbox.url: sum(sizes.values())}


def locked_model_engine(sandbox, make_repo, project):
    from tests.helpers import hfsync
    from tests.pull.test_pull_sandbox import seed_model

    _commit, weights = seed_model(make_repo)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    assert hfsync("--endpoint", sandbox.url, "lock", "-f", str(project.manifest)).exit_code == 0
    return weights, project.path / "vendor" / "m1"


def test_transient_mirror_faults_are_retried_on_the_mirror(sandbox, mirror, make_repo, project, run):
    weights, dest = locked_model(make_repo, project, run)
    near = mirror()
    near.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "reset", "after_bytes": 500_000},
                     {"method": "GET", "path": "/resolve/", "action": "status", "status": 503, "retry_after": 0}])
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[near.url])
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert downloads(sandbox) == {}
    assert near.stats()["routes"]["GET lfs-download"]["requests"] == 2  # resumed with Range on the mirror


def test_offline_pulls_from_the_mirror_and_never_the_hub(sandbox, mirror, make_repo, project, run, monkeypatch):
    weights, dest = locked_model(make_repo, project, run)
    near = mirror()
    monkeypatch.setenv("HFSYNC_SOURCES", near.url)
    sandbox.reset_stats()
    result = run("pull", "--locked", "--offline")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert sandbox.stats()["requests"] == 0

    # Offline, a file the mirror cannot give is missing: the Hub is not asked.
    (dest / "config.json").unlink()
    near.add_faults([{"method": "GET", "path": "config.json", "action": "status", "status": 404, "times": 10}])
    result = run("pull", "--locked", "--offline")
    assert result.exit_code == 1
    assert f"source {near.url}" not in result.stdout
    assert "config.json" in result.stderr
    assert sandbox.stats()["requests"] == 0


def test_env_sources_override_the_manifest_and_bad_ones_are_named(sandbox, make_repo, project, run, monkeypatch):
    locked_model(make_repo, project, run)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=["https://mirror.invalid"])
    monkeypatch.setenv("HFSYNC_SOURCES", "ftp://mirror.example")
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert ("HFSYNC_SOURCES: 'ftp://mirror.example' is not a source; expected a Hub-protocol endpoint "
            "(https://HOST[/PATH]) or an OCI registry (oci://HOST[:PORT]/PREFIX)") in result.stderr
    monkeypatch.setenv("HFSYNC_SOURCES", "oci://user:secret-pw@registry.example/models")
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert "oci://registry.example/models carries credentials in its address" in result.stderr
    assert "secret-pw" not in result.output
    monkeypatch.setenv("HFSYNC_SOURCES", "")  # set empty: no mirror at all, the manifest's too
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("bad", ["ftp://x", "oci:///nohost", "https://user:pw@mirror", "mirror.example"])
def test_the_manifest_schema_names_a_bad_source_with_its_line(project, bad):
    from tests.helpers import hfsync

    project.write([], sources=["https://ok.example", bad])
    result = hfsync("validate", "-f", str(project.manifest))
    assert result.exit_code == 1
    assert (f"{project.manifest}:4:3: sources[1]: expected a Hub-protocol endpoint (https://HOST[/PATH]) or an OCI "
            f"registry (oci://HOST[:PORT]/PREFIX), without credentials; got the string '{bad}'") in result.stderr


def test_a_hostile_mirror_never_sees_the_hub_token_and_cannot_plant_bytes(sandbox, make_repo, project, run,
                                                                          httpserver):
    weights, dest = locked_model(make_repo, project, run)
    seen = []

    def handler(request):
        from werkzeug import Response

        seen.append(dict(request.headers))
        return Response(b"\0" * 64, status=200)

    import re

    httpserver.expect_request(re.compile("/acme/m1/resolve/.*")).respond_with_handler(handler)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], sources=[httpserver.url_for("/").rstrip("/")])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (dest / "model.safetensors").read_bytes() == weights
    assert seen and all("Authorization" not in h and "authorization" not in h for h in seen)
    assert sandbox.token not in str(seen)


def test_a_file_no_source_gave_because_the_hub_kept_failing_says_to_pull_again(
        legacy_lfs, sandbox, make_repo, project, engine_pull, monkeypatch):
    from hfsync.errors import HfsyncError

    _weights, dest = locked_model_engine(sandbox, make_repo, project)
    monkeypatch.setenv("HFSYNC_SOURCES", "http://127.0.0.1:9, ")  # a closed port
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "status", "status": 503,
                         "retry_after": 0, "times": 100}])
    with pytest.raises(HfsyncError) as caught:
        engine_pull(attempts=2, parallelism=1)
    assert "acme/m1/model.safetensors: no source gave the pinned bytes:" in caught.value.message
    assert caught.value.hint == "Run `hfsync pull` again: finished files are skipped and partial ones resume."
    assert not (dest / "model.safetensors").exists()
