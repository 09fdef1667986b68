"""signing: and verify: in the manifest: what validate says about them, located."""

from __future__ import annotations

from tests.helpers import hfsync


def _validate(tmp_path, text: str) -> str:
    (tmp_path / "m").mkdir(exist_ok=True)
    (tmp_path / "keys").mkdir(exist_ok=True)
    (tmp_path / "keys" / "ok.pub").write_text("pem")
    (tmp_path / "hfsync.yaml").write_text(text)
    result = hfsync("validate", "-f", str(tmp_path / "hfsync.yaml"))
    return result.output if result.exit_code else ""


REPO = "version: 1\nrepos:\n  - id: acme/m\n    source: {{path: m}}\n    signing: {signing}\n"
PULL = "version: 1\n{policy}pulls:\n  - id: acme/base\n    dest: vendor/base\n{verify}"


def test_signing_needs_one_key_source(tmp_path):
    assert _validate(tmp_path, REPO.format(signing="{key_env: SIGNING_KEY}")) == ""
    assert "5:14: signing needs exactly one of 'key: FILE' or 'key_env: VARIABLE'" in _validate(
        tmp_path, REPO.format(signing="{public_key: keys/ok.pub}"))
    assert "5:14: signing needs exactly one of" in _validate(tmp_path, REPO.format(signing="{key: a.pem, key_env: K}"))
    assert "public_key file 'keys/gone.pub' does not exist inside the manifest's folder" in _validate(
        tmp_path, REPO.format(signing="{key_env: K, public_key: keys/gone.pub}"))
    assert "unknown key 'keyfile'" in _validate(tmp_path, REPO.format(signing="{keyfile: a.pem}"))


def test_verify_names_files_that_exist_and_require_signature_needs_verify(tmp_path):
    assert _validate(tmp_path, PULL.format(policy="", verify="    verify: {keys: [keys/ok.pub]}\n")) == ""
    assert "verify needs 'keys'" in _validate(tmp_path, PULL.format(policy="", verify="    verify: {}\n"))
    assert "keys file 'keys/none.pub' does not exist" in _validate(
        tmp_path, PULL.format(policy="", verify="    verify: {keys: [keys/none.pub]}\n"))
    said = _validate(tmp_path, PULL.format(policy="policy: {require_signature: true}\n", verify=""))
    assert "policy.require_signature: pull 'acme/base' needs 'verify:'" in said


def test_identities_go_with_roots(tmp_path):
    said = _validate(tmp_path, PULL.format(policy="", verify="    verify: {keys: [keys/ok.pub], identities: [ci@acme.example]}\n"))
    assert "verify.identities name certificate holders: they go with 'roots'" in said
