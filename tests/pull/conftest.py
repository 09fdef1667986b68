"""Fixtures for pull tests: repos on the sandbox Hub, manifests that pull them."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
import yaml


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]], fill: int = 7) -> bytes:
    """A well-formed .safetensors file (dtype sizes from the format) filled with ``fill``."""
    from hfsync.pull.safetensors import DTYPE_BITS

    header, offset = {}, 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for dim in shape:
            count *= dim
        size = count * DTYPE_BITS[dtype] // 8
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + bytes([fill]) * offset


def partial_for(root: Path, relative: str) -> Path:
    """Where a pull assembles ``root/relative`` (hfsync's private folder in the destination)."""
    import hashlib

    return root / ".hfsync" / "partial" / hashlib.sha256(relative.encode()).hexdigest()[:40]


def big_safetensors(size: int, fill: int = 3) -> bytes:
    """A valid safetensors file of about ``size`` bytes (one U8 tensor)."""
    return safetensors_bytes({"w": ("U8", [size])}, fill)


@pytest.fixture
def hub(sandbox):
    """An HfApi on the sandbox as user `sandbox`."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=sandbox.url, token=sandbox.token)


@pytest.fixture
def make_repo(hub, tmp_path):
    """Create ``acme/<name>`` holding ``files`` ({path: bytes}); return the commit id."""
    counter = iter(range(1000))

    def make(repo_id: str, files: dict[str, bytes], repo_type: str = "model", message: str = "seed") -> str:
        folder = tmp_path / f"upload-{next(counter)}"
        for path, data in files.items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        hub.create_repo(repo_id, repo_type=repo_type, exist_ok=True)
        info = hub.upload_folder(folder_path=folder, repo_id=repo_id, repo_type=repo_type, commit_message=message)
        return info.oid

    return make


@pytest.fixture
def project(tmp_path):
    """A folder with an hfsync.yaml; ``write(pulls)`` rewrites it and returns its path."""
    root = tmp_path / "project"
    root.mkdir()

    class Project:
        path = root
        manifest = root / "hfsync.yaml"
        lock = root / "hfsync.lock"

        def write(self, pulls: list[dict], **extra) -> Path:
            self.manifest.write_text(yaml.safe_dump({"version": 1, **extra, "pulls": pulls}, sort_keys=False))
            return self.manifest

    return Project()


@pytest.fixture
def run(sandbox, project):
    """``run("pull", "--locked")``: the CLI against the sandbox for the project's manifest."""
    from tests.helpers import hfsync

    def invoke(*args: str):
        command, *rest = args
        os.environ["HF_TOKEN"] = sandbox.token
        try:
            return hfsync("--endpoint", sandbox.url, "--no-progress", command, "-f", str(project.manifest), *rest)
        finally:
            os.environ.pop("HF_TOKEN", None)

    return invoke


class FakeTime:
    """A clock and a sleep that advance together, recording every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def engine_pull(sandbox, project):
    """Run the pull engine directly with a fast retry policy (no real waiting)."""
    from hfsync.hub.client import Hub
    from hfsync.hub.retry import Retry, RetryPolicy
    from hfsync.manifest.load import load
    from hfsync.pull.install import PullOptions, run_pull
    from hfsync.render.progress import PlainReporter

    def invoke(attempts: int = 4, **options):
        fake = FakeTime()
        retry = Retry(RetryPolicy(attempts=attempts, max_wait=60), sleep=fake.sleep, clock=fake.clock)
        hub = Hub(sandbox.url, sandbox.token, retry=retry)
        return run_pull(load([project.manifest]), hub, retry, PullOptions(**options), PlainReporter(quiet=True))

    return invoke



@pytest.fixture
def registry(tmp_path, monkeypatch):
    """The CNCF distribution registry on a free loopback port with basic auth (tests.registry), stopped
    by its PID after the test; REGISTRY_AUTH_FILE points at an auth file for it. Skipped when missing."""
    from tests.registry import missing, running_registry

    reason = missing()
    if reason:
        pytest.skip(reason)
    with running_registry(tmp_path / "registry") as started:
        monkeypatch.setenv("REGISTRY_AUTH_FILE", str(started.auth_file))
        yield started
