"""An upgrade's summary: for the terminal, and as markdown for the pull request that moves the pins.

The markdown is one table of every move, then one folded <details> section per pull
(commits, files with what changed inside them as a plan shows it, license, policy). It stays within ``limit`` characters
(GitHub's 65,536 for a pull request body): past it, the largest sections are cut to
their first lines, then left out, and the table always stays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hfsync.model.upgrade import PullMove, UpgradeReport
from hfsync.render import Output, document, in_format
from hfsync.render.plan_lines import Row, diff_rows
from hfsync.render.untrusted import code, fence, terminal
from hfsync.render.untrusted import markdown as md
from hfsync.units import human_size

GITHUB_LIMIT = 65_536
SHOWN_COMMITS = 20


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(none)"


def _size(size: int | None) -> str:
    return human_size(size) if size is not None else ""


def _license(move: PullMove, shown: Callable[[str], str]) -> str | None:
    """``old -> new`` when the license changed, each side as ``shown`` neutralises it."""
    old, new = move.license
    if move.old_commit is None or old == new:
        return None
    return f"{shown(old or '(none)')} -> {shown(new or '(none)')}"


# A content diff row's mark: in the terminal as a plan draws it, in markdown as GitHub's
# diff highlighting reads column one (+ green, - red, ! orange).
_MARKS = {"create": "+", "delete": "-", "update": "~", "context": " ", "hunk": " ", "note": "#"}
_MD_MARKS = {**_MARKS, "update": "!"}


def _rows(move: PullMove) -> dict[str, list[Row]]:
    return {c.path: diff_rows(c.diff) for c in move.contents}


def _counts(move: PullMove) -> str:
    actions = [f.action for f in move.files]
    return ", ".join(f"{actions.count(a)} {a}" for a in ("added", "changed", "removed") if actions.count(a))


def _headline(move: PullMove) -> str:
    commits = f"{len(move.commits)}{'+' if move.more_commits else ''} commit{'s' if len(move.commits) != 1 else ''}"
    what = [commits] if move.old_commit else []
    if move.files:
        what.append(f"files: {_counts(move)}")
    what.append(f"{human_size(move.size[0])} -> {human_size(move.size[1])}")
    return f"{move.key}: {move.revision} {_short(move.old_commit)} -> {_short(move.new_commit)} ({'; '.join(what)})"


def view(reports: list[UpgradeReport], fmt: str, quiet: bool = False) -> Output:
    """The upgrade's reports as ``fmt`` (text, markdown or json)."""
    if fmt == "markdown" and not quiet:
        return Output().raw("\n".join(markdown(r) for r in reports))
    return in_format(fmt, quiet, lambda: Output().raw(human(reports)),
                     lambda: document("upgrade", {"manifests": [_report(r) for r in reports]}))


def _pair(pair: tuple[Any, Any]) -> dict[str, Any]:
    return {"old": pair[0], "new": pair[1]}


def _move(move: PullMove) -> dict[str, Any]:
    return {
        "key": move.key, "revision": move.revision, "old_commit": move.old_commit, "new_commit": move.new_commit,
        "held": move.held, "violations": list(move.violations),
        "commits": [{"id": c.id, "title": c.title, "authors": list(c.authors), "date": c.date} for c in move.commits],
        "more_commits": move.more_commits,
        "files": [{"path": f.path, "action": f.action, "old_size": f.old_size, "new_size": f.new_size}
                  for f in move.files],
        "license": _pair(move.license), "bytes": _pair(move.size),
        "contents": [{"path": c.path, "kind": c.diff.kind, "note": c.diff.note, "lines": list(c.diff.lines),
                      "entries": [{"key": e.key, "old": e.old, "new": e.new} for e in c.diff.entries]}
                     for c in move.contents],
    }


def _report(report: UpgradeReport) -> dict[str, Any]:
    return {"manifest": str(report.manifest), "lock": str(report.lock), "written": report.written,
            "moves": [_move(m) for m in report.moves], "current": list(report.current)}


# --- terminal -----------------------------------------------------------------------


def human(reports: list[UpgradeReport]) -> str:
    """What moved, per pull, and a closing line per manifest; every line as a terminal may show
    it (titles, authors, names and verdicts come from upstream)."""
    out: list[str] = []
    for report in reports:
        for move in report.moves:
            out.append(("HELD " if move.held else "") + _headline(move))
            for commit in move.commits[:SHOWN_COMMITS]:
                out.append(f"  {commit.id[:7]} {commit.date[:10]} {', '.join(commit.authors)}: {commit.title}")
            if len(move.commits) > SHOWN_COMMITS or move.more_commits:
                out.append("  ... and earlier commits")
            rows = _rows(move)
            for f in move.files:
                symbol = {"added": "+", "removed": "-", "changed": "~"}[f.action]
                sizes = f"{_size(f.old_size)} -> {_size(f.new_size)}" if f.action == "changed" else _size(
                    f.new_size if f.new_size is not None else f.old_size)
                out.append(f"  {symbol} {f.path} ({sizes})")
                out.extend(f"      {row if kind == 'hunk' else _MARKS[kind] + ' ' + row}".rstrip()
                           for kind, row in rows.get(f.path, ()))
            if lic := _license(move, str):
                out.append(f"  license: {lic}")
            for violation in move.violations:
                out.append(f"  policy: {violation}")
            if move.held:
                out.append("  not moved: it breaks the policy (--allow-policy-violations moves it anyway)")
        moved, held = len(report.moved), len(report.held)
        wrote = f"wrote {report.lock}" if report.written else f"{report.lock.name} unchanged"
        out.append(f"Upgrade of {report.manifest.name}: {moved} moved, {held} held back by policy, "
                   f"{len(report.current)} current; {wrote}.")
    return "".join(terminal(line) + "\n" for line in out)


