"""The lock file, ``hfsync.lock``: read and written.

It sits next to its manifest. It is YAML, sorted, without timestamps, so that two runs
over the same Hub state write the same bytes and a moved pin is a small, reviewable diff.
A pin holds only what the Hub's listing gives (sha256 for LFS files, the git blob id
otherwise, the Xet hash when there is one), so locking never reads file content. Format 1
also pinned a blake3 per file; it still reads (the blake3 is ignored: what a machine
verified is recorded beside its destination, see hfsync.pull.state), and ``hfsync lock``
rewrites it as format 2.

A lock can pin thousands of files, and PyYAML builds each node in Python even over
libyaml (about 100 ms for 1,000 files, more than listing the repo). The lock is written
in one fixed shape (key order, indentation, block style), so text of that shape is read
here line by line with regular expressions, and written the same way. Text of any other
shape (a hand edit, a merge) goes to libyaml, and only when that finds something wrong,
to YAML with positions, to say where.

Nothing is trusted because of where it came from (no checksum: anyone can recompute one,
and a lock-wide one would conflict in every merge of two moved pins): each line must match
what the writer emits, each digest must be lowercase hex of its length, each size a plain
decimal. A value is taken as written only when YAML would read that text as the same
string; any other (quoted, or with spaces or non-ASCII letters) is read by YAML, one line
at a time. So whatever the text reader reads, YAML reads the same, and the checks the
schema makes hold by construction (a test holds the two readers, and the two writers, to
each other).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from hfsync import schemas
from hfsync.errors import LockError, Problem
from hfsync.manifest.model import Workspace
from hfsync.manifest.schema import schema_problems
from hfsync.manifest.yamlpos import read
from hfsync.model.lock import VERSION, Ancestor, LockedFile, LockedPull, LockFile, Signature, Variant
from hfsync.paths import atomic_write

HEADER = "# Pins for the pulls of {manifest}. Written by `hfsync lock`; do not edit by hand.\n"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class NotCanonical(Exception):
    """The text is not in the shape `hfsync lock` writes: read it with YAML instead."""


# --- the writer's own shape, without PyYAML -------------------------------------------

_VALUE = r"([^\n]+)"
_COMMENTS = re.compile(r"(?:#[ -~]*\n)+")
_TOP = re.compile(r"version: 2\npulls:( \[\])?\n")
_PULL = re.compile(
    rf"- id: {_VALUE}\n  type: (model|dataset|space)\n  revision: {_VALUE}\n"
    r"  commit: ([0-9a-f]{40})\n  request: ([0-9a-f]{16})\n"
    rf"(?:  variant:\n    name: {_VALUE}\n    reason: {_VALUE}\n)?"
    rf"(?:  signature:\n    signer: {_VALUE}\n    digest: ([0-9a-f]{{64}})\n)?"
    rf"(?:  license: {_VALUE}\n)?"
    r"(  lineage:\n)?"
)
_ANCESTOR = re.compile(rf"  - id: {_VALUE}\n    base_of: {_VALUE}\n(?:    license: {_VALUE}\n)?")
_FILES = re.compile(r"  files:( \[\])?\n")
_FILE = re.compile(
    rf"  - path: {_VALUE}\n    size: (0|[1-9][0-9]*)\n"
    r"    (?:sha256: ([0-9a-f]{64})|git_oid: ([0-9a-f]{40}))\n(?:    xet_hash: ([0-9a-f]{64})\n)?"
)
# A plain scalar YAML reads back as this very string, unless an implicit resolver (bool,
# int, float, null, timestamp, merge, value) claims it: those are keyed by first character.
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./+-]*")
_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
# Characters YAML breaks lines on, or treats apart from its parser's kind (libyaml and
# PyYAML differ on tabs): a value holding one is left to YAML with the whole document.
_ODD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _is_plain(value: str) -> bool:
    if not _PLAIN.fullmatch(value):
        return False
    resolvers = _RESOLVERS.get(value[0])
    return resolvers is None or not any(regexp.match(value) for _, regexp in resolvers)


def _string(raw: str) -> str:
    """The non-empty string a value's text stands for (NotCanonical for any other)."""
    if _is_plain(raw):
        return raw
    if _ODD.search(raw):
        raise NotCanonical
    try:  # read by YAML in the same context as in the document: a block mapping's value
        value = yaml.load("k: " + raw, Loader=_LOADER)["k"]
    except (yaml.YAMLError, TypeError, KeyError):
        raise NotCanonical from None
    if not isinstance(value, str) or not value:
        raise NotCanonical
    return value


