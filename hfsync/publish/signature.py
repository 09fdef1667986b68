"""A target's ``model.sig``: planned with the rest of its commit, made by apply in that commit.

The signature covers the exact files of the commit being made: the Hub's files at the
planned head, less the deletions, with the local files (the generated card among them)
over them, without the paths a signature leaves out. Digests come from the plan's own
hashing (no file is read again to sign it); a file the commit keeps from the Hub is
taken by its LFS sha256, and a small regular one is read from the Hub (its git blob id
is not a sha256). When the Hub's ``model.sig`` was made by the same key over the same
digests, nothing is signed again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.errors import HfsyncError
from hfsync.manifest.model import RepoTarget, Signing
from hfsync.model.plan import Action, Change, TargetChange
from hfsync.model.remote import RemoteRepo
from hfsync.publish.diff import LocalFile
from hfsync.signing import statement

if TYPE_CHECKING:
    from hfsync.signing.keys import Signer

KIND = "signature"
READERS = 8
Read = Callable[[str, int], bytes]  # (path, size) -> the Hub's bytes of that file at the planned head


def commit_digests(
    change: TargetChange, local: Mapping[str, LocalFile], remote: RemoteRepo, read: Read
) -> dict[str, str]:
    """path -> sha256 of every file the target's commit will hold that a signature covers."""
    deleted = {f.path for f in change.files if f.action == Action.DELETE}
    kept = {p: f for p, f in remote.files.items()
            if p not in deleted and p not in local and not statement.is_ignored(p)}
    small = sorted(p for p, f in kept.items() if f.lfs_sha256 is None)
    with ThreadPoolExecutor(READERS) as pool:
        fetched = dict(zip(small, pool.map(lambda p: hashlib.sha256(read(p, kept[p].size)).hexdigest(), small),
                           strict=True))
    digests = {p: f.lfs_sha256 or fetched[p] for p, f in kept.items()}
    digests.update({p: f.digests.sha256 for p, f in local.items() if not statement.is_ignored(p)})
    return digests


def _short(fingerprint: str) -> str:
    return f"key sha256:{fingerprint[:16]}"


def plan_signature(
    target: RepoTarget, change: TargetChange, local: Mapping[str, LocalFile], remote: RemoteRepo, read: Read,
    environ: Mapping[str, str] = os.environ,
) -> TargetChange:
    """``change`` with the signature its commit needs, if any (a target with ``signing:``)."""
    signing = target.signing
    if signing is None or change.errors:
        return change
    from hfsync.signing import bundle, keys  # cryptography: loaded for signed targets only

    if statement.SIGNATURE_FILE in local:
        return replace(change, errors=(*change.errors, (
            f"the source holds {statement.SIGNATURE_FILE}, which signing: writes; remove the file or signing:")))
    try:
        public = keys.planned_key(signing, environ)
        digests = commit_digests(change, local, remote, read)
        theirs = remote.files.get(statement.SIGNATURE_FILE)
        current = None
        if theirs is not None and theirs.size <= statement.MAX_BUNDLE:
            raw = read(statement.SIGNATURE_FILE, theirs.size)
            current = bundle.signed_by(raw, public) if public is not None else _unchecked(raw)
    except HfsyncError as error:
        return replace(change, errors=(*change.errors, error.explained()))
    if current is not None and {p: current.sha256(p) for p in current.files} == digests:
        return change
    fingerprint = keys.fingerprint(public) if public is not None else None
    detail = {**_source(signing), "fingerprint": fingerprint, "name": target.id.rsplit("/", 1)[-1],
              "files": dict(sorted(digests.items()))}
    by = _short(fingerprint) if fingerprint else (
        f"the key in {'$' + signing.key_env if signing.key_env else signing.key}, not available to this plan "
        "(signing.public_key names it here)")
    mode = "certificate, " if signing.certificate is not None else ""
    sign = Change(KIND, Action.UPDATE if theirs is not None else Action.CREATE, statement.SIGNATURE_FILE, detail,
                  reason=f"{mode}{by}; {len(digests)} file{'s' if len(digests) != 1 else ''}")
    action = Action.UPDATE if change.action == Action.NOOP else change.action
    return replace(change, action=action, changes=(*change.changes, sign))


def _unchecked(raw: bytes) -> statement.SignedFiles | None:
    """What the Hub's model.sig lists, when this plan cannot check who signed it: a plan
    without the key only needs to know whether the digests moved."""
    import base64
    import json

    try:
        payload = base64.b64decode(json.loads(raw)["dsseEnvelope"]["payload"])
        return statement.parse(payload)
    except (ValueError, TypeError, KeyError, HfsyncError):
        return None


def _source(signing: Signing) -> dict[str, Any]:
    """Where apply finds the key: file paths and variable names, never key material."""
    return {"key": str(signing.key) if signing.key else None, "key_env": signing.key_env,
            "password_env": signing.password_env,
            "certificate": str(signing.certificate) if signing.certificate else None,
            "chain": [str(c) for c in signing.chain]}


def signing_of(change: Change) -> Signing:
    """The key source a planned signature names."""
    d = change.detail

    def path(name: str) -> Path | None:
        return Path(d[name]) if d.get(name) else None

    return Signing(path("key"), d.get("key_env"), d.get("password_env"), None, path("certificate"),
                   tuple(Path(c) for c in d.get("chain", ())))


def signature_of(target: TargetChange) -> Change | None:
    """The target's planned signature, if it has one."""
    return next((c for c in target.changes if c.kind == KIND), None)


def load_signers(targets: list[TargetChange], environ: Mapping[str, str] = os.environ) -> dict[str, Signer]:
    """The signer of every target that signs, loaded before anything is applied: a missing or
    other key fails the apply with nothing done."""
    from hfsync.signing import keys

    signers = {}
    for target in targets:
        planned = signature_of(target)
        if planned is None:
            continue
        signer = keys.load_signer(signing_of(planned), environ)
        expected = planned.detail.get("fingerprint")
        if expected and signer.fingerprint != expected:
            raise HfsyncError(
                f"{target.key}: the signing key is {_short(signer.fingerprint)}, the plan was made for "
                f"{_short(expected)}; nothing was applied",
                hint="Plan again with the key apply signs with (or give apply the planned key).")
        signers[target.key] = signer
    return signers


def make(planned: Change, signer: Signer) -> bytes:
    """The model.sig bytes for a planned signature."""
    from hfsync.signing import bundle

    files: Mapping[str, str] = planned.detail["files"]
    return bundle.sign(statement.payload(str(planned.detail.get("name") or "model"), files), signer)
