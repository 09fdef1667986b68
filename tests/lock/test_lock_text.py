"""The lock's own text reader and writer agree with YAML on everything they accept.

hfsync.lock.lockfile reads and writes the one shape `hfsync lock` writes without PyYAML.
These tests hold it to PyYAML as hfsync uses it (over libyaml when installed): the writer
emits exactly what yaml.dump wrote before, and whatever the reader accepts, YAML reads the
same; any other text goes to YAML, which says where it is wrong.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from hfsync.errors import LockError
from hfsync.lock.lockfile import HEADER, NotCanonical, dumps, parse_text, read_lock, write_lock
from hfsync.model.lock import Ancestor, LockedFile, LockedPull, LockFile, Signature, Variant

SHA = "ab" * 32
OID = "cd" * 20
XET = "ef" * 32
COMMIT = "0123456789abcdef0123456789abcdef01234567"
REQUEST = "0123456789abcdef"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Strings YAML reads as something else, or writes quoted, or on several lines.
AWKWARD = [
    "1.0", "null", "Null", "~", "yes", "No", "on", "OFF", "true", "0777", "0912", "1e3", "1_000", "12:30", ".inf",
    ".nan", "2001-12-14", "0x1f", "+1", "-1", "=", "<<", "a b", "données.csv", "a#b", "a #b", "x: y", "x:", "'q'",
    '"dq"', "-x", "?x", "- x", "-", ".gitattributes", "_x", "/abs", "a+b", "a=b", "*star", "&amp", "!bang", "%pct",
    "@at", "`tick", "[x]", "{x}", "|pipe", ">gt", ",comma", "tab\there", "new\nline", "back\\slash", "emoji 😀",
    "trailing ", " leading", "nul\0byte", "bell\x07", "\u2028sep", "\ufeffbom", "r" * 1200, "é" * 600,
]


def lock_of(*pulls: LockedPull, path: Path = Path("hfsync.lock")) -> LockFile:
    return LockFile(path, pulls)


def pull(pull_id: str = "acme/m", *files: LockedFile, **kw) -> LockedPull:
    kw.setdefault("revision", "main")
    kw.setdefault("commit", COMMIT)
    kw.setdefault("request", REQUEST)
    files = files or (LockedFile("config.json", 2, git_oid=OID), LockedFile("w.safetensors", 10, sha256=SHA, xet_hash=XET))
    return LockedPull(pull_id, kw.pop("type", "model"), kw.pop("revision"), kw.pop("commit"), kw.pop("request"), files,
                      **kw)


def by_yaml(lock: LockFile) -> str:
    """The text as PyYAML writes the lock, the way hfsync wrote it before."""
    pulls = []
    for p in sorted(lock.pulls, key=lambda p: (p.type, p.id)):
        entry: dict = {"id": p.id, "type": p.type, "revision": p.revision, "commit": p.commit, "request": p.request}
        if p.variant:
            entry["variant"] = {"name": p.variant.name, "reason": p.variant.reason}
        if p.signature:
            entry["signature"] = {"signer": p.signature.signer, "digest": p.signature.digest}
        if p.license:
            entry["license"] = p.license
        if p.lineage:
            entry["lineage"] = [{"id": a.id, "base_of": a.base_of, **({"license": a.license} if a.license else {})}
                                for a in p.lineage]
        entry["files"] = []
        for f in sorted(p.files, key=lambda f: f.path):
            item: dict = {"path": f.path, "size": f.size}
            item["sha256" if f.sha256 else "git_oid"] = f.sha256 or f.git_oid
            if f.xet_hash:
                item["xet_hash"] = f.xet_hash
            entry["files"].append(item)
        pulls.append(entry)
    return HEADER.format(manifest="hfsync.yaml") + yaml.dump(
        {"version": 2, "pulls": pulls}, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=1000,
        default_flow_style=False)


def read_by_yaml(path: Path, text: str) -> LockFile:
    """What the lock's text means to YAML, as a LockFile."""
    data = yaml.load(text, Loader=LOADER)
    pulls = tuple(
        LockedPull(p["id"], p["type"], p["revision"], p["commit"], p["request"],
                   tuple(LockedFile(f["path"], f["size"], f.get("sha256"), f.get("git_oid"), f.get("xet_hash"))
                         for f in p["files"]),
                   Variant(p["variant"]["name"], p["variant"]["reason"]) if "variant" in p else None,
                   Signature(p["signature"]["signer"], p["signature"]["digest"]) if "signature" in p else None,
                   p.get("license"), tuple(Ancestor(a["id"], a["base_of"], a.get("license")) for a in p.get("lineage", ())))
        for p in data["pulls"])
    return LockFile(path, pulls, data["version"])


def awkward_locks() -> list[LockFile]:
    locks = [lock_of(), lock_of(pull()), lock_of(pull("acme/empty", LockedFile("x", 0, git_oid=OID))),
             lock_of(pull("acme/z"), pull("acme/a", type="dataset"), pull("acme/a"))]
    for text in AWKWARD:
        locks.append(lock_of(pull("acme/m", LockedFile(text, 1, sha256=SHA), LockedFile("ok.json", 3, git_oid=OID))))
        locks.append(lock_of(pull(f"acme/{text}", revision=text, variant=Variant(text, f"fits: {text}"))))
        locks.append(lock_of(pull("acme/signed", signature=Signature(f"certificate CN={text}", SHA))))
        locks.append(lock_of(pull("acme/adapter", license=text, lineage=(
            Ancestor(f"acme/{text}", "acme/adapter", text), Ancestor("acme/root", f"acme/{text}")))))
    # Digests of digits only are numbers to YAML unless quoted.
    locks.append(lock_of(pull("acme/digits", LockedFile("a", 1, sha256="1" * 64, xet_hash="2" * 64),
                              LockedFile("b", 1, git_oid="0" * 40), commit="9" * 40, request="1234567890123456",
                              signature=Signature("key sha256:" + "3" * 64, "4" * 64))))
    return locks


