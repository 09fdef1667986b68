"""The Markdown renderer: a PR comment or $GITHUB_STEP_SUMMARY.

A summary table of every target, the summary line, then one collapsible <details>
block per changed target with its changes as a ``diff`` code block (GitHub colours
``+`` and ``-`` lines; a file's content diff sits under its line, the symbol first so
GitHub colours it too). The whole stays within GitHub's 65,536-character limit: when
it would not, targets' content diffs are left out, last targets first, then their
longest change lists are cut, and a note says what was cut and where the rest is.
"""

from __future__ import annotations

from hfsync.model.plan import OWN_ENDINGS, Action, Plan, TargetChange
from hfsync.render.plan_lines import SYMBOLS, Row, change_lines, heading, summary
from hfsync.render.untrusted import code, fence, markdown, note
from hfsync.units import human_size, utf16_length

LIMIT = 65_536
# Kept free for the note on what was cut.
RESERVE = 1_000
_MARKS = {"create": "+", "delete": "-", "update": "!", "context": " ", "hunk": " ", "note": "#"}


def _files(target: TargetChange) -> str:
    counts = [sum(f.action == a for f in target.files) for a in (Action.CREATE, Action.UPDATE, Action.DELETE)]
    return " / ".join(str(c) for c in counts)


def _action(target: TargetChange) -> str:
    if target.errors:
        return "error"
    return "drift" if target.kind == "pull" and target.action == Action.UPDATE else str(target.action)


def _row(kind: str, text: str) -> str:
    # The mark in column one is what GitHub's diff highlighting reads: + green, - red, ! orange.
    return f"{_MARKS[kind]}         {text}".rstrip()


def section(t: TargetChange, room: int | None = None, max_lines: int | None = None) -> tuple[str, int]:
    """One target's <details> block, and how many content diffs it left out: with ``room``,
    files' diffs are shown in order while they fit in that many characters."""
    what = markdown(heading(t).removeprefix(t.key + " "))
    out = [f"<details><summary><code>{markdown(t.key)}</code>: {what}</summary>", ""]
    body: list[str] = []
    left_out = 0
    for action, text, rows in change_lines(t):
        body.append(f"{SYMBOLS[action]} {text}")
        drawn = [_row(kind, row) for kind, row in rows]
        size = sum(utf16_length(line) + 1 for line in drawn)
        if room is not None and size > room:
            left_out += bool(rows)
            room = 0  # the next file's diff is not shown either: what is shown is a prefix
            continue
        room = None if room is None else room - size
        body += drawn
    if max_lines is not None and len(body) > max_lines:
        body = [*body[:max_lines], f"# ... {len(body) - max_lines} more lines not shown"]
    if body:
        marks = fence(body)
        out += [f"{marks}diff", *body, marks, ""]
    notes = [f"> **Note:** {note(r, OWN_ENDINGS)}" for r in (*t.reasons, *t.notices)]
    notes += [f"> **Warning:** {note(w, OWN_ENDINGS)}" for w in t.warnings]
    notes += [f"> **Error:** {note(e, OWN_ENDINGS)}" for e in t.errors]
    out += [*notes, ""] if notes else []
    out += ["</details>", ""]
    return "\n".join(out), left_out


def render(plan: Plan, limit: int = LIMIT) -> str:
    head = [
        "### hfsync plan",
        "",
        "| target | action | settings | card | files + / ~ / - | upload |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in plan.targets:
        head.append(
            f"| {code(t.key)} | {_action(t)} | {len(t.settings)} | "
            f"{len(t.metadata)} | {_files(t)} | {human_size(t.upload_bytes)} |"
        )
    head += ["", f"**{markdown(summary(plan))}**", ""]
    shown = [t for t in plan.targets if t.has_changes or t.errors or t.warnings]
    sections = [section(t)[0] for t in shown]
    room = limit - RESERVE - utf16_length("\n".join(head))
    left_out = cut = 0
    if sum(utf16_length(s) + 1 for s in sections) > room:
        # Every change line first; the room left goes to content diffs, in plan order.
        bare = [section(t, room=0)[0] for t in shown]
        spare = room - sum(utf16_length(s) + 1 for s in bare)
        for i, t in enumerate(shown):
            sections[i], n = section(t, room=max(0, spare))
            spare -= utf16_length(sections[i]) - utf16_length(bare[i])
            left_out += n
    # Then, if the change lists alone are too long, cut them, last targets first.
    for i in reversed(range(len(sections))):
        if sum(utf16_length(s) + 1 for s in sections) <= room:
            break
        others = sum(utf16_length(s) + 1 for j, s in enumerate(sections) if j != i)
        lines = max(0, (room - others) // 80)  # about a line's worth of characters each
        sections[i], _ = section(shown[i], room=0, max_lines=lines)
        cut += 1
    out = "\n".join(head) + "\n" + "\n".join(sections)
    if left_out or cut:
        what = [f"the content diffs of {left_out} file{'s' if left_out != 1 else ''}"] if left_out else []
        what += [f"the change lists of {cut} target{'s' if cut != 1 else ''}"] if cut else []
        out += (f"\n> [!NOTE]\n> Cut to fit GitHub's {limit:,}-character limit: {' and '.join(what)}. "
                "The whole plan, with every diff, is in the job summary (`hfsync github summary PLAN`) and in "
                "the saved plan (`hfsync plan --out PLAN`; `--format json` for the diffs as data).\n")
    return out.rstrip("\n") + "\n"


__all__ = ["LIMIT", "Row", "render", "section"]
