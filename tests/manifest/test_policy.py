"""Policy: license allow-list for publishes and pulls, safetensors only, private by default."""

from __future__ import annotations

import json
import struct

from huggingface_hub import HfApi

from tests.helpers import hfsync

PUBLISH = """version: 1
defaults: {{namespace: sandbox}}
policy:
  licenses: [apache-2.0, mit]
  private_by_default: true
repos:
  - id: ok
    source: {{path: ok}}
    card: {{metadata: {{license: mit}}}}
  - id: nc
    source: {{path: nc{allow}}}
    card: {{metadata: {{license: cc-by-nc-4.0}}}}
  - id: bare
    source: {{path: bare}}
"""


def _sources(root) -> None:  # type: ignore[no-untyped-def]
    for name in ("ok", "nc", "bare"):
        (root / name).mkdir(parents=True)
        (root / name / "model.safetensors").write_bytes(b"w")
    (root / "nc" / "pytorch_model.bin").write_bytes(b"pickle")
    (root / "nc" / "extra").mkdir()
    (root / "nc" / "extra" / "optimizer.pt").write_bytes(b"pickle")


def test_publish_violations_fail_validate_and_plan_listing_all(tmp_path, sandbox):
    _sources(tmp_path)
    manifest = tmp_path / "hfsync.yaml"
    manifest.write_text(PUBLISH.format(allow=""))
    result = hfsync("validate", "-f", str(manifest))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:4] == [
        "Error: 3 problems in the manifest:",
        f"  {manifest}:11:20: sandbox/nc: policy.safetensors_only refuses pickle files in the source: "
        "extra/optimizer.pt, pytorch_model.bin (convert them to .safetensors, exclude them, or set "
        "source.allow_unsafe: true)",
        f"  {manifest}:12:32: sandbox/nc: the card has license 'cc-by-nc-4.0', which policy.licenses does not "
        "allow (apache-2.0, mit)",
        f"  {manifest}:13:5: sandbox/bare: the card declares no license; policy.licenses allows only apache-2.0, mit",
    ]
    args = ("--endpoint", sandbox.url, "--token", sandbox.token)
    sandbox.reset_stats()
    plan = hfsync(*args, "plan", "-f", str(manifest))
    assert plan.exit_code == 1
    assert "the plan has 3 error(s)" in plan.stderr
    assert "policy.safetensors_only refuses" in plan.stdout and "'cc-by-nc-4.0'" in plan.stdout
    assert "sandbox/bare: the card declares no license" in plan.stdout
    assert hfsync(*args, "apply", "-f", str(manifest), "--auto-approve").exit_code == 1
    assert "POST repo-create" not in sandbox.stats()["routes"]  # nothing was created

    # allow_unsafe admits the pickles; the licenses still decide.
    manifest.write_text(PUBLISH.format(allow=", allow_unsafe: true"))
    plan = hfsync(*args, "plan", "-f", str(manifest))
    assert plan.exit_code == 1 and "safetensors_only" not in plan.stdout and "the plan has 2 error(s)" in plan.stderr


def test_private_by_default_creates_private_repos(tmp_path, sandbox):
    _sources(tmp_path)
    manifest = tmp_path / "hfsync.yaml"
    manifest.write_text(PUBLISH.format(allow=", allow_unsafe: true").split("  - id: nc")[0])
    args = ("--endpoint", sandbox.url, "--token", sandbox.token)
    result = hfsync(*args, "apply", "-f", str(manifest), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert HfApi(endpoint=sandbox.url, token=sandbox.token).model_info("sandbox/ok").private is True


def test_pull_licenses_are_judged_at_lock_before_anything_is_written(tmp_path, sandbox):
    header = b'{"__metadata__": {}}      '
    weights = struct.pack("<Q", len(header)) + header  # a valid, empty safetensors file
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    for repo, card in (("sandbox/good", "---\nlicense: apache-2.0\n---\n"),
                       ("sandbox/nc", "---\nlicense: cc-by-nc-4.0\n---\n"), ("sandbox/none", "# no card data\n")):
        api.create_repo(repo)
        api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=repo)
        api.upload_file(path_or_fileobj=weights, path_in_repo="model.safetensors", repo_id=repo)
    manifest = tmp_path / "hfsync.yaml"
    manifest.write_text("version: 1\npolicy: {licenses: [apache-2.0, mit]}\npulls:\n"
                        "  - {id: sandbox/good, dest: v/good}\n  - {id: sandbox/nc, dest: v/nc}\n"
                        "  - {id: sandbox/none, dest: v/none}\n")
    args = ("--endpoint", sandbox.url, "--token", sandbox.token)
    result = hfsync(*args, "lock", "-f", str(manifest))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "Error: 2 policy violations; hfsync.lock was not changed:",
        f"  pull 'sandbox/nc' ({manifest}:5:5) has license 'cc-by-nc-4.0', which policy.licenses does not "
        "allow (apache-2.0, mit)",
        f"  pull 'sandbox/none' ({manifest}:6:5) declares no license; policy.licenses allows only apache-2.0, mit",
    ]
    assert not (tmp_path / "hfsync.lock").exists() and not (tmp_path / "v").exists()
    manifest.write_text("version: 1\npolicy: {licenses: [apache-2.0, mit]}\npulls:\n"
                        "  - {id: sandbox/good, dest: v/good}\n")
    assert hfsync(*args, "pull", "-f", str(manifest)).exit_code == 0
    assert (tmp_path / "v" / "good" / "model.safetensors").read_bytes() == weights
    # The repo's license changes on the Hub: the next plan says the pinned pull is refused.
    api.upload_file(path_or_fileobj=b"---\nlicense: cc-by-nc-4.0\n---\n", path_in_repo="README.md",
                    repo_id="sandbox/good")
    plan = hfsync(*args, "plan", "-f", str(manifest), "--format", "json")
    assert plan.exit_code == 1
    (target,) = json.loads(plan.stdout)["targets"]
    assert (target["key"], target["errors"]) == ("pull:sandbox/good", [
        f"pull 'sandbox/good' ({manifest}:4:5) has license 'cc-by-nc-4.0', which policy.licenses does not "
        "allow (apache-2.0, mit)"])
