"""Pure rules: which files are LFS, which are ignored, and card validation."""

from __future__ import annotations

from hfsync.sandbox.cards import front_matter, tags_for, validate
from hfsync.sandbox.gitstore import blob_oid
from hfsync.sandbox.lfs import parse_pointer, pointer_text
from hfsync.sandbox.rules import (
    default_gitattributes,
    ignore_patterns,
    is_ignored,
    lfs_line,
    lfs_patterns,
    upload_mode,
)


def test_upload_mode_follows_patterns_size_and_binary():
    patterns = lfs_patterns(default_gitattributes("model"))
    assert upload_mode("a/model.safetensors", 10, b"text", patterns) == "lfs"
    assert upload_mode("saved_model/x/y.pb2", 10, b"text", patterns) == "lfs"
    assert upload_mode("events.out.tfevents.1", 10, b"text", patterns) == "lfs"
    assert upload_mode("config.json", 100, b"{}", patterns) == "regular"
    assert upload_mode("big.txt", 10_000_000, b"text", patterns) == "lfs"
    assert upload_mode("icon.ico", 100, b"\x00\x01", patterns) == "lfs"
    assert upload_mode("empty.bin", 0, b"", patterns) == "regular"
    assert upload_mode("photo.png", 100, b"png", patterns) == "regular"
    data_patterns = lfs_patterns(default_gitattributes("dataset"))
    assert upload_mode("photo.png", 100, b"png", data_patterns) == "lfs"


def test_appended_lines_match_their_path():
    line = lfs_line("dir/my file.dat").encode()
    assert line == b"dir/my[[:space:]]file.dat filter=lfs diff=lfs merge=lfs -text\n"
    assert upload_mode("dir/my file.dat", 5, b"x", lfs_patterns(line)) == "lfs"
    assert upload_mode("other/my file.dat", 5, b"x", lfs_patterns(line)) == "regular"


def test_gitignore():
    rules = ignore_patterns(b"# comment\n*.log\n!keep.log\nbuild/\n")
    assert is_ignored("a/run.log", rules) and not is_ignored("keep.log", rules)
    assert is_ignored("build/out.txt", rules) and not is_ignored("src/build.py", rules)


def test_pointer_and_oids():
    pointer = pointer_text("ab" * 32, 3000)
    assert len(pointer) == 125 + 4 and parse_pointer(pointer) == ("ab" * 32, 3000)
    assert parse_pointer(b"hello") is None
    assert blob_oid(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_cards():
    card = front_matter("---\nlicense: mit\nlanguage: [en, fr]\ntags: [a]\n---\nbody\n")
    assert card == {"license": "mit", "language": ["en", "fr"], "tags": ["a"]}
    assert front_matter("no front matter") is None
    assert tags_for(card, "model") == ["a", "en", "fr", "license:mit", "region:us"]
    assert "language:en" in tags_for(card, "dataset")
    assert validate("---\nlicense: mit\nlanguage: en\n---\n", "model") == ([], [])
    errors, _ = validate("---\nlicense: nope\n---\n", "model")
    assert "license" in errors[0]["message"]
    errors, _ = validate("---\n: [\n---\n", "model")
    assert "Invalid YAML" in errors[0]["message"]
