"""The lock file: stable text, located errors, and whether it is in step with the manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.errors import LockError
from hfsync.lock.lockfile import dumps, read_lock, write_lock
from hfsync.lock.pin import fingerprint, stale_reasons
from hfsync.manifest.model import Location, Manifest, Policy, Pull
from hfsync.model.lock import LockedFile, LockedPull, LockFile, Variant

B3 = "b" * 64
SHA = "a" * 64
OID = "c" * 40
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def pull(**kw) -> Pull:
    kw.setdefault("dest", Path("vendor"))
    return Pull(id=kw.pop("id", "acme/m1"), type=kw.pop("type", "model"), location=Location(Path("hfsync.yaml"), 3, 5),
                **kw)


def manifest(*pulls: Pull, policy: Policy | None = None, path: Path = Path("hfsync.yaml")) -> Manifest:
    return Manifest(path, "d", None, policy or Policy(), (), pulls)  # type: ignore[arg-type]


def entry(p: Pull, policy: Policy | None = None, **kw) -> LockedPull:
    files = kw.pop("files", (LockedFile("w.safetensors", 10, sha256=SHA, xet_hash=B3),
                             LockedFile("config.json", 2, git_oid=OID)))
    return LockedPull(p.id, p.type, p.revision, COMMIT, fingerprint(p, policy or Policy()), files, **kw)


def test_text_is_sorted_without_timestamps_and_round_trips(tmp_path):
    a, b = pull(id="acme/zeta"), pull(id="acme/alpha", type="dataset")
    lock = LockFile(tmp_path / "hfsync.lock", (entry(a, variant=Variant("m-Q8_0.gguf", "fits")), entry(b)))
    text = dumps(lock)
    assert text == dumps(LockFile(lock.path, tuple(reversed(lock.pulls))))
    assert text.index("acme/alpha") < text.index("acme/zeta")
    assert text.index("config.json") < text.index("w.safetensors")
    assert text.splitlines()[:10] == [
        "# Pins for the pulls of hfsync.yaml. Written by `hfsync lock`; do not edit by hand.",
        "version: 2",
        "pulls:",
        "- id: acme/alpha",
        "  type: dataset",
        "  revision: main",
        f"  commit: {COMMIT}",
        f"  request: {fingerprint(b, Policy())}",
        "  files:",
        "  - path: config.json",
    ]
    assert write_lock(lock) is True
    assert write_lock(lock) is False  # unchanged text: the file is not touched
    again = read_lock(lock.path)
    assert again is not None and dumps(again) == text
    assert again.get("model", "acme/zeta").variant == Variant("m-Q8_0.gguf", "fits")


def test_missing_lock_reads_as_none(tmp_path):
    assert read_lock(tmp_path / "hfsync.lock") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 3\npulls: []\n", "hfsync.lock:1:10: version: expected one of 1, 2; got the number 3"),
        ("version: 1\npulls:\n- id: a/b\n", "hfsync.lock:3:3: pulls[0] is missing the required key 'commit'"),
        ("version: 1\npulls: [\n", "hfsync.lock:3:1: invalid YAML"),
        (f"version: 1\npulls:\n- {{id: a/b, type: model, revision: main, commit: {COMMIT}, request: 0123456789abcdef,"
         " files: [{path: x, size: 1, blake3: nothex}]}\n", "hfsync.lock:3:"),
        (f"version: 2\npulls:\n- {{id: a/b, type: model, revision: main, commit: {COMMIT}, request: 0123456789abcdef,"
         f" files: [{{path: x, size: 1, git_oid: {OID}, xet_hash: nothex}}]}}\n", "hfsync.lock:3:"),
    ],
)
def test_bad_lock_errors_are_located(tmp_path, text, expected):
    path = tmp_path / "hfsync.lock"
    path.write_text(text)
    with pytest.raises(LockError) as caught:
        read_lock(path)
    assert f"{tmp_path}/{expected}" in caught.value.message
    assert "hfsync lock --update" in caught.value.hint


def test_fingerprint_covers_what_decides_the_pin_and_not_where_it_goes():
    base = fingerprint(pull(), Policy())
    assert fingerprint(pull(dest=None, cache=True), Policy()) == base
    moved = Pull(id="acme/m1", type="model", location=Location(Path("x.yaml"), 9, 9), dest=Path("elsewhere"))
    assert fingerprint(moved, Policy()) == base
    for changed in (pull(revision="v2"), pull(include=("*.json",)), pull(exclude=("*.md",)), pull(variant="auto"),
                    pull(allow_unsafe=True), pull(type="dataset")):
        assert fingerprint(changed, Policy()) != base
    assert fingerprint(pull(), Policy(safetensors_only=False)) == fingerprint(pull(allow_unsafe=True), Policy())
    assert fingerprint(pull(variant="auto", max_memory=1), Policy()) != fingerprint(pull(variant="auto"), Policy())


def test_stale_reasons(tmp_path):
    p, q = pull(), pull(id="acme/other")
    m = manifest(p, q)
    lock = LockFile(tmp_path / "hfsync.lock", (entry(p), entry(pull(id="acme/gone"))))
    assert stale_reasons(m, None) == ["hfsync.lock does not exist"]
    assert stale_reasons(m, lock) == [
        "pull 'acme/other' is not in hfsync.lock",
        "hfsync.lock pins 'acme/gone', which hfsync.yaml no longer pulls",
    ]
    assert stale_reasons(m, lock, ["acme/m1"]) == []
    changed = manifest(pull(revision="v2"))
    assert stale_reasons(changed, lock, ["acme/m1"]) == ["pull 'acme/m1' changed in hfsync.yaml since it was locked"]
