"""--metrics-file on pull and verify: Prometheus text that the official parser reads."""

from __future__ import annotations

import pytest
import yaml

from tests.pull.test_pull_sandbox import locked_model

parser = pytest.importorskip("prometheus_client.parser", reason="prometheus_client is in the test extra")


def samples(path):
    """{(metric name, frozenset of labels): value} as Prometheus reads the file."""
    found = {}
    for family in parser.text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name, **labels):
    return found[(name, frozenset(labels.items()))]


def test_pull_metrics_name_the_pinned_commit_and_the_source(sandbox, make_repo, project, run, tmp_path):
    weights, _dest = locked_model(make_repo, project, run)
    commit = yaml.safe_load(project.lock.read_text())["pulls"][0]["commit"]
    metrics = tmp_path / "textfile" / "hfsync-pull.prom"
    result = run("pull", "--locked", "--metrics-file", str(metrics))
    assert result.exit_code == 0, result.output
    found = samples(metrics)
    pin = {"pull": "acme/m1", "commit": commit}
    assert value(found, "hfsync_pull_files", **pin) == 4
    assert value(found, "hfsync_pull_files_verified", **pin) == 4
    total = sum(f["size"] for f in yaml.safe_load(project.lock.read_text())["pulls"][0]["files"])
    assert value(found, "hfsync_pull_bytes_verified", **pin) == total
    assert value(found, "hfsync_pull_files_missing", **pin) == 0
    assert value(found, "hfsync_pull_files_changed", **pin) == 0
    assert value(found, "hfsync_pull_success", **pin) == 1
    assert value(found, "hfsync_pull_source_bytes", **pin, source=sandbox.url) == total
    assert value(found, "hfsync_pull_duration_seconds", **pin) > 0
    assert value(found, "hfsync_pull_last_success_timestamp_seconds", **pin) > 1.7e9
    assert value(found, "hfsync_pull_run_success") == 1
    assert [p.name for p in metrics.parent.iterdir()] == ["hfsync-pull.prom"]  # no temp file left

    # Everything in place: verified again, nothing taken from any source.
    assert run("pull", "--locked", "--metrics-file", str(metrics)).exit_code == 0
    found = samples(metrics)
    assert value(found, "hfsync_pull_files_verified", **pin) == 4
    assert not [k for k in found if k[0] == "hfsync_pull_source_bytes"]
    assert len(weights) > 0


def test_a_failed_pull_still_writes_metrics_and_keeps_the_last_success(legacy_lfs, sandbox, make_repo, project, run, tmp_path):
    _weights, dest = locked_model(make_repo, project, run)
    commit = yaml.safe_load(project.lock.read_text())["pulls"][0]["commit"]
    metrics = tmp_path / "pull.prom"
    assert run("pull", "--locked", "--metrics-file", str(metrics)).exit_code == 0
    pin = {"pull": "acme/m1", "commit": commit}
    first = value(samples(metrics), "hfsync_pull_last_success_timestamp_seconds", **pin)

    (dest / "model.safetensors").unlink()
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "corrupt", "after_bytes": 1000,
                         "times": 2}])
    result = run("pull", "--locked", "--metrics-file", str(metrics))
    assert result.exit_code == 1
    found = samples(metrics)
    assert value(found, "hfsync_pull_files_changed", **pin) == 1
    assert value(found, "hfsync_pull_files_verified", **pin) == 3
    assert value(found, "hfsync_pull_success", **pin) == 0
    assert value(found, "hfsync_pull_run_success") == 0
    assert value(found, "hfsync_pull_last_success_timestamp_seconds", **pin) == first


def test_a_pull_refused_before_any_transfer_records_a_failed_run(sandbox, make_repo, project, run, tmp_path):
    locked_model(make_repo, project, run)
    project.write([{"id": "acme/m1", "dest": "vendor/m1", "include": ["*.json"]}])  # the lock is now stale
    metrics = tmp_path / "pull.prom"
    result = run("pull", "--locked", "--metrics-file", str(metrics))
    assert result.exit_code == 1 and "--locked" in result.stderr
    found = samples(metrics)
    assert value(found, "hfsync_pull_run_success") == 0
    assert not [k for k in found if k[0] == "hfsync_pull_files"]


def test_verify_metrics_count_missing_changed_and_extra(sandbox, make_repo, project, run, tmp_path):
    _weights, dest = locked_model(make_repo, project, run)
    commit = yaml.safe_load(project.lock.read_text())["pulls"][0]["commit"]
    assert run("pull", "--locked").exit_code == 0
    metrics = tmp_path / "verify.prom"
    assert run("verify", "--metrics-file", str(metrics)).exit_code == 0
    pin = {"pull": "acme/m1", "commit": commit}
    found = samples(metrics)
    assert value(found, "hfsync_verify_files_verified", **pin) == 4
    assert value(found, "hfsync_verify_success", **pin) == 1
    stamp = value(found, "hfsync_verify_last_success_timestamp_seconds", **pin)

    (dest / "README.md").unlink()
    (dest / "config.json").write_bytes(b'{"hidden_size": 9}\n')
    (dest / "notes.txt").write_text("mine")
    result = run("verify", "--strict", "--metrics-file", str(metrics))
    assert result.exit_code == 1
    found = samples(metrics)
    assert value(found, "hfsync_verify_files_missing", **pin) == 1
    assert value(found, "hfsync_verify_files_changed", **pin) == 1
    assert value(found, "hfsync_verify_files_extra", **pin) == 1
    assert value(found, "hfsync_verify_files_verified", **pin) == 2
    assert value(found, "hfsync_verify_success", **pin) == 0
    assert value(found, "hfsync_verify_run_success") == 0
    assert value(found, "hfsync_verify_last_success_timestamp_seconds", **pin) == stamp


@pytest.mark.parametrize("key", ['acme/q"uote', "acme/back\\slash", "acme/new\nline", "acme/ünï"])
def test_label_values_are_escaped_and_survive_a_rewrite(tmp_path, key):
    from hfsync.pull.metrics import PullRecord, write_metrics

    path = tmp_path / "m.prom"
    good = PullRecord(key, "c" * 40, files=1, verified=1, bytes_verified=5)
    write_metrics(path, "pull", [good], ok=True, now=1000.0)
    bad = PullRecord(key, "c" * 40, files=1, missing=1)
    write_metrics(path, "pull", [bad], ok=False, now=2000.0)
    found = samples(path)
    assert value(found, "hfsync_pull_last_success_timestamp_seconds", pull=key, commit="c" * 40) == 1000.0
    assert value(found, "hfsync_pull_files_missing", pull=key, commit="c" * 40) == 1
    assert value(found, "hfsync_pull_run_timestamp_seconds") == 2000.0


def test_a_previous_file_that_is_not_metrics_is_replaced(tmp_path):
    from hfsync.pull.metrics import PullRecord, write_metrics

    path = tmp_path / "m.prom"
    path.write_bytes(b"\xff\xfe not metrics\nhfsync_pull_last_success_timestamp_seconds{pull=\"x\"} nan?\n")
    write_metrics(path, "pull", [PullRecord("a/b", "d" * 40, files=0)], ok=True, now=5.0)
    found = samples(path)
    assert value(found, "hfsync_pull_last_success_timestamp_seconds", pull="a/b", commit="d" * 40) == 5.0
    assert not [k for k in found if dict(k[1]).get("pull") == "x"]
