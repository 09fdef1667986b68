"""``model.sig``: a Sigstore bundle (v0.3, JSON) holding a DSSE envelope over the statement.

Key mode names the key by its fingerprint (``publicKey.hint``); certificate mode carries
the signing certificate and its chain (``x509CertificateChain``), as the reference tool
writes them. Sigstore's keyless bundles (a Fulcio certificate and a transparency log
entry) are recognised and refused with a sentence: checking them needs Sigstore's trust
root and is the reference tool's job.

A chain is checked here with ``cryptography`` (each certificate issued by the next, the
last by a trusted root, at the time the signing certificate starts being valid, as the
reference tool checks it; the signing certificate allowed to sign), rather than through
pyOpenSSL's store: it is a few lines, and one dependency less.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from hfsync.errors import VerifyError
from hfsync.signing import statement
from hfsync.signing.keys import Signer, Trust, fingerprint, hash_for

if TYPE_CHECKING:
    from cryptography import x509

MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
NAME = statement.SIGNATURE_FILE


@dataclass(frozen=True)
class Verified:
    """A bundle whose signature holds: who signed it, the bundle's own digest, what it signs."""

    signer: str
    digest: str
    files: statement.SignedFiles


def pae(payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding of an in-toto payload: the bytes actually signed."""
    kind = statement.PAYLOAD_TYPE.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def sign(payload: bytes, signer: Signer) -> bytes:
    """The ``model.sig`` bytes for ``payload`` signed by ``signer``."""
    signature = signer.key.sign(pae(payload), ec.ECDSA(hash_for(signer.key.public_key())))
    if signer.chain:
        material: dict[str, Any] = {"x509CertificateChain": {
            "certificates": [{"rawBytes": base64.b64encode(c).decode()} for c in signer.chain]}}
    else:
        material = {"publicKey": {"hint": signer.fingerprint}}
    bundle = {
        "mediaType": MEDIA_TYPE,
        "verificationMaterial": {**material, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": statement.PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}],
        },
    }
    return json.dumps(bundle, indent=2).encode("utf-8") + b"\n"


def _field(data: Any, *path: str) -> Any:
    for name in path:
        data = data.get(name) if isinstance(data, dict) else None
    return data


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        raise VerifyError(f"{NAME}: its {what} is not base64") from None


def verify(raw: bytes, trust: Trust) -> Verified:
    """Check ``raw`` (a model.sig) against ``trust``: VerifyError with one sentence when it is
    not a bundle, not signed by a trusted key or certificate, or its signature does not hold."""
    if len(raw) > statement.MAX_BUNDLE:
        raise VerifyError(f"{NAME} is {len(raw)} bytes, over the {statement.MAX_BUNDLE} a signature may take")
    try:
        bundle = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise VerifyError(f"{NAME} is not JSON (truncated or not a signature bundle)") from None
    media = _field(bundle, "mediaType")
    if not (isinstance(media, str) and media.startswith("application/vnd.dev.sigstore.bundle")):
        raise VerifyError(f"{NAME} is not a Sigstore bundle (mediaType {str(media)[:80]!r})")
    envelope = _field(bundle, "dsseEnvelope")
    signatures = _field(envelope, "signatures")
    if _field(envelope, "payloadType") != statement.PAYLOAD_TYPE or not (isinstance(signatures, list) and signatures):
        raise VerifyError(f"{NAME} holds no DSSE envelope over an in-toto statement")
    payload = _b64(_field(envelope, "payload"), "payload")
    signature = _b64(_field(signatures[0], "sig"), "signature")
    material = _field(bundle, "verificationMaterial") or {}
    if _field(material, "x509CertificateChain") is not None:
        public, signer = _certified(material, trust)
    elif _field(material, "publicKey") is not None:
        public, signer = _keyed(material, trust, payload, signature)
    else:
        raise VerifyError(f"{NAME} is signed keyless through Sigstore (or holds no key); hfsync checks key and "
                          "certificate signatures: verify it with the reference tool (model_signing verify sigstore)")
    try:
        public.verify(signature, pae(payload), ec.ECDSA(hash_for(public)))
    except InvalidSignature:
        raise VerifyError(f"{NAME}: the signature does not hold for its statement (signed by {signer}): "
                          "the signature or the statement was altered") from None
    return Verified(signer, hashlib.sha256(raw).hexdigest(), statement.parse(payload))


def _keyed(material: Any, trust: Trust, payload: bytes, signature: bytes) -> tuple[ec.EllipticCurvePublicKey, str]:
    hint = _field(material, "publicKey", "hint")
    if isinstance(hint, str) and hint:
        if hint not in trust.keys:
            raise VerifyError(f"{NAME} is signed by key sha256:{hint[:64]}, which verify: does not trust")
        return trust.keys[hint], f"key sha256:{hint}"
    # An older bundle names no key: the trusted key whose signature holds.
    for found, key in trust.keys.items():
        try:
            key.verify(signature, pae(payload), ec.ECDSA(hash_for(key)))
        except InvalidSignature:
            continue
        return key, f"key sha256:{found}"
    raise VerifyError(f"{NAME} names no key and no key verify: trusts made it")


def _certified(material: Any, trust: Trust) -> tuple[ec.EllipticCurvePublicKey, str]:
    from cryptography import x509  # certificate mode only: x509 costs start-up

    raw = _field(material, "x509CertificateChain", "certificates")
    if not isinstance(raw, list) or not raw:
        raise VerifyError(f"{NAME} holds an empty certificate chain")
    try:
        chain = [x509.load_der_x509_certificate(_b64(_field(c, "rawBytes"), "certificate")) for c in raw]
    except ValueError:
        raise VerifyError(f"{NAME} holds a certificate that does not parse") from None
    leaf = chain[0]
    who = f"certificate {leaf.subject.rfc4514_string()[:200]}"
    if not trust.roots:
        raise VerifyError(f"{NAME} is signed by {who}, and verify: names no root certificate to trust")
    when = leaf.not_valid_before_utc
    path = [leaf]
    for _ in range(len(chain) + 1):
        current = path[-1]
        root = next((r for r in trust.roots if _issued(current, r)), None)
        if root is not None:
            _valid_at(root, when, who)
            break
        issuer = next((c for c in chain[1:] if c not in path and _issued(current, c) and _is_ca(c)), None)
        if issuer is None:
            raise VerifyError(f"{NAME} is signed by {who}, which does not chain to a root verify: trusts")
        path.append(issuer)
    else:
        raise VerifyError(f"{NAME} is signed by {who}, which does not chain to a root verify: trusts")
    for cert in path:
        _valid_at(cert, when, who)
    if not _may_sign(leaf):
        raise VerifyError(f"{NAME} is signed by {who}, whose certificate may not sign (key usage)")
    if trust.identities and not set(_identities(leaf)) & set(trust.identities):
        raise VerifyError(f"{NAME} is signed by {who}, which is none of the identities verify: trusts")
    public = leaf.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise VerifyError(f"{NAME} is signed by {who}, whose key is not an EC key")
    return public, f"{who} (key sha256:{fingerprint(public)})"


def _issued(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _valid_at(cert: x509.Certificate, when: Any, who: str) -> None:
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise VerifyError(f"{NAME} is signed by {who}, and {cert.subject.rfc4514_string()[:200]} was not valid "
                          "when it was signed")


def _identities(cert: x509.Certificate) -> list[str]:
    """Who a certificate names: its subject, and its alternative names (emails, URIs, DNS names)."""
    from cryptography import x509

    names = [cert.subject.rfc4514_string()]
    try:
        alternative = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return names
    for kind in (x509.RFC822Name, x509.UniformResourceIdentifier, x509.DNSName):
        names += [str(v) for v in alternative.get_values_for_type(kind)]
    return names


def _may_sign(cert: x509.Certificate) -> bool:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        if cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            return True
    except x509.ExtensionNotFound:
        pass
    try:
        return ExtendedKeyUsageOID.CODE_SIGNING in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False


def signed_by(raw: bytes, public: ec.EllipticCurvePublicKey) -> statement.SignedFiles | None:
    """What ``raw`` signs when ``public``'s key made it (key or certificate mode), else None:
    whether the Hub's model.sig is still the one this key would make."""
    try:
        bundle = json.loads(raw)
        envelope = _field(bundle, "dsseEnvelope")
        payload = _b64(_field(envelope, "payload"), "payload")
        signature = _b64(_field(_field(envelope, "signatures")[0], "sig"), "signature")
        public.verify(signature, pae(payload), ec.ECDSA(hash_for(public)))
        return statement.parse(payload)
    except (ValueError, TypeError, KeyError, IndexError, InvalidSignature, VerifyError):
        return None
