"""lock with verify:: the commit's model.sig checked against trusted keys and the Hub's listing,
no content byte of an LFS file read; pull installs what was checked; the reference tool agrees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.pull.conftest import big_safetensors
from tests.signing.material import KeyPair, certificates, key_pair

CONFIG = b'{"hidden_size": 8}\n'


def reference_sign(folder: Path, key: KeyPair, *, certs=None) -> None:  # type: ignore[no-untyped-def]
    """model.sig made by the reference tool (model_signing) over ``folder``."""
    import model_signing

    config = model_signing.signing.Config()
    if certs is None:
        config = config.use_elliptic_key_signer(private_key=key.private)
    else:
        config = config.use_certificate_signer(private_key=certs.key.private, signing_certificate=certs.leaf,
                                               certificate_chain=[certs.root])
    config.sign(folder, folder / "model.sig")


def files(size: int = 200_000) -> dict[str, bytes]:
    return {"config.json": CONFIG, "model.safetensors": big_safetensors(size), "README.md": b"# m\n"}


@pytest.fixture
def trusted(project) -> KeyPair:
    return key_pair(project.path / "keys", "trusted")


def publish(hub, tmp_path: Path, repo: str, content: dict[str, bytes], key: KeyPair | None = None, *,  # type: ignore[no-untyped-def]
            sign_over: dict[str, bytes] | None = None, certs=None, signature: bytes | None = None) -> str:
    """Upload ``content`` with a model.sig made by the reference tool over ``sign_over``
    (default: ``content`` itself), or the given ``signature`` bytes; return the commit."""
    folder = tmp_path / f"sign-{repo.replace('/', '-')}-{len(list(tmp_path.iterdir()))}"
    for path, data in (sign_over or content).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    if signature is None:
        reference_sign(folder, key, certs=certs)  # type: ignore[arg-type]
        signature = (folder / "model.sig").read_bytes()
    shutil.rmtree(folder)
    folder.mkdir()
    for path, data in {**content, "model.sig": signature}.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    hub.create_repo(repo, exist_ok=True)
    return hub.upload_folder(folder_path=folder, repo_id=repo, delete_patterns=["*"]).oid


def write(project, key_files: list[str], repo: str = "acme/m", **extra) -> None:  # type: ignore[no-untyped-def]
    project.write([{"id": repo, "dest": "vendor/m", "verify": {"keys": key_files}}], **extra)


def test_lock_checks_the_signature_from_the_listing_and_pull_installs_what_was_signed(
        hub, tmp_path, project, run, sandbox, trusted):
    import model_signing

    from hfsync.manifest.model import Signing
    from hfsync.signing.keys import fingerprint, planned_key

    content = files()
    commit = publish(hub, tmp_path, "acme/m", content, trusted)
    write(project, ["keys/trusted.pub"])
    sandbox.reset_stats()
    result = run("lock")
    assert result.exit_code == 0, result.output
    routes = sandbox.stats()["routes"]
    # One request more than an unsigned lock for model.sig, one per regular file pinned; no LFS byte.
    assert routes.pop("GET repo-info")["requests"] == 1 and routes.pop("GET tree")["requests"] == 1
    downloads = sum(r["requests"] for r in routes.values())
    assert downloads == 3, routes  # model.sig, config.json, README.md (not .gitattributes: never signed)
    assert not any("lfs" in name or "xet" in name.lower() or "cdn" in name for name in routes), routes
    entry = yaml.safe_load(project.lock.read_text())["pulls"][0]
    fp = fingerprint(planned_key(Signing(public_key=trusted.public)))
    assert entry["commit"] == commit
    assert entry["signature"]["signer"] == f"key sha256:{fp}"
    assert "model.sig" in [f["path"] for f in entry["files"]]

    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    dest = project.path / "vendor" / "m"
    assert (dest / "model.safetensors").read_bytes() == content["model.safetensors"]
    assert run("verify", "--deep").exit_code == 0
    # The reference tool accepts the pulled copy (hfsync's own folder left out).
    hashing = model_signing.hashing.Config().set_ignored_paths(paths=[".hfsync", "model.sig"])
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=trusted.public).set_hashing_config(
        hashing).verify(dest, dest / "model.sig")


def test_certificate_signed_pulls_chain_to_a_trusted_root(hub, tmp_path, project, run):
    certs = certificates(project.path / "pki")
    publish(hub, tmp_path, "acme/m", files(), certs=certs)
    project.write([{"id": "acme/m", "dest": "vendor/m", "verify": {"roots": ["pki/root.crt"]}}])
    result = run("lock")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(project.lock.read_text())["pulls"][0]["signature"]["signer"].startswith(
        "certificate CN=Acme CI (key sha256:")
    project.write([{"id": "acme/m", "dest": "vendor/m",
                    "verify": {"roots": ["pki/root.crt"], "identities": ["CN=Acme CI", "ci@acme.example"]}}])
    assert run("lock", "--update").exit_code == 0
    project.write([{"id": "acme/m", "dest": "vendor/m",
                    "verify": {"roots": ["pki/root.crt"], "identities": ["CN=Someone Else"]}}])
    result = run("lock", "--update")
    assert result.exit_code == 1
    assert "is signed by certificate CN=Acme CI, which is none of the identities verify: trusts" in result.output
    other = certificates(project.path / "other")
    project.write([{"id": "acme/m", "dest": "vendor/m", "verify": {"roots": ["other/root.crt"]}}])
    result = run("lock", "--update")
    assert result.exit_code == 1
    assert "is signed by certificate CN=Acme CI, which does not chain to a root verify: trusts" in result.output
    del other


def _refused(result, sentence: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert sentence in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", [
    "other digests", "file added", "file removed", "untrusted key", "truncated", "not json", "huge payload",
    "no signature", "swapped from another repo", "listing differs",
])
def test_hostile_signatures_fail_lock_in_one_sentence_naming_the_file(hub, tmp_path, project, run, trusted, case):
    content = files()
    untrusted = key_pair(tmp_path / "untrusted", "untrusted")
    write(project, ["keys/trusted.pub"])
    project.lock.unlink(missing_ok=True)
    if case == "other digests":
        publish(hub, tmp_path, "acme/m", content, trusted, sign_over={**content, "config.json": b"{}\n"})
        expected = "config.json is listed with sha256"
    elif case == "file added":
        publish(hub, tmp_path, "acme/m", {**content, "extra.json": b"{}"}, trusted, sign_over=content)
        expected = "extra.json is not signed in model.sig (a file added after signing)"
    elif case == "file removed":
        gone = dict(content)
        del gone["README.md"]
        publish(hub, tmp_path, "acme/m", gone, trusted, sign_over=content)
        expected = "README.md is signed in model.sig and missing from the commit (a file removed after signing)"
    elif case == "untrusted key":
        publish(hub, tmp_path, "acme/m", content, untrusted)
        expected = "is signed by key sha256:"
    elif case in ("truncated", "not json"):
        folder = tmp_path / "ref"
        folder.mkdir()
        for path, data in content.items():
            (folder / path).write_bytes(data)
        reference_sign(folder, trusted)
        raw = (folder / "model.sig").read_bytes()
        publish(hub, tmp_path, "acme/m", content, signature=raw[: len(raw) // 2] if case == "truncated" else b"\x00sig")
        expected = "model.sig of acme/m@"
    elif case == "huge payload":
        publish(hub, tmp_path, "acme/m", content, signature=b" " * (32 * 1024 * 1024 + 1))
        expected = "bytes, over the 33554432 a signature may take"
    elif case == "no signature":
        publish(hub, tmp_path, "acme/m", content, signature=b"")
        hub.delete_file("model.sig", "acme/m")
        expected = "the commit holds no model.sig, and its verify: asks for a signature"
    elif case == "swapped from another repo":
        publish(hub, tmp_path, "acme/other", {"config.json": b"{}", "model.safetensors": big_safetensors(1000)}, trusted)
        swapped = hub.hf_hub_download("acme/other", "model.sig", cache_dir=tmp_path / "c")
        publish(hub, tmp_path, "acme/m", content, signature=Path(swapped).read_bytes())
        expected = "does not vouch for the commit"
    else:  # the listing's sha256 is another than the signed one, the bytes match the listing
        publish(hub, tmp_path, "acme/m", {**content, "model.safetensors": big_safetensors(200_000, fill=9)}, trusted,
                sign_over=content)
        expected = "model.safetensors is listed with sha256"
    result = run("lock")
    _refused(result, expected)
    assert "hfsync.lock was not changed" in result.output
    assert not project.lock.exists()


def test_a_wrong_digest_fails_truncated_reads_as_not_json(hub, tmp_path, project, run, trusted):
    """The truncated bundle's sentence names what is wrong with the file."""
    folder = tmp_path / "ref"
    folder.mkdir()
    for path, data in files().items():
        (folder / path).write_bytes(data)
    reference_sign(folder, trusted)
    raw = (folder / "model.sig").read_bytes()
    publish(hub, tmp_path, "acme/m", files(), signature=raw[:100])
    write(project, ["keys/trusted.pub"])
    _refused(run("lock"), "is not JSON (truncated or not a signature bundle)")


