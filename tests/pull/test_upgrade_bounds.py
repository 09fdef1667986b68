"""An upgrade summary of hostile upstream files says "no diff: <reason>" for each, as a plan does."""

from __future__ import annotations

from tests.inspect import hostile

CASES = ("json_deep", "yaml_bomb", "text_repeats", "tsv_wide", "jsonl_deep", "gguf_huge_count")


def test_hostile_upstream_files_are_no_diff_with_the_reason(hub, make_repo, project, run, monkeypatch):
    # The Hub refuses such a card from the client; one written there before is what upstream serves.
    monkeypatch.setattr(hub, "_validate_yaml", lambda *args, **kwargs: None)
    cases = {name: getattr(hostile, name)() for name in CASES}
    # The bomb is the card's old side in the case: here upstream moves from an honest card to it.
    make_repo("acme/m1", {c.path: c.new if name == "yaml_bomb" else c.old for name, c in cases.items()})
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    assert run("lock").exit_code == 0
    make_repo("acme/m1", {c.path: c.old if name == "yaml_bomb" else c.new for name, c in cases.items()})
    result = run("upgrade")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "Internal error" not in result.output
    shown = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for note in (
        "# no diff: the new file nests deeper than 64 levels",
        "# no diff: the new front matter expands to more than 100,000 values (aliases repeat what they name)",
        "# no diff: repeats lines too often to diff within 16,000,000 line comparisons",
        "# no diff: the new file has 100,000 columns, over the 10,000 a diff compares",
        "# no diff: the new file has a row at line 1 that nests deeper than 64 levels",
        "# no gguf diff: the new header cannot be read (array count 1,152,921,504,606,846,976 is past the "
        "10,000,000 this reader accepts)",
    ):
        assert note in shown, result.stdout
