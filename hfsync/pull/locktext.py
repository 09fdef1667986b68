"""The lock's own text: the one shape `hfsync lock` writes, read and written without PyYAML.

A lock pins every file of every pull, so it can run to thousands of entries, and PyYAML
builds each node in Python even over libyaml (about 100 ms for 1,000 files, more than
listing the repo). The lock is written in one fixed shape (key order, indentation,
block style), so text of that shape is read here line by line with regular expressions,
and written the same way. Text of any other shape (a hand edit, a merge) is left to
YAML by the caller, which then says where it is wrong.

Nothing is trusted because of where it came from (no checksum: anyone can recompute
one, and a lock-wide one would conflict in every merge of two moved pins): each line must
match what the writer emits, each digest must be lowercase hex of its length, each size
a plain decimal. A value is taken as written only when YAML would read that text as the
same string; any other (quoted, or with spaces or non-ASCII letters) is read by YAML, one
line at a time. So whatever this module reads, YAML reads the same, and the checks the
schema makes hold by construction (a test holds the two readers, and the two writers,
to each other).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import overload

import yaml

# (path, size, sha256, git_oid, xet_hash): one pinned file, as plain values.
File = tuple[str, int, str | None, str | None, str | None]
# (id, base_of, license): one model a pin was made from.
Ancestor = tuple[str, str, str | None]
# (id, type, revision, commit, request, (variant name, reason) or None, (signer, digest) or None, license,
#  lineage, files)
Pull = tuple[str, str, str, str, str, tuple[str, str] | None, tuple[str, str] | None, str | None,
             tuple[Ancestor, ...], tuple[File, ...]]

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
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class NotCanonical(Exception):
    """The text is not in the shape `hfsync lock` writes: read it with YAML instead."""


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


@overload
def _hex(value: str) -> str: ...
@overload
def _hex(value: str | None) -> str | None: ...
def _hex(value: str | None) -> str | None:
    """A digest as written; YAML would read one of digits only as a number."""
    if value is not None and value.isdigit():
        raise NotCanonical
    return value


def parse(text: str) -> list[Pull]:
    """The pulls of a format-2 lock in the writer's shape; NotCanonical for any other text."""
    comments = _COMMENTS.match(text)  # the header, in printable ASCII (YAML reads other characters as breaks)
    pos = comments.end() if comments else 0
    top = _TOP.match(text, pos)
    if top is None:
        raise NotCanonical
    pos = top.end()
    pulls: list[Pull] = []
    while pos < len(text) and top.group(1) is None:
        head = _PULL.match(text, pos)
        if head is None:
            raise NotCanonical
        pos = head.end()
        lineage = []
        while head.group(11) is not None and (ancestor := _ANCESTOR.match(text, pos)) is not None:
            name, base_of, license_id = ancestor.groups()
            lineage.append((_string(name), _string(base_of), _string(license_id) if license_id is not None else None))
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
            files.append((_string(path), int(size), _hex(sha256), _hex(git_oid), _hex(xet_hash)))
            pos = entry.end()
        if listed.group(1) is None and not files:
            raise NotCanonical  # `files:` with no entry under it
        variant = (_string(head.group(6)), _string(head.group(7))) if head.group(6) is not None else None
        signature = (_string(head.group(8)), _hex(head.group(9)) or "") if head.group(8) is not None else None
        license_id = _string(head.group(10)) if head.group(10) is not None else None
        pulls.append((_string(head.group(1)), head.group(2), _string(head.group(3)), _hex(head.group(4)),
                      _hex(head.group(5)), variant, signature, license_id, tuple(lineage), tuple(files)))
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


def emit(pulls: Sequence[Pull]) -> str:
    """The body of a format-2 lock, as yaml.safe_dump writes it with the lock's options,
    for pulls and files already in order; NotCanonical when a value needs several lines."""
    if not pulls:
        return "version: 2\npulls: []\n"
    out = ["version: 2\npulls:\n"]
    for pull_id, pull_type, revision, commit, request, variant, signature, license_id, lineage, files in pulls:
        out.append(f"- id: {_scalar(pull_id)}\n  type: {_scalar(pull_type)}\n  revision: {_scalar(revision)}\n"
                   f"  commit: {_scalar(commit)}\n  request: {_scalar(request)}\n")
        if variant is not None:
            out.append(f"  variant:\n    name: {_scalar(variant[0])}\n    reason: {_scalar(variant[1])}\n")
        if signature is not None:
            out.append(f"  signature:\n    signer: {_scalar(signature[0])}\n    digest: {_scalar(signature[1])}\n")
        if license_id is not None:
            out.append(f"  license: {_scalar(license_id)}\n")
        if lineage:
            out.append("  lineage:\n")
        for name, base_of, ancestor_license in lineage:
            out.append(f"  - id: {_scalar(name)}\n    base_of: {_scalar(base_of)}\n")
            if ancestor_license is not None:
                out.append(f"    license: {_scalar(ancestor_license)}\n")
        out.append("  files:\n" if files else "  files: []\n")
        for path, size, sha256, git_oid, xet_hash in files:
            if not (sha256 or git_oid) or type(size) is not int:
                raise NotCanonical
            digest = f"sha256: {_scalar(sha256)}" if sha256 else f"git_oid: {_scalar(git_oid or '')}"
            out.append(f"  - path: {_scalar(path)}\n    size: {size}\n    {digest}\n")
            if xet_hash:
                out.append(f"    xet_hash: {_scalar(xet_hash)}\n")
    return "".join(out)