def test_require_signature_refuses_an_unsigned_pull(make_repo, project, run, trusted):
    make_repo("acme/plain", files())
    project.write([{"id": "acme/plain", "dest": "vendor/p", "verify": {"keys": ["keys/trusted.pub"]}}],
                  policy={"require_signature": True})
    _refused(run("lock"), "the commit holds no model.sig, and its verify: asks for a signature")


def test_the_private_key_is_in_no_lock_output(hub, tmp_path, project, run, trusted, monkeypatch):
    publish(hub, tmp_path, "acme/m", files(), trusted)
    write(project, ["keys/trusted.pub"])
    trace = tmp_path / "trace.jsonl"
    outputs = [run("lock", "--format", "json"), run("pull"), run("verify", "--deep")]
    from tests.helpers import hfsync
    with monkeypatch.context() as scoped:  # the token never outlives this run, whatever it does
        scoped.setenv("HF_TOKEN", "x")
        traced = hfsync("--trace-file", str(trace), "--endpoint", "http://127.0.0.1:9", "--no-progress", "verify",
                        "-f", str(project.manifest))
    texts = [r.output for r in (*outputs, traced)] + [project.lock.read_text(), trace.read_text() if trace.exists() else ""]
    assert all(r.exit_code == 0 for r in outputs), [r.output for r in outputs]
    assert json.loads(outputs[0].stdout)
    for text in texts:
        for line in trusted.secret_lines:
            assert line not in text


def test_verify_deep_checks_the_signature_again_offline(hub, tmp_path, project, run, trusted):
    from hfsync.digests import git_blob_sha1

    publish(hub, tmp_path, "acme/m", files(), trusted)
    write(project, ["keys/trusted.pub"])
    assert run("lock").exit_code == 0
    assert run("pull", "--locked").exit_code == 0
    assert run("verify", "--deep").exit_code == 0
    dest = project.path / "vendor" / "m"

    # A copy and a lock edited together still differ from what was signed.
    forged = b'{"hidden_size": 9}\n'
    (dest / "config.json").write_bytes(forged)
    text = project.lock.read_text().replace(git_blob_sha1(CONFIG), git_blob_sha1(forged))
    project.lock.write_text(text)
    result = run("verify", "--deep")
    assert result.exit_code == 1
    assert "acme/m/config.json (not the signed content: model.sig signed sha256" in result.output, result.output

    # The consumer stops trusting the key: the pulled signature no longer vouches for anything.
    key_pair(project.path / "keys", "trusted")
    result = run("verify", "--deep")
    assert result.exit_code == 1
    assert "acme/m/model.sig (model.sig is signed by key sha256:" in result.output
    assert "which verify: does not trust" in result.output
