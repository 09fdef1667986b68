"""Pulling a gated repo without access: one clear refusal that says how to get access."""

from __future__ import annotations

import os

import pytest

from tests.helpers import hfsync
from tests.pull.conftest import big_safetensors

pytestmark = pytest.mark.both_paths


@pytest.mark.parametrize("lock_first", [True, False])
def test_gated_pull_says_how_to_get_access(sandbox, hub, make_repo, project, lock_first):
    make_repo("acme/gated", {"config.json": b"{}\n", "model.safetensors": big_safetensors(2_000_000)})
    hub.update_repo_settings("acme/gated", gated="manual")
    project.write([{"id": "acme/gated", "dest": "vendor"}])

    def run(*args: str, token: str):
        os.environ["HF_TOKEN"] = token
        try:
            return hfsync("--endpoint", sandbox.url, "--no-progress", *args, "-f", str(project.manifest))
        finally:
            os.environ.pop("HF_TOKEN", None)

    if lock_first:
        assert run("lock", token=sandbox.token).exit_code == 0
    result = run("pull", token=sandbox.token_for("bob"))
    assert result.exit_code == 1
    assert ("Error: acme/gated is gated on the Hub and this token has not been granted access: none of its files "
            "were pulled.\n") in result.stderr
    assert (f"Hint: Request access on the repo's page ({sandbox.url}/acme/gated) while logged in as the token's "
            "user, then use that token (HF_TOKEN, --token or `hf auth login`); a fine-grained token also needs "
            "read access to gated repos.") in result.stderr
    assert "again" not in result.stderr
    assert "hf_bob_token" not in result.output
    assert not (project.path / "vendor" / "config.json").exists()
    sandbox.seed("model", "acme/gated", granted=["bob"])
    assert run("pull", token=sandbox.token_for("bob")).exit_code == 0
