"""The lock file: what each pull of a manifest is pinned to, down to every file's digest.

``hfsync.lock`` sits next to its manifest. It is YAML, sorted, without timestamps, so
that two runs over the same Hub state write the same bytes and a moved pin is a small,
reviewable diff. Each pull records a fingerprint of the request that produced it, so
"is the lock in step with the manifest" is a comparison, not a network call.

A pin holds only what the Hub's listing gives (sha256 for LFS files, the git blob id
otherwise, the Xet hash when there is one), so locking never reads file content.
Format 1 also pinned a blake3 per file; it still reads (the blake3 is ignored: what a
machine verified is recorded beside its destination, see hfsync.pull.state), and
``hfsync lock`` rewrites it as format 2.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from hfsync import schemas
from hfsync.errors import LockError, Problem
from hfsync.manifest.model import Manifest, Policy, Pull, Workspace
from hfsync.manifest.schema import schema_problems
from hfsync.manifest.yamlpos import read
from hfsync.model.lock import VERSION, Ancestor, LockedFile, LockedPull, LockFile, Signature, Variant
from hfsync.paths import atomic_write
from hfsync.pull import locktext

HEADER = "# Pins for the pulls of {manifest}. Written by `hfsync lock`; do not edit by hand.\n"


def allows_unsafe(pull: Pull, policy: Policy) -> bool:
    """Whether pickle-family files may be pulled for ``pull`` under the manifest's policy."""
    return pull.allow_unsafe or not policy.safetensors_only


def fingerprint(pull: Pull, policy: Policy) -> str:
    """A short digest of everything in the manifest that decides what a pull pins.

    Where the files go (``dest``/``cache``) is not part of it: moving a pull to another
    folder does not change what it pins, so it does not make the lock stale.
    """
    request = {
        "id": pull.id,
        "type": pull.type,
        "revision": pull.revision,
        "include": list(pull.include),
        "exclude": list(pull.exclude),
        "variant": pull.variant,
        "max_memory": pull.max_memory if pull.variant == "auto" else None,
        "allow_unsafe": allows_unsafe(pull, policy),
    }
    if pull.verify is not None or policy.require_signature:
        request["signed"] = True  # added only when asked: the pins of other pulls stay in step
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]


def stale_reasons(manifest: Manifest, lock: LockFile | None, keys: Iterable[str] | None = None) -> list[str]:
    """Why ``lock`` is out of step with ``manifest`` (empty when it is in step).

    ``keys`` limits the check to those pulls (``--target``); entries for pulls the
    manifest no longer declares are reported only when checking every pull.
    """
    wanted = set(keys) if keys is not None else None
    if lock is None:
        return [f"{manifest.lock_path} does not exist"] if manifest.pulls else []
    reasons = []
    for pull in manifest.pulls:
        if wanted is not None and pull.key not in wanted:
            continue
        entry = lock.get(pull.type, pull.id)
        if entry is None:
            reasons.append(f"pull '{pull.key}' is not in {lock.path.name}")
        elif entry.request != fingerprint(pull, manifest.policy):
            reasons.append(f"pull '{pull.key}' changed in {manifest.path.name} since it was locked")
    if wanted is None:
        declared = {(p.type, p.id) for p in manifest.pulls}
        for entry in lock.pulls:
            if (entry.type, entry.id) not in declared:
                reasons.append(f"{lock.path.name} pins '{entry.key}', which {manifest.path.name} no longer pulls")
    return reasons


# --- reading ------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    return schemas.load("hfsync.lock")


_HEX = {40: re.compile(r"^[0-9a-f]{40}$"), 64: re.compile(r"^[0-9a-f]{64}$"), 16: re.compile(r"^[0-9a-f]{16}$")}
_PULL_KEYS = {"id", "type", "revision", "commit", "request", "variant", "signature", "license", "lineage", "files"}
_OPTIONAL = {"variant", "signature", "license", "lineage"}
_FILE_KEYS = {1: {"path", "size", "sha256", "git_oid", "blake3"}, 2: {"path", "size", "sha256", "git_oid", "xet_hash"}}


class _Malformed(Exception):
    pass


def _need(condition: bool) -> None:
    if not condition:
        raise _Malformed


def _hex(value: object, length: int) -> str:
    if not (isinstance(value, str) and _HEX[length].match(value)):
        raise _Malformed
    return value


