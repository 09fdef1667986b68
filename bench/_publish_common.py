"""Shared set-up for the publish benchmarks: an in-process sandbox and generated trees.

Each benchmark starts its own sandbox Hub on 127.0.0.1 in a temp dir, generates its
own data there, and measures hfsync against huggingface_hub on the same sandbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

# Before huggingface_hub is imported: these are read at import time.
_TMP = Path(tempfile.mkdtemp(prefix="hfsync-bench-"))
os.environ.setdefault("HF_HOME", str(_TMP / "hf"))
os.environ["HFSYNC_CACHE_DIR"] = str(_TMP / "hfsync-cache")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hfsync.sandbox.server import SandboxServer  # noqa: E402
from hfsync.sandbox.testing import SandboxHandle  # noqa: E402

TMP = _TMP


@contextmanager
def sandbox(name: str = "hub"):
    """A running sandbox (SandboxHandle), stopped through its own handle afterwards."""
    server = SandboxServer(TMP / name).start()
    try:
        yield SandboxHandle(server.url, server.token, server.data_dir, server)
    finally:
        server.stop()


@contextmanager
def sandbox_process(name: str = "hub"):
    """A sandbox in a process of its own (a SandboxHandle on it), as the Hub is another
    machine: serving requests does not take the measured process's interpreter lock.
    Stopped through its PID afterwards."""
    log = TMP / f"{name}.log"
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(TMP / name), "--port", "0"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        for _ in range(600):
            text = log.read_text()
            if "Token for user sandbox: " in text:
                url = text.split("Sandbox Hub listening on ")[1].split()[0]
                yield SandboxHandle(url, text.split("Token for user sandbox: ")[1].split()[0])
                return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"the sandbox did not start:\n{log.read_text()}")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def make_tree(root: Path, files: int, total_bytes: int, suffix: str = ".safetensors") -> list[Path]:
    """``files`` files of random bytes adding up to ``total_bytes``."""
    root.mkdir(parents=True, exist_ok=True)
    each = max(1, total_bytes // files)
    paths = []
    for i in range(files):
        path = root / f"shard-{i // 100:03}" / f"part-{i:05}{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(each))
        paths.append(path)
    return paths


def manifest(folder: Path, repo_id: str, source: Path) -> Path:
    path = folder / f"{repo_id.replace('/', '-')}.yaml"
    rel = source.relative_to(folder)
    path.write_text(f"version: 1\nrepos:\n  - id: {repo_id}\n    source: {{path: {rel}}}\n")
    return path


@contextmanager
def timed(into: dict, key: str):
    start = time.perf_counter()
    yield
    into[key] = time.perf_counter() - start


def drop_page_cache_hint() -> str:
    return "(file contents are in the OS page cache for every run; ratios compare CPU+I/O work, not cold reads)"
