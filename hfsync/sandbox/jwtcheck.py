"""Checking an OIDC id token's signature against its issuer's keys (a JWKS).

Only RS256 and ES256 are accepted, the algorithms CI providers sign with; ``alg: none``
and anything else are refused before any key is looked at, so a token cannot choose
how it is checked. The time and claim checks are the caller's (oidc.py).
"""

from __future__ import annotations

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ALGORITHMS = ("RS256", "ES256")


class InvalidIdToken(Exception):
    """Why an id token was refused (for the sandbox's audit log, never for the caller)."""


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise InvalidIdToken("malformed: not base64url") from None


def _segment_json(text: str) -> dict:
    try:
        value = json.loads(b64url_decode(text))
    except ValueError:
        raise InvalidIdToken("malformed: a segment is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidIdToken("malformed: a segment is not a JSON object")
    return value


def unverified(token: str) -> tuple[dict, dict]:
    """(header, claims) of a compact JWS, unchecked."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidIdToken("malformed: not three dot-separated segments")
    return _segment_json(parts[0]), _segment_json(parts[1])


def verify_signature(token: str, jwks: dict) -> dict:
    """The token's claims if a key of ``jwks`` signed it; InvalidIdToken otherwise."""
    header, claims = unverified(token)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidIdToken(f"signature: algorithm {alg!r} is not accepted")
    signing_input, _, signature = token.rpartition(".")
    candidates = [k for k in jwks.get("keys", []) if isinstance(k, dict) and _fits(k, alg, header.get("kid"))]
    if not candidates:
        raise InvalidIdToken("signature: no key of the issuer fits the token's kid and algorithm")
    raw = b64url_decode(signature)
    for jwk in candidates:
        if _verifies(jwk, alg, signing_input.encode(), raw):
            return claims
    raise InvalidIdToken("signature: does not verify with the issuer's keys")


def _fits(jwk: dict, alg: str, kid: object) -> bool:
    kty = {"RS256": "RSA", "ES256": "EC"}[alg]
    if jwk.get("kty") != kty or jwk.get("alg", alg) != alg or jwk.get("use", "sig") != "sig":
        return False
    return kid is None or jwk.get("kid") == kid


def _int(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError("key component is not a string")
    return int.from_bytes(b64url_decode(value), "big")


def _verifies(jwk: dict, alg: str, data: bytes, signature: bytes) -> bool:
    try:
        if alg == "RS256":
            rsa_key = rsa.RSAPublicNumbers(_int(jwk.get("e")), _int(jwk.get("n"))).public_key()
            rsa_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if jwk.get("crv") != "P-256" or len(signature) != 64:
            return False
        ec_key = ec.EllipticCurvePublicNumbers(_int(jwk.get("x")), _int(jwk.get("y")), ec.SECP256R1()).public_key()
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        ec_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, InvalidIdToken, ValueError):
        return False