# --- markdown -----------------------------------------------------------------------


def _details(move: PullMove) -> list[str]:
    out = [f"<details><summary><b>{md(move.key)}</b> {md(move.revision)}: <code>{md(_short(move.old_commit))}</code> → "
           f"<code>{md(_short(move.new_commit))}</code></summary>", ""]
    if move.commits:
        out += ["**Commits**", ""]
        for commit in move.commits:
            out.append(f"- {code(commit.id[:7])} {md(commit.title)} — {md(', '.join(commit.authors) or 'unknown')}, "
                       f"{md(commit.date[:10])}")
        if move.more_commits:
            out.append("- … and earlier commits")
        out.append("")
    if move.files:
        out += ["**Files**", "", "| | file | before | after |", "|---|---|---|---|"]
        for f in move.files:
            symbol = {"added": "+", "removed": "−", "changed": "~"}[f.action]
            out.append(f"| {symbol} | {code(f.path)} | {_size(f.old_size)} | {_size(f.new_size)} |")
        out.append("")
    if lic := _license(move, md):
        out += [f"**License**: {lic}", ""]
    added = {f.path for f in move.files if f.action == "added"}
    shown = [(path, rows) for path, rows in _rows(move).items() if rows]
    if shown:
        out += ["**Changes inside the files**", ""]
        lines = [line for path, rows in shown
                 for line in (f"{'+' if path in added else '~'} file {terminal(path)}",
                              *(f"{_MD_MARKS[kind]}         {row}".rstrip() for kind, row in rows))]
        marks = fence(lines)
        out += [f"{marks}diff", *lines, marks, ""]
    if move.violations:
        out += ["**Policy**", "", *(f"- ❌ {md(v)}" for v in move.violations), ""]
        if move.held:
            out += ["Not moved: it breaks the policy (`--allow-policy-violations` moves it anyway).", ""]
    else:
        out += ["**Policy**: ✅ license, safetensors only, size", ""]
    out += ["</details>", ""]
    return out


def markdown(report: UpgradeReport, limit: int = GITHUB_LIMIT) -> str:
    """The summary as a pull request body, at most ``limit`` characters."""
    head = [f"## hfsync upgrade: {code(report.manifest.name)}", ""]
    if not report.moves:
        return "\n".join([*head, "Every pin is current."]) + "\n"
    head += ["| pull | revision | from | to | commits | files | size | policy |",
             "|---|---|---|---|---|---|---|---|"]
    for move in report.moves:
        policy = "❌ held" if move.held else ("⚠️ allowed" if move.violations else "✅")
        commits = f"{len(move.commits)}{'+' if move.more_commits else ''}" if move.old_commit else ""
        head.append(f"| {code(move.key)} | {md(move.revision)} | {code(_short(move.old_commit))} | "
                    f"{code(_short(move.new_commit))} | {commits} | {_counts(move)} | "
                    f"{human_size(move.size[0])} → {human_size(move.size[1])} | {policy} |")
    head.append("")
    sections = [_details(move) for move in report.moves]
    text = "\n".join(head + [line for s in sections for line in s])
    if len(text) <= limit:
        return text + "\n"
    # Too long: cut the largest sections to a few lines, then drop them, until it fits.
    notice = "_Some details were cut to fit GitHub's limit; `hfsync upgrade` prints them in full._"
    order = sorted(range(len(sections)), key=lambda i: -len("\n".join(sections[i])))
    for i in order:
        kept = sections[i][:12]
        opened = [line.removesuffix("diff") for line in kept if line.startswith("```")]
        # The diff's own fence closes it (longer than three backticks when a row holds some).
        closing = opened[-1:] if len(opened) % 2 else []
        sections[i] = [*kept, *closing, "…", "", "</details>", ""]
        text = "\n".join([*head, notice, "", *(line for s in sections for line in s)])
        if len(text) <= limit:
            return text + "\n"
    for i in order:
        sections[i] = []
        text = "\n".join([*head, notice, "", *(line for s in sections for line in s)])
        if len(text) <= limit:
            return text + "\n"
    return text[: limit - 2] + "…\n"
