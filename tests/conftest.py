"""Test isolation: no test touches the real home, the real Hub or a real token."""

import os
import tempfile

# Before anything imports huggingface_hub: it reads these at import time.
_HOME = tempfile.mkdtemp(prefix="hfsync-tests-home-")
os.environ["HF_HOME"] = os.path.join(_HOME, "hf")
os.environ["HF_HUB_CACHE"] = os.path.join(_HOME, "hf", "hub")
os.environ["HFSYNC_CACHE_DIR"] = os.path.join(_HOME, "hfsync-cache")
# HF_HUB_DISABLE_XET is left as the caller set it: by default the suite runs with hf_xet on,
# as users' installs do; `HF_HUB_DISABLE_XET=1 pytest` is the second run, on the legacy LFS path.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"  # a closed port: nothing reaches the real Hub
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "GITHUB_ACTIONS", "NO_COLOR",
              "HF_OIDC_RESOURCE", "HF_OIDC_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own hfsync cache directory."""
    monkeypatch.setenv("HFSYNC_CACHE_DIR", str(tmp_path / "_hfsync_cache"))


@pytest.fixture(autouse=True)
def _fresh_xet_session(tmp_path_factory, monkeypatch):
    """A fresh hf_xet session and cache per test: hf_xet keys its shard cache by CAS URL,
    and sandbox ports repeat between tests."""
    from huggingface_hub.utils import _xet

    monkeypatch.setenv("HF_XET_CACHE", str(tmp_path_factory.mktemp("xet-cache")))
    monkeypatch.setattr(_xet, "_GLOBAL_XET_HOLDER", _xet.XetSessionHolder())
    monkeypatch.setattr(_xet, "XET_CONNECTION_INFO_CACHE", {})


@pytest.fixture
def xet_on(monkeypatch):
    """hf_xet enabled, as on a user's machine, even in the `HF_HUB_DISABLE_XET=1` run."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_DISABLE_XET", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)


@pytest.fixture
def legacy_lfs(monkeypatch):
    """The legacy LFS path (HF_HUB_DISABLE_XET=1), for tests of that path itself."""
    from tests.sandbox.xet import xet_off

    xet_off(monkeypatch)


@pytest.fixture
def sandbox(tmp_path):
    """A fresh sandbox Hub on a free loopback port (see hfsync.sandbox.testing.SandboxHandle).

    ``.url``, ``.token`` (user `sandbox`), ``.data_dir``, ``.add_faults(rules)``,
    ``.clear_faults()``, ``.stats()``, ``.reset_stats()``, ``.seed(type, id, likes=...)``,
    ``.token_for(user)``. Users: `sandbox`, `alice`, `bob`; org `acme` = sandbox + alice.
    Files above 16 MiB upload in 5 MiB multipart parts. HF_ENDPOINT is read at import
    time, so pass ``endpoint=sandbox.url`` to HfApi / hf_hub_download / snapshot_download.
    """
    from hfsync.sandbox.server import SandboxServer
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


@pytest.fixture
def issuer():
    """A test OIDC issuer (tests/oidc_issuer.py): keys, JWKS and a GitHub id-token endpoint on 127.0.0.1."""
    from tests.oidc_issuer import Issuer

    with Issuer() as running:
        yield running


@pytest.fixture(autouse=True)
def _default_hub_client():
    """hfsync installs its retrying client in huggingface_hub process-wide; undo it after
    each test so tests of the plain client see the plain client."""
    yield
    import sys

    if "hfsync.hub.session" in sys.modules:
        sys.modules["hfsync.hub.session"].uninstall()
    # Where each token may go is known per run (a process): sandbox tokens repeat between tests.
    if "hfsync.origins" in sys.modules:
        sys.modules["hfsync.origins"]._homes.clear()


@pytest.fixture
def waitless(monkeypatch):
    """Every retry policy of the run, the command's own included, waits on a fake clock:
    a test of giving up after the last attempt runs in no time. The waits asked for are
    returned, in order."""
    from hfsync.hub import retry

    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    def clock() -> float:
        return now[0]

    class Waitless(retry.Retry):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{"sleep": sleep, "clock": clock, **kwargs})

    from hfsync.hub import session

    shared = Waitless(on_wait=lambda wait: None)
    monkeypatch.setattr(retry, "shared", shared)
    monkeypatch.setattr(session, "retry", shared)  # huggingface_hub's client retries by it
    monkeypatch.setattr(retry, "Retry", Waitless)
    return waits
