"""The Markdown renderer: a PR comment or $GITHUB_STEP_SUMMARY.

A summary table of every target, the summary line, then one collapsible <details>
block per changed target with its changes as a ``diff`` code block (GitHub colours
``+`` and ``-`` lines).
"""

from __future__ import annotations

from hfsync.publish.plan import Action, Plan, TargetChange
from hfsync.render import SYMBOLS, change_lines, heading, summary
from hfsync.units import human_size


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _files(target: TargetChange) -> str:
    counts = [sum(f.action == a for f in target.files) for a in (Action.CREATE, Action.UPDATE, Action.DELETE)]
    return " / ".join(str(c) for c in counts)


def _action(target: TargetChange) -> str:
    if target.errors:
        return "error"
    return "drift" if target.kind == "pull" and target.action == Action.UPDATE else str(target.action)


def render(plan: Plan) -> str:
    out = [
        "### hfsync plan",
        "",
        "| target | action | settings | card | files + / ~ / - | upload |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in plan.targets:
        out.append(
            f"| `{_cell(t.key)}` | {_action(t)} | {len(t.settings)} | "
            f"{len(t.metadata)} | {_files(t)} | {human_size(t.upload_bytes)} |"
        )
    out += ["", f"**{summary(plan)}**", ""]
    for t in plan.targets:
        if not (t.has_changes or t.errors or t.warnings):
            continue
        out.append(f"<details><summary><code>{t.key}</code>: {heading(t).removeprefix(t.key + ' ')}</summary>")
        out.append("")
        lines = change_lines(t)
        if lines:
            out.append("```diff")
            out += [f"{SYMBOLS[a]} {text}" for a, text in lines]
            out.append("```")
            out.append("")
        out += [f"> **Note:** {_cell(r)}" for r in t.reasons]
        out += [f"> **Warning:** {_cell(w)}" for w in t.warnings]
        out += [f"> **Error:** {_cell(e)}" for e in t.errors]
        if t.reasons or t.warnings or t.errors:
            out.append("")
        out += ["</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"
