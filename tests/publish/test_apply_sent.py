"""What apply says it sent is what reached the Hub's storage: measured by the sandbox's byte counters."""

from __future__ import annotations

import json
import os
import random
import re

import pytest

from tests.pull.conftest import safetensors_bytes

SIZE = 4_000_000
MANIFEST = "version: 1\nrepos:\n  - id: acme/weights\n    type: model\n    source: {path: src}\n    card: {generate: false}\n"


def weights(seed: int = 1) -> bytearray:
    """A valid safetensors file of random float bytes (incompressible, like real weights)."""
    data = bytearray(safetensors_bytes({"w": ("U8", [SIZE])}))
    data[-SIZE:] = random.Random(seed).randbytes(SIZE)
    return data


def storage_bytes(sandbox) -> int:
    """Body bytes the sandbox's storage received: Xet xorbs and shards."""
    routes = sandbox.stats()["routes"]
    return sum(routes.get(k, {}).get("bytes_in", 0) for k in ("POST xorb-upload", "POST shard-upload"))


def near(reported: int, sandbox) -> bool:
    """What apply reported is what the storage received, to the byte (xorbs as sent, and shards)."""
    return reported == storage_bytes(sandbox)


@pytest.fixture
def published(project, xet_on):
    project.yaml(MANIFEST)
    project.write("src/model.safetensors", bytes(weights()))
    result = project.apply()
    assert result.exit_code == 0, result.output
    return project


def test_a_small_edit_reports_the_bytes_that_went_over_the_wire(published):
    sandbox = published.sandbox
    data = weights()
    middle = len(data) // 2
    data[middle:middle + SIZE // 100] = os.urandom(SIZE // 100)  # 1% of the file rewritten
    published.write("src/model.safetensors", bytes(data))
    sandbox.reset_stats()
    result = published.apply()
    assert result.exit_code == 0, result.output
    received = storage_bytes(sandbox)
    assert 0 < received < SIZE // 4  # dedup: the storage got the new chunks, not the file
    sent = re.search(r"committed 1 upload, 0 deletions as [0-9a-f]{7} \(([0-9.]+) kB sent\)", result.stdout)
    assert sent is not None, result.stdout
    assert abs(float(sent.group(1)) * 1000 - received) <= 100  # as human_size rounds it


def test_json_reports_bytes_sent_per_target(published):
    sandbox = published.sandbox
    data = weights()
    data[100:200] = b"\x00" * 100
    published.write("src/model.safetensors", bytes(data))
    sandbox.reset_stats()
    result = published.apply("--format", "json")
    assert result.exit_code == 0, result.output
    [target] = json.loads(result.stdout)["targets"]
    assert near(target["bytes_sent"], sandbox)
    assert 0 < target["bytes_sent"] < SIZE // 4


def test_a_first_upload_reports_about_the_whole_file(project, xet_on):
    project.yaml(MANIFEST)
    project.write("src/model.safetensors", bytes(weights(seed=7)))
    result = project.apply("--format", "json")
    assert result.exit_code == 0, result.output
    [target] = json.loads(result.stdout)["targets"]
    assert near(target["bytes_sent"], project.sandbox) and target["bytes_sent"] > SIZE


def test_on_the_legacy_path_the_whole_file_is_sent_and_said(project, legacy_lfs):
    project.yaml(MANIFEST)
    data = bytes(weights(seed=3))
    project.write("src/model.safetensors", data)
    result = project.apply("--format", "json")
    assert result.exit_code == 0, result.output
    [target] = json.loads(result.stdout)["targets"]
    assert target["bytes_sent"] == len(data) == project.sandbox.stats()["routes"]["PUT lfs-upload"]["bytes_in"]


def test_float_like_data_reports_the_compressed_bytes_the_storage_received(project, xet_on):
    project.yaml(MANIFEST)
    data = weights(seed=5)
    data[-SIZE + 3::4] = b"\x3f" * len(range(3, SIZE, 4))  # float32-like: one byte in four repeats
    project.write("src/model.safetensors", bytes(data))
    result = project.apply("--format", "json")
    assert result.exit_code == 0, result.output
    [target] = json.loads(result.stdout)["targets"]
    assert storage_bytes(project.sandbox) < SIZE * 0.9  # xorbs compress it
    assert near(target["bytes_sent"], project.sandbox)