@pytest.mark.parametrize("lock", awkward_locks(), ids=lambda lock: repr(lock.pulls[:1])[:60])
def test_the_writer_writes_what_yaml_wrote_and_both_readers_read_it_back(tmp_path, lock):
    path = tmp_path / "hfsync.lock"
    lock = LockFile(path, lock.pulls)
    text = dumps(lock)
    assert text == by_yaml(lock)
    path.write_text(text, encoding="utf-8")
    assert read_lock(path) == read_by_yaml(path, text)
    assert read_lock(path).pulls == in_order(lock)


def in_order(lock: LockFile) -> tuple[LockedPull, ...]:
    return tuple(LockedPull(p.id, p.type, p.revision, p.commit, p.request, tuple(sorted(p.files, key=lambda f: f.path)),
                            p.variant, p.signature, p.license, p.lineage) for p in sorted(lock.pulls, key=lambda p: (p.type, p.id)))


def test_plain_locks_are_read_without_yaml():
    text = dumps(lock_of(pull("acme/m", *(LockedFile(f"shards/part-{i:04d}.json", i, git_oid=OID) for i in range(50))),
                         pull("acme/v", variant=Variant("m-Q8_0.gguf", "highest-precision variant: Q8_0 (1.0 GiB)"))))
    pulls = parse_text(text)
    assert [p.id for p in pulls] == ["acme/m", "acme/v"]
    assert pulls[1].variant == Variant("m-Q8_0.gguf", "highest-precision variant: Q8_0 (1.0 GiB)")
    assert len(pulls[0].files) == 50 and pulls[0].files[7] == LockedFile("shards/part-0007.json", 7, None, OID, None)


MUTATIONS = [" ", "#", ":", "-", "'", '"', "\t", "\n", "\r", "\u2028", "0", "a", "[", "{", "&", "*", "!", "|", ">", "?", "x", "é"]


def test_whatever_the_reader_accepts_yaml_reads_the_same(tmp_path):
    """Hand edits of a written lock, one character or line at a time: the text reader either
    declines (YAML reads it, or says where it is wrong) or reads exactly what YAML reads."""
    path = tmp_path / "hfsync.lock"
    bases = [
        dumps(lock_of(pull("acme/m", LockedFile("a.json", 1, git_oid=OID), LockedFile("b", 22, sha256=SHA, xet_hash=XET)),
                      pull("acme/v", variant=Variant("q", "because"), type="dataset"))),
        dumps(lock_of(pull("acme/m", LockedFile("1.0", 1, git_oid=OID), LockedFile("a b é", 2, sha256=SHA)),
                      pull("acme/v", variant=Variant("'q'", "fits: 4.1 GiB # of 8"), revision="v 1"))),
    ]
    rng = random.Random(14)
    accepted = 0
    for _ in range(4000):
        text = rng.choice(bases)
        for _ in range(rng.choice((1, 1, 2))):
            at = rng.randrange(len(text))
            kind = rng.random()
            if kind < 0.4:
                text = text[:at] + rng.choice(MUTATIONS) + text[at:]
            elif kind < 0.8:
                text = text[:at] + text[at + 1:]
            else:
                lines = text.splitlines(keepends=True)
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines.insert(j, lines[i])
                text = "".join(lines)
        try:
            parse_text(text)
        except NotCanonical:
            continue
        accepted += 1
        path.write_text(text, encoding="utf-8")
        assert read_lock(path) == read_by_yaml(path, text), repr(text)
    assert accepted > 150  # edits that keep the shape (a changed digit, a renamed path) are read here


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace(f"sha256: {SHA}", f"sha256: {SHA[:-1]}Z"), "hfsync.lock:15:13: pulls[0].files[1].sha256:"),
        (lambda t: t.replace(f"sha256: {SHA}", f"sha256: {SHA.upper()}"), "hfsync.lock:15:13: pulls[0].files[1].sha256:"),
        (lambda t: t.replace("size: 10", "size: -10"), "hfsync.lock:14:11: pulls[0].files[1].size:"),
        (lambda t: t.replace("size: 10", "size: ten"), "hfsync.lock:14:11: pulls[0].files[1].size:"),
        (lambda t: t.replace(f"request: {REQUEST}", "request: 1234567890123456"), "hfsync.lock:8:12: pulls[0].request:"),
        (lambda t: t.replace("path: config.json", "path: 1.0"), "hfsync.lock:10:11: pulls[0].files[0].path:"),
        (lambda t: t.replace("    size: 2\n", ""), "hfsync.lock:10:5: pulls[0].files[0] is missing the required key 'size'"),
        (lambda t: t.replace("  type: model", "  type: modle"), "hfsync.lock:5:9: pulls[0].type:"),
        (lambda t: t + t[t.index("- id:"):], "'acme/m' is pinned twice"),
        (lambda t: t.replace("  files:\n", "  files:\n  - path: [x]\n    size: 1\n"), "hfsync.lock:10:11: pulls[0].files[0].path:"),
    ],
)
def test_a_written_lock_edited_by_hand_is_refused_where_it_is_wrong(tmp_path, edit, expected):
    path = tmp_path / "hfsync.lock"
    assert write_lock(lock_of(pull(), path=path))
    path.write_text(edit(path.read_text()))
    with pytest.raises(LockError) as caught:
        read_lock(path)
    assert expected in caught.value.message
    assert "hfsync lock --update" in caught.value.hint
