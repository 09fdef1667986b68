"""Pulled files get the permissions `hf download` gives them: the umask's, not private ones."""

from __future__ import annotations

import os
import stat

import pytest

from tests.pull.conftest import big_safetensors

pytestmark = pytest.mark.both_paths


@pytest.fixture
def umask():
    """Set the process umask for the test, and put the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640)])
def test_pulled_files_honour_the_umask(sandbox, make_repo, project, run, umask, mask, expected):
    make_repo("acme/m1", {"config.json": b'{"a": 1}\n', "model.safetensors": big_safetensors(2_000_000)})
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    umask(mask)
    assert run("lock").exit_code == 0
    result = run("pull")
    assert result.exit_code == 0, result.output
    dest = project.path / "vendor" / "m1"
    assert {p: mode(dest / p) for p in ("config.json", "model.safetensors", ".gitattributes")} == {
        "config.json": expected, "model.safetensors": expected, ".gitattributes": expected}


def test_cache_blobs_honour_the_umask(sandbox, make_repo, project, run, umask, tmp_path):
    from huggingface_hub import constants

    make_repo("acme/m1", {"config.json": b'{"a": 1}\n', "model.safetensors": big_safetensors(2_000_000)})
    project.write([{"id": "acme/m1", "cache": True}])
    umask(0o022)
    assert run("lock").exit_code == 0
    result = run("pull")
    assert result.exit_code == 0, result.output
    root = next(p for p in os.scandir(constants.HF_HUB_CACHE) if p.name == "models--acme--m1")
    modes = {b.name: mode(b.path) for b in os.scandir(os.path.join(root.path, "blobs"))}
    assert modes and set(modes.values()) == {0o644}
