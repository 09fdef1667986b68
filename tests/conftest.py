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


@pytest.fixture
def sandbox(tmp_path):
    """A fresh sandbox Hub on a free loopback port (see hfsync.sandbox.testing.SandboxHandle).

    ``.url``, ``.token`` (user `sandbox`), ``.data_dir``, ``.add_faults(rules)``,
    ``.clear_faults()``, ``.stats()``, ``.reset_stats()``, ``.seed(type, id, likes=...)``,
    ``.token_for(user)``. Users: `sandbox`, `alice`, `bob`; org `acme` = sandbox + alice.
    Files above 16 MiB upload in 5 MiB multipart parts. HF_ENDPOINT is read at import
    time, so pass ``endpoint=sandbox.url`` to HfApi / hf_hub_download / snapshot_download.
    """
    from hfsync.sandbox import SandboxServer
    from hfsync.sandbox.testing import SandboxHandle

    server = SandboxServer(
        tmp_path / "sandbox-hub",
        users={"alice": "hf_alice_token", "bob": "hf_bob_token"},
        orgs={"acme": ["sandbox", "alice"]},
        multipart_threshold=16 * 1024 * 1024,
        multipart_chunk=5 * 1024 * 1024,
    ).start()
    try:
        yield SandboxHandle(server.url, server.token, server.data_dir, server)
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _default_hub_client():
    """hfsync installs its retrying client in huggingface_hub process-wide; undo it after
    each test so tests of the plain client see the plain client."""
    yield
    import sys

    if "hfsync.hub.session" in sys.modules:
        sys.modules["hfsync.hub.session"].uninstall()
