"""model.sig made and checked from bytes: hfsync's bundle against the reference tool's, and hostile bundles."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from hfsync.errors import VerifyError
from hfsync.manifest.model import Signing, Verify
from hfsync.signing import bundle, keys, statement
from tests.signing.material import certificates, key_pair

DIGESTS = {"config.json": hashlib.sha256(b"{}").hexdigest(), "w/model.safetensors": hashlib.sha256(b"w").hexdigest()}


def signed(tmp_path: Path) -> tuple[bytes, keys.Trust]:
    pair = key_pair(tmp_path)
    raw = bundle.sign(statement.payload("m", DIGESTS), keys.load_signer(Signing(key=pair.private)))
    return raw, keys.load_trust(Verify(keys=(pair.public,)))


def reshaped(raw: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    data = json.loads(raw)
    change(data)
    return json.dumps(data).encode()


def test_a_bundle_round_trips_with_its_signer_and_digest(tmp_path):
    raw, trust = signed(tmp_path)
    verified = bundle.verify(raw, trust)
    assert verified.signer == f"key sha256:{next(iter(trust.keys))}"
    assert verified.digest == hashlib.sha256(raw).hexdigest()
    assert {p: verified.files.sha256(p) for p in verified.files.files} == DIGESTS


def test_the_reference_tool_reads_what_hfsync_writes(tmp_path):
    import model_signing

    folder = tmp_path / "m"
    (folder / "w").mkdir(parents=True)
    (folder / "config.json").write_bytes(b"{}")
    (folder / "w" / "model.safetensors").write_bytes(b"w")
    pair = key_pair(tmp_path / "k")
    (folder / "model.sig").write_bytes(
        bundle.sign(statement.payload("m", DIGESTS), keys.load_signer(Signing(key=pair.private))))
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=pair.public).verify(folder, folder / "model.sig")


@pytest.mark.parametrize(("case", "expected"), [
    ("payload altered", "the signature does not hold for its statement"),
    ("subject inconsistent", "its statement is inconsistent"),
    ("other predicate", "has predicate type"),
    ("keyless", "is signed keyless through Sigstore"),
    ("not a bundle", "is not a Sigstore bundle"),
    ("bad base64", "its payload is not base64"),
])
def test_hostile_bundles_are_one_sentence(tmp_path, case, expected):
    raw, trust = signed(tmp_path)

    def payload(data: dict, edit) -> None:  # type: ignore[no-untyped-def]
        inner = json.loads(base64.b64decode(data["dsseEnvelope"]["payload"]))
        edit(inner)
        data["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(inner).encode()).decode()

    edits = {
        "payload altered": lambda d: payload(d, lambda s: s["predicate"]["resources"][0].update(digest="0" * 64)),
        "subject inconsistent": lambda d: payload(d, lambda s: s["subject"][0]["digest"].update(sha256="0" * 64)),
        "other predicate": lambda d: payload(d, lambda s: s.update(predicateType="https://example.com/x")),
        "keyless": lambda d: d.update(verificationMaterial={"certificate": {"rawBytes": "AA=="}}),
        "not a bundle": lambda d: d.update(mediaType="text/plain"),
        "bad base64": lambda d: d["dsseEnvelope"].update(payload="***"),
    }
    hostile = reshaped(raw, edits[case])
    if case in ("subject inconsistent", "other predicate"):
        # Re-signed by the trusted key: the signature holds, the statement is what is wrong.
        inner = base64.b64decode(json.loads(hostile)["dsseEnvelope"]["payload"])
        hostile = bundle.sign(inner, keys.load_signer(Signing(key=tmp_path / "signing.pem")))
    with pytest.raises(VerifyError) as raised:
        bundle.verify(hostile, trust)
    assert expected in raised.value.message
    assert "\n" not in raised.value.message


def test_a_certificate_that_may_not_sign_is_refused(tmp_path):
    certs = certificates(tmp_path / "pki", may_sign=False)
    signer = keys.load_signer(Signing(key=certs.key.private, certificate=certs.leaf, chain=(certs.root,)))
    raw = bundle.sign(statement.payload("m", DIGESTS), signer)
    with pytest.raises(VerifyError, match="whose certificate may not sign"):
        bundle.verify(raw, keys.load_trust(Verify(roots=(certs.root,))))


def test_a_key_that_is_not_an_ec_key_is_named_not_shown(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(Exception) as raised:
        keys.load_signer(Signing(key_env="K"), {"K": pem.decode()})
    assert "the private key in $K: the key is not EC P-256, P-384 or P-521" in str(raised.value)
    with pytest.raises(Exception) as raised:
        keys.load_signer(Signing(key_env="K"), {"K": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"})
    assert "c2VjcmV0" not in str(raised.value) and "is not a PEM private key" in str(raised.value)


def test_ignored_paths_are_those_of_the_reference_tool_plus_hfsyncs_folder():
    assert statement.is_ignored(".git/config") and statement.is_ignored(".gitattributes")
    assert statement.is_ignored(".hfsync/state.json") and statement.is_ignored("model.sig")
    assert not statement.is_ignored("sub/.gitattributes") and not statement.is_ignored("model.sig.bak")
