"""Sign on apply: model.sig over the exact files of the commit, in the same commit, that the
reference tool (model_signing) verifies on a downloaded copy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download

from tests.signing.material import certificates, key_pair

MANIFEST = """version: 1
repos:
  - id: sandbox/signed
    source: {{path: m, prune: {prune}}}
    card:
      metadata: {{license: mit}}
    signing: {signing}
"""


def api(sandbox) -> HfApi:  # type: ignore[no-untyped-def]
    return HfApi(endpoint=sandbox.url, token=sandbox.token)


def download(sandbox, folder: Path, repo: str = "sandbox/signed") -> Path:  # type: ignore[no-untyped-def]
    """Every file of the repo, byte for byte, in a plain folder (no cache folders inside)."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in api(sandbox).list_repo_tree(repo, recursive=True):
        if hasattr(entry, "blob_id"):
            cached = hf_hub_download(repo, entry.path, endpoint=sandbox.url, token=sandbox.token,
                                     cache_dir=folder.parent / ".hf-cache")
            (folder / entry.path).parent.mkdir(parents=True, exist_ok=True)
            (folder / entry.path).write_bytes(Path(cached).read_bytes())
    return folder


def reference_verify(folder: Path, public: Path) -> None:
    import model_signing

    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public).verify(folder, folder / "model.sig")


@pytest.fixture
def keys(project):
    return key_pair(project.root / "keys")


@pytest.fixture
def signed(project, keys, monkeypatch):
    monkeypatch.setenv("HFSYNC_TEST_SIGNING_KEY", keys.pem)
    project.write("m/config.json", '{"a": 1}\n')
    project.write("m/model.safetensors", os.urandom(20_000))
    project.yaml(MANIFEST.format(prune="true", signing="{key_env: HFSYNC_TEST_SIGNING_KEY, public_key: keys/signing.pub}"))
    return project


def test_apply_signs_the_commit_and_the_reference_tool_verifies_it(signed, sandbox, keys, tmp_path):
    from hfsync.manifest.model import Signing
    from hfsync.signing.keys import fingerprint, planned_key

    fp = fingerprint(planned_key(Signing(public_key=keys.public)))
    plan = signed.plan()
    assert plan.exit_code == 0, plan.output
    assert f'+ signature "model.sig" (key sha256:{fp[:16]}; 3 files)' in plan.stdout

    result = signed.apply()
    assert result.exit_code == 0, result.output
    assert f"signed 3 files in model.sig (key sha256:{fp[:16]})" in result.stdout
    # One commit holds the files and their signature.
    last = api(sandbox).list_repo_commits("sandbox/signed")[0]
    files = {e.path for e in api(sandbox).list_repo_tree("sandbox/signed", revision=last.commit_id, recursive=True)}
    assert {"model.sig", "model.safetensors", "config.json", "README.md"} <= files
    reference_verify(download(sandbox, tmp_path / "copy"), keys.public)

    # Nothing changed: no new signature, no commit.
    commits = len(api(sandbox).list_repo_commits("sandbox/signed"))
    again = signed.plan("--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.stdout, again.output
    assert signed.apply().exit_code == 0
    assert len(api(sandbox).list_repo_commits("sandbox/signed")) == commits

    # A file changes: the signature is made again over the new digests.
    signed.write("m/config.json", '{"a": 2}\n')
    plan = signed.plan()
    assert '~ signature "model.sig"' in plan.stdout and '~ file "config.json"' in plan.stdout
    assert signed.apply().exit_code == 0
    reference_verify(download(sandbox, tmp_path / "copy2"), keys.public)


def test_signing_only_an_existing_repo_makes_one_commit_with_model_sig(project, sandbox, keys, monkeypatch, tmp_path):
    project.write("m/config.json", '{"a": 1}\n')
    project.yaml(MANIFEST.format(prune="false", signing="{key: keys/signing.pem}").replace(
        "    signing: {key: keys/signing.pem}\n", ""))
    assert project.apply().exit_code == 0
    # Someone else's file, regular (not LFS): the signature covers it too, read from the Hub.
    api(sandbox).upload_file(path_or_fileobj=b"notes\n", path_in_repo="notes.txt", repo_id="sandbox/signed")
    project.yaml(MANIFEST.format(prune="false", signing="{key: keys/signing.pem}"))
    plan = project.plan()
    assert '~ model "sandbox/signed"' in plan.stdout and '+ signature "model.sig"' in plan.stdout, plan.output
    assert "file \"" not in plan.stdout  # only the signature is added
    assert project.apply().exit_code == 0
    reference_verify(download(sandbox, tmp_path / "copy"), keys.public)
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_certificate_mode_signs_with_the_chain(project, sandbox, tmp_path):
    import model_signing

    certs = certificates(project.root / "pki")
    project.write("m/config.json", '{"a": 1}\n')
    project.yaml(MANIFEST.format(prune="true", signing="{key: pki/leaf.pem, certificate: pki/leaf.crt, chain: [pki/root.crt]}"))
    plan = project.plan()
    assert '+ signature "model.sig" (certificate, key sha256:' in plan.stdout, plan.output
    assert project.apply().exit_code == 0
    copy = download(sandbox, tmp_path / "copy")
    model_signing.verifying.Config().use_certificate_verifier(certificate_chain=[certs.root]).verify(
        copy, copy / "model.sig")


def test_a_missing_key_fails_apply_before_anything_is_published(signed, sandbox, monkeypatch):
    monkeypatch.delenv("HFSYNC_TEST_SIGNING_KEY")
    plan = signed.plan()
    assert plan.exit_code == 0 and "signature" in plan.stdout  # the public key names it
    result = signed.apply()
    assert result.exit_code == 1
    assert "signing: $HFSYNC_TEST_SIGNING_KEY is not set; the signature cannot be made" in result.output
    assert not api(sandbox).repo_exists("sandbox/signed")


def test_a_saved_plan_applied_with_another_key_is_refused(signed, sandbox, monkeypatch, tmp_path):
    out = tmp_path / "plan.json"
    assert signed.plan("--out", str(out)).exit_code == 0
    other = key_pair(tmp_path / "other")
    monkeypatch.setenv("HFSYNC_TEST_SIGNING_KEY", other.pem)
    result = signed.run("apply", str(out), "--auto-approve")
    assert result.exit_code == 1
    assert "the plan was made for key sha256:" in result.output and "nothing was applied" in result.output
    assert not api(sandbox).repo_exists("sandbox/signed")


def test_a_model_sig_in_the_source_is_an_error(signed):
    signed.write("m/model.sig", "{}")
    result = signed.plan()
    assert result.exit_code == 1
    assert "the source holds model.sig, which signing: writes" in result.output


def test_the_private_key_is_in_no_output(signed, keys, tmp_path):
    trace = tmp_path / "trace.jsonl"
    out = tmp_path / "plan.json"
    outputs = [signed.plan(), signed.plan("--format", "json"), signed.plan("--out", str(out)),
               signed.run("--trace-file", str(trace), "-v", "apply", "-f", str(signed.manifest), "--auto-approve")]
    texts = [r.output for r in outputs] + [trace.read_text(), out.read_text()]
    assert all(r.exit_code == 0 for r in outputs), [r.output for r in outputs]
    assert json.loads(out.read_text())["targets"][0]["changes"][0]["detail"]["key_env"] == "HFSYNC_TEST_SIGNING_KEY"
    for text in texts:
        for line in keys.secret_lines:
            assert line not in text