def _fast(path: Path, data: Any) -> LockFile:
    """Build a well-formed lock quickly (libyaml, no positions); _Malformed on anything odd."""
    _need(isinstance(data, dict) and set(data) == {"version", "pulls"} and data["version"] in _FILE_KEYS)
    _need(isinstance(data["pulls"], list))
    version = data["version"]
    pulls, seen = [], set()
    for raw in data["pulls"]:
        _need(isinstance(raw, dict) and set(raw) <= _PULL_KEYS and set(raw) >= _PULL_KEYS - _OPTIONAL)
        _need(all(isinstance(raw[k], str) and raw[k] for k in ("id", "type", "revision")))
        _need(raw["type"] in ("model", "dataset", "space") and (raw["type"], raw["id"]) not in seen)
        seen.add((raw["type"], raw["id"]))
        variant = raw.get("variant")
        if variant is not None:
            _need(isinstance(variant, dict) and set(variant) == {"name", "reason"}
                  and all(isinstance(v, str) for v in variant.values()))
        signature = raw.get("signature")
        if signature is not None:
            _need(isinstance(signature, dict) and set(signature) == {"signer", "digest"}
                  and isinstance(signature["signer"], str) and bool(signature["signer"]))
            _hex(signature["digest"], 64)
        _need(isinstance(raw.get("license", ""), str) and raw.get("license") != "")
        lineage = raw.get("lineage", [])
        _need(isinstance(lineage, list) and bool(lineage) == ("lineage" in raw))
        for ancestor in lineage:
            _need(isinstance(ancestor, dict) and {"id", "base_of"} <= set(ancestor) <= {"id", "base_of", "license"}
                  and all(isinstance(v, str) and v for v in ancestor.values()))
        _need(isinstance(raw["files"], list))
        files = []
        for f in raw["files"]:
            _need(isinstance(f, dict) and set(f) <= _FILE_KEYS[version] and ("sha256" in f) != ("git_oid" in f))
            _need(isinstance(f.get("path"), str) and bool(f["path"]))
            _need(type(f.get("size")) is int and f["size"] >= 0)
            if version == 1:
                _hex(f.get("blake3"), 64)
            sha256 = _hex(f["sha256"], 64) if "sha256" in f else None
            git_oid = _hex(f["git_oid"], 40) if "git_oid" in f else None
            xet_hash = _hex(f["xet_hash"], 64) if "xet_hash" in f else None
            files.append(LockedFile(f["path"], f["size"], sha256, git_oid, xet_hash))
        pulls.append(LockedPull(
            raw["id"], raw["type"], raw["revision"], _hex(raw["commit"], 40), _hex(raw["request"], 16),
            tuple(files), Variant(variant["name"], variant["reason"]) if variant else None,
            Signature(signature["signer"], signature["digest"]) if signature else None,
            raw.get("license"), tuple(Ancestor(a["id"], a["base_of"], a.get("license")) for a in lineage),
        ))
    return LockFile(path, tuple(pulls), version)


def _from_text(path: Path, text: str) -> LockFile:
    pulls, seen = [], set()
    for pull_id, pull_type, revision, commit, request, variant, signature, license_id, lineage, files in (
            locktext.parse(text)):
        if (pull_type, pull_id) in seen:
            raise locktext.NotCanonical  # YAML reads it too; the schema path says where
        seen.add((pull_type, pull_id))
        pulls.append(LockedPull(pull_id, pull_type, revision, commit, request,
                                tuple(LockedFile(*f) for f in files), Variant(*variant) if variant else None,
                                Signature(*signature) if signature else None, license_id,
                                tuple(Ancestor(*a) for a in lineage)))
    return LockFile(path, tuple(pulls), VERSION)


