"""The upgrade summary as markdown, cut to a limit: what upstream put in a diff never breaks it."""

from __future__ import annotations

from pathlib import Path

from hfsync.model.inspect import FileDiff
from hfsync.model.upgrade import ContentMove, FileMove, PullMove, UpgradeReport
from hfsync.render.upgrade import markdown


def test_a_cut_section_closes_the_diffs_own_longer_fence():
    # Upstream text with a run of backticks gets a longer fence; cutting the section must close
    # that fence, or the rest of the body (and every later pull) reads as code.
    lines = tuple(f"+line {i} ``` </details>" for i in range(200))
    moves = [PullMove(f"acme/m{n}", "main", "a" * 40, "b" * 40, files=(FileMove("notes.md", 1, 2),),
                      contents=(ContentMove("notes.md", FileDiff("text", lines=lines)),)) for n in (1, 2)]
    text = markdown(UpgradeReport(Path("hfsync.yaml"), Path("hfsync.lock"), moves=moves), limit=3_000)
    assert "Some details were cut" in text
    for section in text.split("<details>")[1:]:
        fences = [line for line in section.splitlines() if line.startswith("```")]
        assert fences == ["````diff", "````"], fences
