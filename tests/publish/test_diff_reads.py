"""Reads of the Hub's copy of a file for a plan's diff follow the retry policy of every other read."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi

from tests.pull.conftest import safetensors_bytes

BEFORE = b'{"hidden_size": 8, "num_labels": 2, "padding": "' + b"x" * 4000 + b'"}\n'
AFTER = BEFORE.replace(b'"num_labels": 2', b'"num_labels": 3')
WEIGHTS = safetensors_bytes({"w": ("F32", [4, 4])})


@pytest.fixture
def drifted(project, tmp_path):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "config.json").write_bytes(BEFORE)
    (seed / "model.safetensors").write_bytes(WEIGHTS)
    api = HfApi(endpoint=project.sandbox.url, token=project.sandbox.token)
    api.create_repo("acme/review")
    api.upload_folder(folder_path=seed, repo_id="acme/review")
    project.yaml("version: 1\nrepos:\n  - id: acme/review\n    type: model\n    source: {path: src}\n")
    project.write("src/config.json", AFTER)
    project.write("src/model.safetensors", safetensors_bytes({"w": ("BF16", [4, 4])}))
    return project


@pytest.mark.parametrize("rst", [True, False])
def test_a_reset_in_the_middle_of_a_diff_read_is_retried(drifted, rst):
    sandbox = drifted.sandbox
    sandbox.add_faults([
        {"method": "GET", "path": "/resolve/[0-9a-f]{40}/config.json$", "action": "reset", "after_bytes": 1000,
         "rst": rst},
        {"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "reset", "after_bytes": 20, "rst": rst},
    ])
    sandbox.reset_stats()
    result = drifted.plan()
    assert result.exit_code == 0, result.output
    assert "not compared" not in result.output
    assert "~ num_labels = 2 -> 3" in result.stdout
    assert '~ tensor.w   = "F32 [4, 4]" -> "BF16 [4, 4]"' in result.stdout
    routes = sandbox.stats()["routes"]
    # Each cut read made once more, from the start (the header's through its redirect again).
    assert (routes["GET resolve"]["requests"], routes["GET lfs-download"]["requests"]) == (4, 2)

def test_a_diff_read_gives_up_as_other_reads_do(drifted, monkeypatch):
    from hfsync.hub import retry
    from tests.pull.conftest import FakeTime

    time = FakeTime()
    monkeypatch.setattr(retry, "shared", retry.Retry(sleep=time.sleep, clock=time.clock, on_wait=lambda wait: None))
    drifted.sandbox.add_faults([{"method": "GET", "path": "/resolve/[0-9a-f]{40}/config.json$", "action": "reset",
                                 "after_bytes": 1000, "rst": True, "times": 100}])
    result = drifted.plan()
    assert ("# not compared: read config.json of acme/review: gave up after 8 attempts; last failure: "
            "ReadError: [Errno 104] Connection reset by peer") in result.stdout
    assert "~ tensor.w" in result.stdout  # the other files' diffs are there