def _digits(value: str | None) -> str | None:
    """A digest as written; YAML would read one of digits only as a number."""
    if value is not None and value.isdigit():
        raise NotCanonical
    return value


def parse_text(text: str) -> list[LockedPull]:
    """The pulls of a format-2 lock in the writer's shape; NotCanonical for any other text."""
    comments = _COMMENTS.match(text)  # the header, in printable ASCII (YAML reads other characters as breaks)
    top = _TOP.match(text, comments.end() if comments else 0)
    if top is None:
        raise NotCanonical
    pos, pulls, seen = top.end(), [], set()
    while pos < len(text) and top.group(1) is None:
        head = _PULL.match(text, pos)
        if head is None:
            raise NotCanonical
        pos = head.end()
        lineage = []
        while head.group(11) is not None and (ancestor := _ANCESTOR.match(text, pos)) is not None:
            name, base_of, license_id = ancestor.groups()
            lineage.append(Ancestor(_string(name), _string(base_of),
                                    _string(license_id) if license_id is not None else None))
            pos = ancestor.end()
        if head.group(11) is not None and not lineage:
            raise NotCanonical  # `lineage:` with no entry under it
        listed = _FILES.match(text, pos)
        if listed is None:
            raise NotCanonical
        pos = listed.end()
        files = []
        while listed.group(1) is None and (entry := _FILE.match(text, pos)) is not None:
            path, size, sha256, git_oid, xet_hash = entry.groups()
            files.append(LockedFile(_string(path), int(size), _digits(sha256), _digits(git_oid), _digits(xet_hash)))
            pos = entry.end()
        if listed.group(1) is None and not files:
            raise NotCanonical  # `files:` with no entry under it
        pull_id, pull_type = _string(head.group(1)), head.group(2)
        if (pull_type, pull_id) in seen:
            raise NotCanonical  # YAML reads it too; the schema path says where
        seen.add((pull_type, pull_id))
        variant = Variant(_string(head.group(6)), _string(head.group(7))) if head.group(6) is not None else None
        signed = Signature(_string(head.group(8)), str(_digits(head.group(9)))) if head.group(8) is not None else None
        license_id = _string(head.group(10)) if head.group(10) is not None else None
        pulls.append(LockedPull(pull_id, pull_type, _string(head.group(3)), str(_digits(head.group(4))),
                                str(_digits(head.group(5))), tuple(files), variant, signed, license_id, tuple(lineage)))
    if pos != len(text):
        raise NotCanonical
    return pulls


def _scalar(value: str) -> str:
    """How YAML writes ``value`` as a mapping's value on one line; NotCanonical when it
    would take more than one line (a string longer than the line width)."""
    if _is_plain(value):
        return value
    text = yaml.dump({"k": value}, Dumper=_DUMPER, allow_unicode=True, width=1000)
    if text.count("\n") != 1 or _ODD.search(text, 0, len(text) - 1):
        raise NotCanonical
    return text[3:-1]


