"""`hfsync plan` and `hfsync show`: a Plan as text (Terraform's symbols and colours), markdown or JSON.

Renderers read the plan and nothing else; the JSON is the saved plan format itself
(`hfsync schema plan`).
"""

from __future__ import annotations

import shlex

from hfsync.model.plan import Action, Plan
from hfsync.render import Output
from hfsync.render.plan_lines import FILE_LINES, SYMBOLS, block, change_lines, heading, summary
from hfsync.render.plan_markdown import render as as_markdown
from hfsync.render.untrusted import json_document, terminal

COLOURS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red", Action.NOOP: None}
# SGR codes written out: a renderer turns the plan into text and needs no terminal library.
_SGR = {"red": "31", "green": "32", "yellow": "33", "cyan": "36"}
# A content diff row: its symbol and colour.
ROWS = {"create": ("+", "green"), "delete": ("-", "red"), "update": ("~", "yellow"), "context": (" ", None),
        "hunk": (" ", "cyan"), "note": ("#", None)}


def _style(text: str, fg: str | None, bold: bool) -> str:
    codes = ([f"\x1b[{_SGR[fg]}m"] if fg else []) + (["\x1b[1m"] if bold else [])
    return "".join(codes) + text + "\x1b[0m"


def human(plan: Plan, color: bool = False, all_files: bool = False) -> str:
    """The plan as a terminal shows it; ``color`` adds ANSI colours (off under NO_COLOR).
    A target's file changes past FILE_LINES are summed by folder unless ``all_files``."""

    def paint(text: str, fg: str | None, bold: bool = False) -> str:
        return _style(text, fg, bold) if color and (fg or bold) else text

    out: list[str] = []
    changed = [t for t in plan.targets if t.has_changes]
    if changed:
        out += ["hfsync will perform the following actions:", ""]
    for target in changed:
        symbol = paint(SYMBOLS[target.action], COLOURS[target.action])
        out.append(paint(f"  # {terminal(heading(target))}", None, bold=True))
        out.append(f"  {symbol} {terminal(block(target))} {{")
        for action, text, rows in change_lines(target, None if all_files else FILE_LINES):
            out.append(f"      {paint(SYMBOLS[action], COLOURS[action])} {text}")
            for kind, row in rows:
                mark, colour = ROWS[kind]
                out.append(f"          {paint(f'{mark} {row}', colour) if kind == 'hunk' else paint(mark, colour)}"
                           f"{'' if kind == 'hunk' else ' ' + row}".rstrip())
        out.append("    }")
        out.append("")
    for target in plan.targets:
        for reason in (*target.reasons, *target.notices) if target.has_changes else ():
            out.append(terminal(f"  Note: {target.key}: {reason}"))
        for warning in target.warnings:
            out.append(paint(terminal(f"  Warning: {target.key}: {warning}"), "yellow"))
        for error in target.errors:
            out.append(paint(terminal(f"  Error: {target.key}: {error}"), "red"))
    if any(t.reasons or t.notices or t.warnings or t.errors for t in plan.targets) and out and out[-1] != "":
        out.append("")
    out.append(paint(terminal(summary(plan)), None, bold=True))
    return "\n".join(out) + "\n"


def quiet(plan: Plan, with_summary: bool = True) -> str:
    """What ``-q`` leaves of the text: the errors, and the summary line unless apply's result follows."""
    return "".join(f"Error: {terminal(error)}\n" for error in plan.errors) + (
        f"{terminal(summary(plan))}\n" if with_summary else "")


def render(plan: Plan, fmt: str = "text", color: bool = False, limit: int | None = None,
           all_files: bool = False) -> str:
    """``plan`` as ``fmt`` (text, markdown or json); ``limit``: the most characters of markdown
    (GitHub's comment limit by default); ``all_files``: the text lists every file change."""
    if fmt == "json":
        return json_document(plan.to_json())
    if fmt == "markdown":
        return as_markdown(plan) if limit is None else as_markdown(plan, limit)
    return human(plan, color, all_files)


def saved(path: object, with_errors: bool) -> Output:
    """Where ``plan --out`` saved the plan and the command that applies it (on stderr: stdout is the plan)."""
    if with_errors:
        return Output().err(f"Saved the plan to {path}, with its errors, for the pull request; apply refuses it.")
    command = f"hfsync apply {shlex.quote(str(path))}"
    return Output().err(f"Saved the plan to {path}. To publish exactly this plan: {command}")