def read_lock(path: Path) -> LockFile | None:
    """The lock at ``path``; None if there is none; LockError naming file:line on bad content."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    # A lock can pin thousands of files: text in the shape `hfsync lock` writes is read
    # without PyYAML; other text with libyaml; and only when that finds something wrong,
    # again with positions to say where.
    try:
        return _from_text(path, raw.decode("utf-8"))
    except (locktext.NotCanonical, UnicodeDecodeError):
        pass
    try:
        return _fast(path, yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (yaml.YAMLError, _Malformed, KeyError, TypeError, ValueError):
        pass
    document, problems = read(path)
    if document is not None and not problems:
        problems = schema_problems(document, _schema())
    if document is None or problems:
        raise _lock_error(problems)
    pulls = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(document.data["pulls"]):
        if (raw["type"], raw["id"]) in seen:
            problems.append(document.problem(("pulls", index), f"'{raw['id']}' is pinned twice"))
        seen.add((raw["type"], raw["id"]))
        files = tuple(
            LockedFile(f["path"], f["size"], f.get("sha256"), f.get("git_oid"), f.get("xet_hash")) for f in raw["files"]
        )
        variant = Variant(raw["variant"]["name"], raw["variant"]["reason"]) if "variant" in raw else None
        signature = Signature(raw["signature"]["signer"], raw["signature"]["digest"]) if "signature" in raw else None
        pulls.append(
            LockedPull(raw["id"], raw["type"], raw["revision"], raw["commit"], raw["request"], files, variant,
                       signature, raw.get("license"),
                       tuple(Ancestor(a["id"], a["base_of"], a.get("license")) for a in raw.get("lineage", ())))
        )
    if problems:
        raise _lock_error(problems)
    return LockFile(path, tuple(pulls), document.data["version"])  # only if libyaml and the schema disagree


def locks_of(workspace: Workspace) -> list[LockFile]:
    """The lock of every manifest of ``workspace``; LockError for a manifest that pulls without one."""
    locks = []
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path)
        if lock is None and manifest.pulls:
            raise LockError(f"{manifest.lock_path} does not exist", hint="Run `hfsync lock` first.")
        locks.append(lock or LockFile(manifest.lock_path))
    return locks


def _lock_error(problems: list[Problem]) -> LockError:
    head = f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the lock file:"
    return LockError(
        "\n".join([head, *(f"  {p}" for p in sorted(problems, key=lambda p: (p.line or 0, p.message)))]),
        hint="Regenerate it with `hfsync lock --update` rather than editing it by hand.",
    )


# --- writing ------------------------------------------------------------------------


def _pull_dict(pull: locktext.Pull) -> dict[str, Any]:
    pull_id, pull_type, revision, commit, request, variant, signature, license_id, lineage, files = pull
    entry: dict[str, Any] = {"id": pull_id, "type": pull_type, "revision": revision, "commit": commit,
                             "request": request}
    if variant is not None:
        entry["variant"] = {"name": variant[0], "reason": variant[1]}
    if signature is not None:
        entry["signature"] = {"signer": signature[0], "digest": signature[1]}
    if license_id is not None:
        entry["license"] = license_id
    if lineage:
        entry["lineage"] = [{"id": a, "base_of": b, **({"license": c} if c is not None else {})} for a, b, c in lineage]
    entry["files"] = []
    for path, size, sha256, git_oid, xet_hash in files:
        file: dict[str, Any] = {"path": path, "size": size}
        file["sha256" if sha256 else "git_oid"] = sha256 or git_oid or ""
        if xet_hash:
            file["xet_hash"] = xet_hash
        entry["files"].append(file)
    return entry


def dumps(lock: LockFile, manifest_name: str = "hfsync.yaml") -> str:
    """The lock's text: sorted by pull and by path, key order fixed, no timestamps."""
    pulls = [
        (pull.id, pull.type, pull.revision, pull.commit, pull.request,
         (pull.variant.name, pull.variant.reason) if pull.variant is not None else None,
         (pull.signature.signer, pull.signature.digest) if pull.signature is not None else None,
         pull.license, tuple((a.id, a.base_of, a.license) for a in pull.lineage),
         tuple((f.path, f.size, f.sha256, None if f.sha256 else f.git_oid, f.xet_hash)
               for f in sorted(pull.files, key=lambda f: f.path)))
        for pull in sorted(lock.pulls, key=lambda p: (p.type, p.id))
    ]
    try:
        body = locktext.emit(pulls)
    except locktext.NotCanonical:  # a value longer than a line: YAML folds it
        body = yaml.dump(
            {"version": VERSION, "pulls": [_pull_dict(p) for p in pulls]},
            Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
            sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False,
        )
    return HEADER.format(manifest=manifest_name) + body


def write_lock(lock: LockFile, manifest_name: str = "hfsync.yaml") -> bool:
    """Write ``lock`` atomically (always in the current format); return False (and touch
    nothing) when the text is unchanged."""
    text = dumps(lock, manifest_name)
    try:
        if lock.path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    atomic_write(lock.path, text)
    return True
