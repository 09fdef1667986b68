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
    from hfsync.pull.progress import PlainReporter

    def invoke(attempts: int = 4, **options):
        fake = FakeTime()
        retry = Retry(RetryPolicy(attempts=attempts, max_wait=60), sleep=fake.sleep, clock=fake.clock)
        hub = Hub(sandbox.url, sandbox.token)
        return run_pull(load([project.manifest]), hub, retry, PullOptions(**options), PlainReporter(quiet=True))

    return invoke


REGISTRY_BINARY = "/usr/bin/docker-registry"
REGISTRY_USER, REGISTRY_PASSWORD = "fleet", "registry-pw-3f9a1c"


def _htpasswd_line(user: str, password: str) -> str | None:
    """A bcrypt htpasswd line (the only hash the distribution registry accepts)."""
    try:
        import bcrypt
    except ImportError:
        bcrypt = None
    if bcrypt is not None:
        return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}"
    import shutil
    import subprocess

    tool = shutil.which("htpasswd")
    if tool is None:
        return None
    return subprocess.run([tool, "-nbB", "-C", "5", user, password], capture_output=True, text=True,
                          check=True).stdout.strip()


class Registry:
    """A running CNCF distribution registry: ``.host`` (127.0.0.1:PORT), ``.url`` (oci://HOST/models),
    ``.user``/``.password``, ``.auth_file`` (docker config format), ``.requests()`` (its access log)."""

    def __init__(self, host: str, root: Path, log: Path, auth_file: Path) -> None:
        self.host = host
        self.url = f"oci://{host}/models"
        self.root = root
        self.log = log
        self.auth_file = auth_file
        self.user, self.password = REGISTRY_USER, REGISTRY_PASSWORD

    def requests(self) -> list[str]:
        """Access-log lines: '"METHOD /path HTTP/1.1" status bytes'."""
        import re

        return re.findall(r'"((?:GET|HEAD|POST|PATCH|PUT|DELETE) \S+ HTTP/1.1" \d+ \d+)', self.log.read_text())

    def bytes_served(self, what: str = "/blobs/sha256:") -> int:
        return sum(int(line.rsplit(" ", 1)[1]) for line in self.requests()
                   if line.startswith("GET ") and what in line and '" 20' in line)


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """The distribution registry on a free loopback port with basic auth, stopped by its PID after
    the test; REGISTRY_AUTH_FILE points at an auth file for it. Skipped when the binary is missing."""
    import base64
    import signal
    import socket
    import subprocess
    import time
    import urllib.error
    import urllib.request

    if not os.access(REGISTRY_BINARY, os.X_OK):
        pytest.skip(f"{REGISTRY_BINARY} not found: `apt-get install docker-registry` (the CNCF distribution "
                    "registry) to run the OCI tests")
    line = _htpasswd_line(REGISTRY_USER, REGISTRY_PASSWORD)
    if line is None:
        pytest.skip("no bcrypt to write the registry's htpasswd: install python bcrypt or apache2-utils")
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "htpasswd").write_text(line + "\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host = f"127.0.0.1:{port}"
    (folder / "config.yml").write_text(yaml.safe_dump({
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": False}},
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")}, "delete": {"enabled": True}},
        "http": {"addr": host},
        "auth": {"htpasswd": {"realm": "hfsync-test", "path": str(folder / "htpasswd")}},
    }))
    log = folder / "registry.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen([REGISTRY_BINARY, "serve", str(folder / "config.yml")], stdout=sink,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{host}/v2/", timeout=1)
            except urllib.error.HTTPError as error:
                if error.code == 401:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the registry did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        auth_file = folder / "auth.json"
        token = base64.b64encode(f"{REGISTRY_USER}:{REGISTRY_PASSWORD}".encode()).decode()
        auth_file.write_text(json.dumps({"auths": {host: {"auth": token}}}))
        monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file))
        yield Registry(host, folder / "data", log, auth_file)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
