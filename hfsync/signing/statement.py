"""The in-toto statement a ``model.sig`` signs: every file's sha256, as plain JSON.

Pure: no key, no disk, no Hub. The format is the reference implementation's
(``model_signing``'s ``files`` serialization, predicate v1.0): resources sorted by name,
the subject's digest the sha256 of their digests concatenated in that order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hfsync.errors import VerifyError

SIGNATURE_FILE = "model.sig"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
# What a signature does not cover: itself, git's files, and hfsync's own folder in a pulled
# copy (so the reference tool verifies a pulled destination as it is).
IGNORED = (SIGNATURE_FILE, ".git", ".gitattributes", ".github", ".gitignore", ".hfsync")
_IGNORED = frozenset(IGNORED)
# A statement lists about 150 bytes per file: 32 MB is 200,000 files. A larger model.sig is
# refused before it is read.
MAX_BUNDLE = 32 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SignedFiles:
    """What a statement says: the model's name, every file's digest (path -> (algorithm,
    hex digest)), and the paths the signer left out."""

    name: str
    files: Mapping[str, tuple[str, str]]
    ignored: tuple[str, ...] = IGNORED

    def sha256(self, path: str) -> str | None:
        """The signed sha256 of ``path``; None when it is not signed or signed with another hash."""
        algorithm, digest = self.files.get(path, ("", ""))
        return digest if algorithm == "sha256" else None


def is_ignored(path: str, ignored: Iterable[str] = _IGNORED) -> bool:
    """Whether ``path`` is one the signature leaves out (the path or a folder above it)."""
    names = ignored if isinstance(ignored, frozenset) else frozenset(p.rstrip("/") for p in ignored)
    if path in names:
        return True
    cut = path.find("/")
    while cut != -1:  # each folder above the path: a set lookup, not a scan of the ignore list
        if path[:cut] in names:
            return True
        cut = path.find("/", cut + 1)
    return False


def signed_set(digests: Mapping[str, str]) -> dict[str, str]:
    """``digests`` (path -> sha256) without the paths a signature leaves out."""
    return {p: d for p, d in digests.items() if not is_ignored(p)}


def payload(name: str, digests: Mapping[str, str]) -> bytes:
    """The statement over ``digests`` (path -> sha256 hex of every file to sign), as the bytes signed."""
    names = sorted(digests)
    root = hashlib.sha256(b"".join(bytes.fromhex(digests[n]) for n in names)).hexdigest()
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": root}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": False,
                              "ignore_paths": list(IGNORED)},
            "resources": [{"name": n, "algorithm": "sha256", "digest": digests[n]} for n in names],
        },
    }
    return json.dumps(statement, indent=2).encode("utf-8")


def _bad(why: str) -> VerifyError:
    return VerifyError(f"{SIGNATURE_FILE}: its statement {why}")


def parse(raw: bytes) -> SignedFiles:
    """The files a signed payload lists, after checking it is a model-signing v1.0 statement
    whose subject digest matches its resources; VerifyError saying what is wrong."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _bad("is not JSON") from None
    if not isinstance(data, dict) or data.get("_type") != STATEMENT_TYPE:
        raise _bad(f"is not an in-toto statement ({STATEMENT_TYPE})")
    if data.get("predicateType") != PREDICATE_TYPE:
        raise _bad(f"has predicate type {str(data.get('predicateType'))[:80]!r}, not {PREDICATE_TYPE}")
    subjects, predicate = data.get("subject"), data.get("predicate")
    if not (isinstance(subjects, list) and len(subjects) == 1 and isinstance(subjects[0], dict)
            and isinstance(predicate, dict) and isinstance(predicate.get("resources"), list)):
        raise _bad("does not have one subject and a list of resources")
    serialization = predicate.get("serialization")
    if not isinstance(serialization, dict) or serialization.get("method") != "files":
        raise _bad("was made by shards or an unknown serialization; hfsync checks the 'files' serialization")
    files: dict[str, tuple[str, str]] = {}
    hasher = hashlib.sha256()
    for resource in predicate["resources"]:
        name, algorithm, digest = (resource.get(k) if isinstance(resource, dict) else None
                                   for k in ("name", "algorithm", "digest"))
        if not (isinstance(name, str) and isinstance(algorithm, str) and isinstance(digest, str)
                and re.fullmatch(r"[0-9a-f]{2,256}", digest) and len(digest) % 2 == 0):
            raise _bad("has a malformed resource")
        if name in files:
            raise _bad(f"lists {name!r} twice")
        if algorithm == "sha256" and not _SHA256.match(digest):
            raise _bad(f"gives {name!r} a malformed sha256")
        files[name] = (algorithm, digest)
        hasher.update(bytes.fromhex(digest))
    subject = subjects[0]
    expected = subject.get("digest", {}).get("sha256") if isinstance(subject.get("digest"), dict) else None
    if expected != hasher.hexdigest():
        raise _bad("is inconsistent: its subject digest is not the digest of the files it lists")
    ignored = serialization.get("ignore_paths", [])
    ignored = tuple(p for p in ignored if isinstance(p, str)) if isinstance(ignored, list) else ()
    return SignedFiles(str(subject.get("name", "")), files, ignored or (SIGNATURE_FILE,))
