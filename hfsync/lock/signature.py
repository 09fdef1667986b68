"""The signature step of pinning: a pull with ``verify:`` (or under ``policy.require_signature``)
has its commit's ``model.sig`` read and checked before the pin is made.

One more request per pull (model.sig, a small file), plus one per pinned regular file
(its git blob id is not the sha256 the statement signs); never a byte of an LFS file,
whose listed sha256 is checked against the signed one. The bytes read are checked
against the listing's git blob ids, so what was checked is what the commit holds.
``model.sig`` is pinned with the files, so a pull installs it and ``verify --deep`` can
check it again offline.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hfsync.digests import Digests, git_blob_sha1
from hfsync.errors import HubError, VerifyError
from hfsync.hub.client import Hub
from hfsync.hub.smallfile import read_small
from hfsync.manifest.model import Manifest, Pull, Verify
from hfsync.model.lock import LockedFile, LockedPull, Signature
from hfsync.signing.statement import MAX_BUNDLE, SIGNATURE_FILE, SignedFiles, is_ignored

log = logging.getLogger("hfsync.lock")
READERS = 8
SMALL_LIMIT = 10 * 1000 * 1000  # the Hub stores larger files through LFS


@dataclass(frozen=True)
class Checked:
    """The outcome of the signature step: the record for the lock and the files to pin
    (the selection with model.sig), or the problem that refuses the pin."""

    signature: Signature | None
    files: tuple[LockedFile, ...]
    problem: str | None = None


def wanted(manifest: Manifest, pull: Pull) -> bool:
    """Whether pinning ``pull`` checks a signature."""
    return pull.verify is not None or manifest.policy.require_signature


def _listed(data: bytes, file: LockedFile) -> bool:
    """Whether ``data`` is the content the listing gives ``file``."""
    return not ((file.git_oid and git_blob_sha1(data) != file.git_oid)
                or (file.sha256 and hashlib.sha256(data).hexdigest() != file.sha256))


def _read(hub: Hub, pull: Pull, commit: str, file: LockedFile, limit: int) -> bytes:
    """A regular file's bytes, checked against the listing's git blob id."""
    data = read_small(hub, pull.id, pull.type, commit, file.path, limit)
    if not _listed(data, file):
        raise HubError(f"read {file.path} of {pull.id}@{commit[:12]}: the Hub served other bytes than it lists")
    return data


def prefetch(hub: Hub, pull: Pull, commit: str) -> Future[bytes | None]:
    """Start reading the commit's model.sig while the tree is listed (None if it cannot be read:
    the listing then says whether there is one, and ``check`` reads it again)."""
    def read() -> bytes | None:
        try:
            return read_small(hub, pull.id, pull.type, commit, SIGNATURE_FILE, MAX_BUNDLE)
        except HubError:
            return None

    pool = ThreadPoolExecutor(1)
    future = pool.submit(read)
    pool.shutdown(wait=False)
    return future


def check(
    hub: Hub, manifest: Manifest, pull: Pull, commit: str, listing: list[LockedFile], selected: tuple[LockedFile, ...],
    early: Future[bytes | None] | None = None,
) -> Checked:
    """Check the commit's model.sig against ``pull``'s trusted keys and the listing (``early``:
    its bytes as ``prefetch`` read them)."""
    from hfsync.signing import bundle, keys  # cryptography: only for pulls that verify
    from hfsync.signing.check import mismatch, unchecked

    where = f"{SIGNATURE_FILE} of {pull.key}@{commit[:12]}"
    sig = next((f for f in listing if f.path == SIGNATURE_FILE), None)
    if sig is None:
        asks = "its verify:" if pull.verify is not None else "policy.require_signature"
        return Checked(None, selected, f"the commit holds no {SIGNATURE_FILE}, and {asks} asks for a signature")
    if sig.size > MAX_BUNDLE:
        return Checked(None, selected, f"{where} is {sig.size} bytes, over the {MAX_BUNDLE} a signature may take")
    trust = keys.load_trust(pull.verify or Verify())
    # The regular files the signature covers: the ignored ones (.gitattributes) are not read.
    small = [f for f in selected if f.sha256 is None and not is_ignored(f.path)]
    fetched = early.result() if early is not None else None
    with ThreadPoolExecutor(READERS) as pool:
        reading = pool.submit(_read, hub, pull, commit, sig, MAX_BUNDLE) if fetched is None or not _listed(
            fetched, sig) else None
        digests = dict(zip((f.path for f in small),
                           pool.map(lambda f: hashlib.sha256(_read(hub, pull, commit, f, SMALL_LIMIT)).hexdigest(),
                                    small), strict=True))
        raw = reading.result() if reading is not None else fetched
    assert raw is not None
    try:
        verified = bundle.verify(raw, trust)
    except VerifyError as error:
        return Checked(None, selected, where + error.message.removeprefix(SIGNATURE_FILE))
    problem = mismatch(verified.files, listing, selected, digests)
    if problem is not None:
        return Checked(None, selected, f"{where} does not vouch for the commit: {problem}")
    if later := unchecked(verified.files, selected):
        log.warning("%s signs %s with another hash than sha256, which the Hub's listing cannot be checked against: "
                    "`hfsync verify --deep` checks them after the pull", where, ", ".join(later[:3]))
    files = selected if any(f.path == SIGNATURE_FILE for f in selected) else (*selected, sig)
    return Checked(Signature(verified.signer, verified.digest), tuple(sorted(files, key=lambda f: f.path)))


def recheck(pull: Pull, entry: LockedPull, path: Path) -> tuple[SignedFiles | None, str | None]:
    """Offline, for ``verify --deep``: the pulled model.sig checked again against the pull's
    trusted keys and the lock's record of it; (what it signs, None) or (None, the problem)."""
    from hfsync.signing import bundle, keys

    if entry.signature is None:
        return None, None
    try:
        raw = path.read_bytes()
    except OSError:
        return None, None  # reported as missing with the pinned files
    if hashlib.sha256(raw).hexdigest() != entry.signature.digest:
        return None, f"not the {SIGNATURE_FILE} the lock checked (sha256 {entry.signature.digest[:16]}…)"
    try:
        verified = bundle.verify(raw, keys.load_trust(pull.verify or Verify()))
    except VerifyError as error:
        return None, error.message
    if verified.signer != entry.signature.signer:
        return None, f"signed by {verified.signer}, the lock recorded {entry.signature.signer}"
    return verified.files, None


def signed_mismatch(signed: tuple[str, str] | None, found: Digests) -> str | None:
    """Why a pulled file's digests are not what model.sig signed for it (None when they are)."""
    if signed is None:
        return f"not signed in {SIGNATURE_FILE}"
    algorithm, digest = signed
    mine = {"sha256": found.sha256, "blake3": found.blake3}.get(algorithm)
    if mine is None:
        return f"{SIGNATURE_FILE} signs it with {algorithm}, which hfsync cannot check"
    return None if mine == digest else f"not the signed content: {SIGNATURE_FILE} signed {algorithm} {digest[:16]}…"
