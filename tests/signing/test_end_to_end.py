"""The chain from review to edge machine, against the sandbox: apply signs, lock checks the signature
from the listing, pull installs, verify --deep checks again offline, and the reference tool agrees
on the pulled copy."""

from __future__ import annotations

import yaml

from tests.helpers import hfsync
from tests.pull.conftest import big_safetensors
from tests.signing.material import key_pair

MANIFEST = """version: 1
policy: {{licenses: [mit], require_signature: true}}
repos:
  - id: sandbox/edge-model
    source: {{path: m, prune: true}}
    card: {{metadata: {{license: mit}}}}
    signing: {{key_env: HFSYNC_E2E_KEY, public_key: keys/ci.pub}}
pulls:
  - id: sandbox/edge-model
    dest: vendor/edge
    verify: {{keys: [keys/ci.pub]}}
"""


def test_sign_publish_lock_pull_verify_and_the_reference_tool_agrees(tmp_path, sandbox, monkeypatch):
    import model_signing

    root = tmp_path / "project"
    keys = key_pair(root / "keys", "ci")
    (root / "m").mkdir(parents=True)
    (root / "m" / "config.json").write_text('{"hidden_size": 8}\n')
    (root / "m" / "model.safetensors").write_bytes(big_safetensors(50_000))
    (root / "hfsync.yaml").write_text(MANIFEST.format())
    monkeypatch.setenv("HFSYNC_E2E_KEY", keys.pem)
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    cli = ("--endpoint", sandbox.url, "--no-progress")
    manifest = ("-f", str(root / "hfsync.yaml"))

    outputs = [hfsync(*cli, "apply", "--auto-approve", *manifest)]
    assert outputs[-1].exit_code == 0, outputs[-1].output
    outputs.append(hfsync(*cli, "lock", *manifest))
    assert outputs[-1].exit_code == 0, outputs[-1].output
    entry = yaml.safe_load((root / "hfsync.lock").read_text())["pulls"][0]
    assert entry["signature"]["signer"].startswith("key sha256:") and entry["license"] == "mit"
    outputs.append(hfsync(*cli, "pull", "--locked", *manifest))
    assert outputs[-1].exit_code == 0, outputs[-1].output
    outputs.append(hfsync(*cli, "verify", "--deep", *manifest))
    assert outputs[-1].exit_code == 0, outputs[-1].output
    dest = root / "vendor" / "edge"
    # hfsync's statement leaves .hfsync/ out: the reference tool checks the folder as pulled.
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=keys.public).verify(dest, dest / "model.sig")
    outputs.append(hfsync(*cli, "bom", *manifest))
    assert outputs[-1].exit_code == 0 and "hfsync:signature:signer" in outputs[-1].stdout
    for result in outputs:
        for line in keys.secret_lines:
            assert line not in result.output
