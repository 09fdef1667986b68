"""Key material for signing tests: EC keys, a root certificate and a signing certificate, as PEM files."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class KeyPair:
    private: Path
    public: Path

    @property
    def pem(self) -> str:
        return self.private.read_text()

    @property
    def secret_lines(self) -> list[str]:
        """The base64 lines of the private key: none may appear in any output."""
        return [line for line in self.pem.splitlines() if line and not line.startswith("-----")]


def key_pair(folder: Path, name: str = "signing", curve: ec.EllipticCurve | None = None) -> KeyPair:
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(curve or ec.SECP256R1())
    private = folder / f"{name}.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    os.chmod(private, 0o600)
    public = folder / f"{name}.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return KeyPair(private, public)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class Certificates:
    root: Path
    leaf: Path
    key: KeyPair


def certificates(folder: Path, *, may_sign: bool = True) -> Certificates:
    """A root CA and a code-signing certificate it issued, with the signing key."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca = ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(_name("Acme Root")).issuer_name(_name("Acme Root"))
            .public_key(ca.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(ca, hashes.SHA256()))
    pair = key_pair(folder, "leaf")
    leaf_key = serialization.load_pem_private_key(pair.private.read_bytes(), None)
    builder = (x509.CertificateBuilder().subject_name(_name("Acme CI")).issuer_name(_name("Acme Root"))
               .public_key(leaf_key.public_key()).serial_number(2)
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if may_sign:
        builder = (builder.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                         critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False))
    leaf = builder.sign(ca, hashes.SHA256())
    (folder / "root.crt").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.crt").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return Certificates(folder / "root.crt", folder / "leaf.crt", pair)
