"""Key material a manifest names: the private key that signs, the keys and roots a pull trusts.

A key is named by its fingerprint: the sha256 of its public key in PEM (SubjectPublicKeyInfo),
which is also the ``hint`` a key-mode ``model.sig`` carries, as the reference tool writes it.
Nothing here ever puts key material in a message: errors say which file or variable, and why.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hfsync.errors import HfsyncError, VerifyError
from hfsync.manifest.model import Signing, Verify

if TYPE_CHECKING:
    from cryptography import x509

CURVES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256, "secp384r1": hashes.SHA384, "secp521r1": hashes.SHA512}
CURVE_NAMES = "EC P-256, P-384 or P-521"


@dataclass(frozen=True)
class Signer:
    """A loaded private key, its fingerprint, and in certificate mode the chain (DER, leaf first)."""

    key: ec.EllipticCurvePrivateKey
    fingerprint: str
    chain: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Trust:
    """What a pull trusts: public keys by fingerprint, and root certificates."""

    keys: Mapping[str, ec.EllipticCurvePublicKey]
    roots: tuple[x509.Certificate, ...] = ()  # loaded only in certificate mode (x509 costs start-up)
    identities: tuple[str, ...] = ()  # a signing certificate's subject or alternative name must be one


def fingerprint(public_key: Any) -> str:
    """The key's fingerprint: sha256 of its PEM SubjectPublicKeyInfo, hex."""
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(pem).hexdigest()


def hash_for(public_key: Any) -> hashes.HashAlgorithm:
    """The hash a key of this curve signs with (as the reference tool pairs them)."""
    return CURVES[public_key.curve.name]()


def _supported(key: Any, where: str) -> None:
    public = key.public_key() if hasattr(key, "public_key") and not isinstance(key, ec.EllipticCurvePublicKey) else key
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name not in CURVES:
        raise HfsyncError(f"{where}: the key is not {CURVE_NAMES}, the keys OpenSSF Model Signing uses")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise HfsyncError(f"cannot read the {what} {path}: {error.strerror or error}") from None


def _private_pem(signing: Signing, environ: Mapping[str, str]) -> tuple[bytes, str] | None:
    if signing.key_env is not None:
        value = environ.get(signing.key_env)
        return (value.encode("utf-8"), f"the private key in ${signing.key_env}") if value else None
    if signing.key is not None and signing.key.is_file():
        return _read(signing.key, "private key"), f"the private key {signing.key}"
    return None


def load_signer(signing: Signing, environ: Mapping[str, str] = os.environ) -> Signer:
    """The private key (and certificate chain) ``signing`` names; HfsyncError naming the
    file or variable when it is missing or unusable."""
    found = _private_pem(signing, environ)
    if found is None:
        where = f"${signing.key_env} is not set" if signing.key_env else f"{signing.key} does not exist"
        raise HfsyncError(f"signing: {where}; the signature cannot be made",
                          hint="Give apply the private key (a CI secret in that variable), or remove signing:.")
    pem, where = found
    password = environ.get(signing.password_env, "").encode("utf-8") if signing.password_env else None
    try:
        key = serialization.load_pem_private_key(pem, password or None)
    except (ValueError, TypeError):
        # cryptography's message may quote the input: only ours is shown.
        raise HfsyncError(f"{where} is not a PEM private key that opens"
                          + (" with the password given" if password else "")) from None
    _supported(key, where)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    chain: tuple[bytes, ...] = ()
    if signing.certificate is not None:
        leaf = _certificates(signing.certificate, "signing certificate")[0]
        if fingerprint(leaf.public_key()) != fingerprint(key.public_key()):
            raise HfsyncError(f"signing: the certificate {signing.certificate} is not for {where}")
        rest = [c for path in signing.chain for c in _certificates(path, "certificate chain")]
        chain = tuple(c.public_bytes(serialization.Encoding.DER) for c in (leaf, *rest))
    return Signer(key, fingerprint(key.public_key()), chain)


def planned_key(signing: Signing, environ: Mapping[str, str] = os.environ) -> ec.EllipticCurvePublicKey | None:
    """The signing key's public half as a plan can learn it without signing: from the
    certificate, the public key file, or the private key when this machine holds it; None
    when none of them is here (a pull request's plan without the CI secret)."""
    if signing.certificate is not None and signing.certificate.is_file():
        public = _certificates(signing.certificate, "signing certificate")[0].public_key()
        _supported(public, str(signing.certificate))
        assert isinstance(public, ec.EllipticCurvePublicKey)
        return public
    if signing.public_key is not None and signing.public_key.is_file():
        return _public(signing.public_key)
    if _private_pem(signing, environ) is None:
        return None
    return load_signer(signing, environ).key.public_key()


def _public(path: Path) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(_read(path, "public key"))
    except (ValueError, TypeError):
        raise HfsyncError(f"{path} is not a PEM public key") from None
    _supported(key, str(path))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def _certificates(path: Path, what: str) -> list[x509.Certificate]:
    from cryptography import x509

    try:
        found = x509.load_pem_x509_certificates(_read(path, what))
    except ValueError:
        found = []
    if not found:
        raise HfsyncError(f"{path} holds no PEM certificate (the {what})")
    return found


def load_trust(verify: Verify) -> Trust:
    """The keys and roots a pull's ``verify:`` names."""
    keys = {fingerprint(k): k for k in (_public(p) for p in verify.keys)}
    roots = tuple(c for path in verify.roots for c in _certificates(path, "root certificates"))
    if not keys and not roots:
        raise VerifyError("verify: names no key and no root to trust")
    return Trust(keys, roots, verify.identities)
