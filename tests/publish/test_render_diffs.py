"""Content diffs in the renderers: alignment, colours, hostile content, GitHub's size limit."""

from __future__ import annotations

import re

from hfsync.inspect.compare import compare
from hfsync.model.inspect import Entry, FileDiff
from hfsync.model.plan import Action, FileChange, Plan, TargetChange
from hfsync.render.plan import render
from hfsync.render.plan_markdown import LIMIT
from hfsync.units import utf16_length


def plan_with(*diffs: FileDiff, files: int | None = None) -> Plan:
    changes = tuple(FileChange(f"f{i:04}.txt", Action.UPDATE, 10, False, "a" * 64, "b" * 40, "c" * 64,
                               remote_oid="d" * 40, remote_size=9, diff=diffs[i % len(diffs)])
                    for i in range(files or len(diffs)))
    return Plan("0.1.0", "https://hub.example", {}, (TargetChange("acme/m", "acme/m", "model", "main", Action.UPDATE,
                                                                  head="1" * 40, files=changes),))


def test_human_aligns_keys_and_colours_symbols_like_terraform():
    diff = FileDiff("json", (Entry("num_labels", 2, 3), Entry("torch_dtype", None, "bfloat16"), Entry("x", 1, None)))
    text = render(plan_with(diff), "human")
    assert '          ~ num_labels  = 2 -> 3\n          + torch_dtype = "bfloat16"\n          - x           = 1 -> null\n' \
        in text
    coloured = render(plan_with(diff), "human", color=True)
    assert "\x1b[32m+\x1b[0m torch_dtype" in coloured and "\x1b[31m-\x1b[0m x" in coloured
    assert "\x1b[33m~\x1b[0m num_labels" in coloured


def test_file_content_never_drives_the_terminal():
    diff = compare("notes.txt", b"a\n", b"a\n\x1b]0;pwned\x07\x1b[2J\n")
    for fmt in ("human", "markdown"):
        text = render(plan_with(diff), fmt)
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b]0;pwned\\x07\\x1b[2J" in text


def test_a_diff_cannot_close_the_markdown_code_block():
    diff = compare("README.md", b"# a\n", b"# a\n```\n</details>\n<script>x</script>\n````\n")
    text = render(plan_with(diff), "markdown")
    fences = [line for line in text.splitlines() if re.fullmatch(r"`{3,}(diff)?", line)]
    assert fences == ["`````diff", "`````"]  # longer than any run of backticks inside


def test_a_500_file_change_fits_github_s_limit_and_says_what_was_cut():
    old = "".join(f"setting_{i} = {i}\n" for i in range(60)).encode()
    new = "".join(f"setting_{i} = {i * 2}\n" for i in range(60)).encode()
    text = render(plan_with(compare("params.txt", old, new), files=500), "markdown")
    assert utf16_length(text) <= LIMIT
    assert text.count("~ file ") == 500  # every file is listed
    shown = text.count("@@ -1,60 +1,60 @@")
    assert 0 < shown < 500
    assert f"Cut to fit GitHub's 65,536-character limit: the content diffs of {500 - shown} files." in text
    assert text.rstrip().endswith("(`hfsync plan --out PLAN`; `--format json` for the diffs as data).")


def test_change_lists_too_long_even_without_diffs_are_cut_too():
    text = render(plan_with(FileDiff("none", note="binary file: no diff"), files=3000), "markdown")
    assert utf16_length(text) <= LIMIT
    assert "more lines not shown" in text and "the change lists of 1 target" in text
    assert text.count("```") % 2 == 0 and text.count("<details>") == text.count("</details>")