def emit_text(pulls: Sequence[LockedPull]) -> str:
    """The body of a format-2 lock, as yaml.safe_dump writes it with the lock's options,
    for pulls and files already in order; NotCanonical when a value needs several lines."""
    if not pulls:
        return "version: 2\npulls: []\n"
    out = ["version: 2\npulls:\n"]
    for pull in pulls:
        out.append(f"- id: {_scalar(pull.id)}\n  type: {_scalar(pull.type)}\n  revision: {_scalar(pull.revision)}\n"
                   f"  commit: {_scalar(pull.commit)}\n  request: {_scalar(pull.request)}\n")
        if pull.variant is not None:
            variant = pull.variant
            out.append(f"  variant:\n    name: {_scalar(variant.name)}\n    reason: {_scalar(variant.reason)}\n")
        if pull.signature is not None:
            signed = pull.signature
            out.append(f"  signature:\n    signer: {_scalar(signed.signer)}\n    digest: {_scalar(signed.digest)}\n")
        if pull.license is not None:
            out.append(f"  license: {_scalar(pull.license)}\n")
        if pull.lineage:
            out.append("  lineage:\n")
        for ancestor in pull.lineage:
            out.append(f"  - id: {_scalar(ancestor.id)}\n    base_of: {_scalar(ancestor.base_of)}\n")
            if ancestor.license is not None:
                out.append(f"    license: {_scalar(ancestor.license)}\n")
        out.append("  files:\n" if pull.files else "  files: []\n")
        for f in pull.files:
            if not (f.sha256 or f.git_oid) or type(f.size) is not int:
                raise NotCanonical
            digest = f"sha256: {_scalar(f.sha256)}" if f.sha256 else f"git_oid: {_scalar(str(f.git_oid))}"
            out.append(f"  - path: {_scalar(f.path)}\n    size: {f.size}\n    {digest}\n")
            if f.xet_hash:
                out.append(f"    xet_hash: {_scalar(f.xet_hash)}\n")
    return "".join(out)


# --- any other text: libyaml, then YAML with positions ----------------------------------

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


def read_lock(path: Path) -> LockFile | None:
    """The lock at ``path``; None if there is none; LockError naming file:line on bad content."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return LockFile(path, tuple(parse_text(raw.decode("utf-8"))), VERSION)
    except (NotCanonical, UnicodeDecodeError):
        pass
    try:
        return _fast(path, yaml.load(raw, Loader=_LOADER))
    except (yaml.YAMLError, _Malformed, KeyError, TypeError, ValueError):
        pass
    document, problems = read(path)
    if document is not None and not problems:
        problems = schema_problems(document, schemas.load("hfsync.lock"))
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


def _pull_dict(pull: LockedPull) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": pull.id, "type": pull.type, "revision": pull.revision, "commit": pull.commit,
                             "request": pull.request}
    if pull.variant is not None:
        entry["variant"] = {"name": pull.variant.name, "reason": pull.variant.reason}
    if pull.signature is not None:
        entry["signature"] = {"signer": pull.signature.signer, "digest": pull.signature.digest}
    if pull.license is not None:
        entry["license"] = pull.license
    if pull.lineage:
        entry["lineage"] = [{"id": a.id, "base_of": a.base_of, **({} if a.license is None else {"license": a.license})}
                            for a in pull.lineage]
    entry["files"] = []
    for f in pull.files:
        file: dict[str, Any] = {"path": f.path, "size": f.size}
        file["sha256" if f.sha256 else "git_oid"] = f.sha256 or f.git_oid or ""
        if f.xet_hash:
            file["xet_hash"] = f.xet_hash
        entry["files"].append(file)
    return entry


def dumps(lock: LockFile, manifest_name: str = "hfsync.yaml") -> str:
    """The lock's text: sorted by pull and by path, key order fixed, no timestamps."""
    pulls = [replace(p, files=tuple(sorted(p.files, key=lambda f: f.path)))
             for p in sorted(lock.pulls, key=lambda p: (p.type, p.id))]
    try:
        body = emit_text(pulls)
    except NotCanonical:  # a value longer than a line: YAML folds it
        body = yaml.dump({"version": VERSION, "pulls": [_pull_dict(p) for p in pulls]}, Dumper=_DUMPER,
                         sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
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
