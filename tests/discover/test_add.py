"""search --add: pulls appended to the manifest text, comments and layout kept, validated."""

from __future__ import annotations

import pytest

from hfsync.errors import HfsyncError, ManifestError
from hfsync.manifest.edit import NewPull, add_pulls, insert_pulls
from hfsync.manifest.load import load
from tests.helpers import hfsync

MANIFEST = """\
# Team manifest: keep this comment
version: 1
defaults: {namespace: acme}   # inline comment
policy:
  licenses: [apache-2.0, mit]
pulls:
  # what we consume
  - id: acme/model-00   # pinned by the lock
    dest: vendor/model-00

# trailing notes
"""


def test_add_keeps_comments_and_validates(hub, tmp_path):
    path = tmp_path / "hfsync.yaml"
    path.write_text(MANIFEST)
    result = hfsync("--endpoint", hub.url, "search", "models", "--author", "acme", "--sort", "likes",
                    "--limit", "2", "--add", "-f", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text() == MANIFEST.replace(
        "    dest: vendor/model-00\n",
        "    dest: vendor/model-00\n"
        "  - id: acme/model-07\n    dest: vendor/model-07\n"
        "  - id: acme/model-14\n    dest: vendor/model-14\n",
    )
    assert [p.id for p in load([path]).manifests[0].pulls] == ["acme/model-00", "acme/model-07", "acme/model-14"]
    assert result.stderr == (
        f"Updated {path}: added 2 pulls:\n  acme/model-07 -> vendor/model-07\n  acme/model-14 -> vendor/model-14\n"
        "Run `hfsync lock` to pin them to commits.\n"
    )
    # Again: nothing to add, the file is untouched.
    again = hfsync("--endpoint", hub.url, "search", "models", "--author", "acme", "--sort", "likes",
                   "--limit", "2", "--add", "-f", str(path))
    assert again.stderr == f"Already pulled by {path}: acme/model-07, acme/model-14\n"


def test_add_creates_a_pulls_block_or_a_manifest(hub, tmp_path):
    path = tmp_path / "hfsync.yaml"
    path.write_text("version: 1  # no pulls yet\n# end")
    result = hfsync("--endpoint", hub.url, "search", "datasets", "reviews", "--add", "-f", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text() == (
        "version: 1  # no pulls yet\n# end\npulls:\n  - id: acme/reviews\n    type: dataset\n    dest: vendor/reviews\n"
    )
    fresh = tmp_path / "new" / "hfsync.yaml"
    result = hfsync("--endpoint", hub.url, "search", "spaces", "demo", "--add", "-f", str(fresh))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Created {fresh}: added 1 pull:")
    assert load([fresh]).manifests[0].pulls[0].type == "space"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("version: 1\npulls: []\n", "version: 1\npulls:\n  - id: a/b\n    dest: vendor/b\n"),
        ("version: 1\npulls:   # none yet\n", "version: 1\npulls:   # none yet\n  - id: a/b\n    dest: vendor/b\n"),
        ("version: 1\npulls: [] # none\n", "version: 1\npulls:  # none\n  - id: a/b\n    dest: vendor/b\n"),
        # an unindented sequence, then another key: items go before the key
        ("version: 1\npulls:\n- id: x/y\n  cache: true\nrepos: []\n",
         "version: 1\npulls:\n- id: x/y\n  cache: true\n- id: a/b\n  dest: vendor/b\nrepos: []\n"),
        # CRLF files stay CRLF
        ("version: 1\r\npulls:\r\n    - id: x/y\r\n      cache: true\r\n",
         "version: 1\r\npulls:\r\n    - id: x/y\r\n      cache: true\r\n    - id: a/b\r\n      dest: vendor/b\r\n"),
    ],
)
def test_insert_pulls_shapes(text, want):
    assert insert_pulls(text, [NewPull("a/b")]) == want


def test_flow_style_pulls_is_refused(tmp_path):
    path = tmp_path / "hfsync.yaml"
    text = "version: 1\npulls: [{id: x/y, cache: true}]\n"
    path.write_text(text)
    with pytest.raises(HfsyncError, match="flow style"):
        add_pulls(path, [NewPull("a/b")])
    assert path.read_text() == text


def test_an_invalid_result_is_rolled_back(tmp_path):
    path = tmp_path / "hfsync.yaml"
    text = "version: 1\npulls:\n  - id: x/y\n    dest: vendor\n"  # vendor/b would sit inside it
    path.write_text(text)
    with pytest.raises(ManifestError, match="overlaps"):
        add_pulls(path, [NewPull("a/b")])
    assert path.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hfsync.yaml"]  # no temp files left


def test_a_broken_manifest_is_not_edited(hub, tmp_path):
    path = tmp_path / "hfsync.yaml"
    path.write_text("version: 1\nbogus: true\n")
    result = hfsync("--endpoint", hub.url, "search", "models", "model-00", "--add", "-f", str(path))
    assert result.exit_code == 1
    assert "bogus" in result.stderr
    assert path.read_text() == "version: 1\nbogus: true\n"


def test_same_name_from_two_namespaces_gets_distinct_folders(tmp_path):
    path = tmp_path / "hfsync.yaml"
    path.write_text("version: 1\npulls:\n  - id: other/model-00\n    dest: vendor/model-00\n")
    outcome = add_pulls(path, [NewPull("acme/model-00")])
    assert outcome.added[0].dest == "vendor/acme--model-00"
    load([path])
