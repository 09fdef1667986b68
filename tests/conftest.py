"""Test isolation: no test touches the real home, the real Hub or a real token."""

import os
import tempfile

# Before anything imports huggingface_hub: it reads these at import time.
_HOME = tempfile.mkdtemp(prefix="hfsync-tests-home-")
os.environ["HF_HOME"] = os.path.join(_HOME, "hf")
os.environ["HF_HUB_CACHE"] = os.path.join(_HOME, "hf", "hub")
os.environ["HFSYNC_CACHE_DIR"] = os.path.join(_HOME, "hfsync-cache")
os.environ["HF_HUB_DISABLE_XET"] = "1"  # the sandbox speaks classic LFS only
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"  # a closed port: nothing reaches the real Hub
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "GITHUB_ACTIONS", "NO_COLOR"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own hfsync cache directory."""
    monkeypatch.setenv("HFSYNC_CACHE_DIR", str(tmp_path / "_hfsync_cache"))
