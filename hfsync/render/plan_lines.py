"""A plan's changes as lines, shared by its text and markdown views: one line per change with
Terraform's symbols, sizes in decimal units, and the summary line."""

from __future__ import annotations

from hfsync.model.inspect import FileDiff
from hfsync.model.plan import Action, Plan, TargetChange
from hfsync.model.plan import shown as value
from hfsync.render.untrusted import terminal
from hfsync.units import human_size

SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.NOOP: " "}
VERBS = {Action.CREATE: "created", Action.UPDATE: "updated in place", Action.NOOP: "unchanged"}


# Keys are aligned up to this width, as Terraform aligns attribute names; longer ones stick out.
ALIGN = 48

# How a row of a content diff is drawn: an entry added, removed or changed, a line of a
# text diff (context, hunk header), or a note.
Row = tuple[str, str]  # (create | delete | update | context | hunk | note, text)


def diff_rows(diff: FileDiff) -> list[Row]:
    """A file's content diff as rows: entries ``key = old -> new`` with aligned keys,
    then the text diff's lines, then its note (and what it covers, for a sharded model)."""
    rows: list[Row] = []
    if diff.scope:
        rows.append(("note", f"compared as one model: {diff.scope}"))
    width = min(ALIGN, max((len(e.key) for e in diff.entries), default=0))
    for e in diff.entries:
        key = e.key.ljust(width)
        if e.action == "create":
            rows.append(("create", f"{key} = {value(e.new)}"))
        elif e.action == "same":
            rows.append(("context", f"{key} = {value(e.new)}"))
        elif e.action == "delete":
            rows.append(("delete", f"{key} = {value(e.old)} -> null"))
        else:
            rows.append(("update", f"{key} = {value(e.old)} -> {value(e.new)}"))
    for line in diff.lines:
        kind = {"+": "create", "-": "delete", "@": "hunk"}.get(line[:1], "context")
        rows.append((kind, line if kind == "hunk" else line[1:]))
    if diff.note:
        rows.append(("note", diff.note))
    return [(kind, terminal(text)) for kind, text in rows]


# A terminal lists this many file changes of a target one by one at most; past that they are
# summed by top folder, as a list of 100,000 lines is not read (every file: --all-files, the
# JSON, the saved plan).
FILE_LINES = 1000


def change_lines(target: TargetChange, files_cap: int | None = None) -> list[tuple[Action, str, list[Row]]]:
    """One (action, text, content diff rows) per change of ``target``, in a stable order; the
    text as a terminal may show it (values and names may come from the Hub). Past
    ``files_cap`` file changes, one line per top folder and action instead of one per file."""
    lines: list[tuple[Action, str, list[Row]]] = []
    creating = target.action == Action.CREATE
    for s in target.settings:
        if s.new is None and s.old is not None:  # a Space variable no longer declared
            lines.append((Action.DELETE, f"{s.name} = {value(s.old)}", []))
        elif creating or s.old is None:
            lines.append((Action.CREATE, f"{s.name} = {value(s.new)}", []))
        else:
            lines.append((Action.UPDATE, f"{s.name} = {value(s.old)} -> {value(s.new)}", []))
    for m in target.metadata:
        if m.old is None:
            lines.append((Action.CREATE, f"card.{m.key} = {value(m.new)}", []))
        else:
            lines.append((Action.UPDATE, f"card.{m.key} = {value(m.old)} -> {value(m.new)}", []))
    if files_cap is not None and len(target.files) > files_cap:
        lines += folder_lines(target)
    for f in target.files if files_cap is None or len(target.files) <= files_cap else ():
        storage = "lfs" if f.lfs else "regular"
        note = f", {f.reason}" if f.reason and f.action == Action.DELETE else ""
        note += f", via link to {f.link}" if f.link else ""
        rows = diff_rows(f.diff) if f.diff is not None else []
        lines.append((f.action, f'file "{f.path}" ({human_size(f.size)}, {storage}{note})', rows))
    for r in target.refs:
        lines.append((r.action, f'{r.kind} "{r.name}"', []))
    for c in target.changes:
        lines.append((c.action, f'{c.kind} "{c.subject}"' + (f" ({c.reason})" if c.reason else ""), []))
    return [(action, terminal(text), rows) for action, text, rows in lines]


def folder_lines(target: TargetChange) -> list[tuple[Action, str, list[Row]]]:
    """The file changes of ``target`` summed by top folder and action, and how to see each."""
    sums: dict[tuple[str, Action], list[int]] = {}
    for f in target.files:
        folder, slash, _ = f.path.partition("/")
        counted = sums.setdefault((folder + slash if slash else "", f.action), [0, 0])
        counted[0] += 1
        counted[1] += f.size
    lines: list[tuple[Action, str, list[Row]]] = [(Action.NOOP, (
        f"# {len(target.files):,} file changes, summed by folder (each one: --all-files, or --format json)"), [])]
    order = list(SYMBOLS)
    for (folder, action), (count, size) in sorted(sums.items(), key=lambda item: (item[0][0], order.index(item[0][1]))):
        where = f'in "{folder}"' if folder else "at the top level"
        lines.append((action, f"{count:,} file{'s' if count != 1 else ''} {where} ({human_size(size)})", []))
    return lines


def heading(target: TargetChange) -> str:
    """``acme/m will be created`` and the like, with the head planned against."""
    where = f" (planned against {target.revision}@{target.head[:7]})" if target.head else ""
    if target.kind == "pull" and target.action == Action.UPDATE:
        # apply publishes repos only: a pull is moved by `hfsync lock --update`, never by apply.
        upstream = f" (upstream at {target.revision}@{target.head[:7]})" if target.head else ""
        return f"{target.key} moved past the lock; apply leaves it{upstream}"
    return f"{target.key} will be {VERBS[target.action]}{where}"


def block(target: TargetChange) -> str:
    """What a target's block is about: ``model "acme/m"``, or ``pull model "acme/base"``."""
    kind = target.repo_type if target.kind in ("repo", target.repo_type) else f"{target.kind} {target.repo_type}"
    return f'{kind} "{target.repo_id}"'


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def summary(plan: Plan) -> str:
    """``Plan: N to create, N to change, N to delete (F files, X to upload; D files to delete).``

    The counts are targets, as Terraform counts resources; the files they carry follow in
    parentheses (left out when no file changes). ``No changes.`` when nothing changes.
    """
    skipped = f" {_skipped(plan)}" if plan.skipped else ""
    return _counts(plan) + skipped


def _skipped(plan: Plan) -> str:
    count = len(plan.skipped)
    return (f"{count} target{'s' if count != 1 else ''} not planned: {plan.skipped_because}"
            f" ({', '.join(plan.skipped[:5])}{', ...' if count > 5 else ''}).")


def _counts(plan: Plan) -> str:
    failed = sum(bool(t.errors) for t in plan.targets)
    if not plan.has_changes:
        # "No changes." would read as "the Hub matches" when the Hub could not be compared.
        return f"No changes planned; {failed} of {len(plan.targets)} targets failed." if failed else "No changes."
    create, change, delete = plan.counts()
    upload, removed = plan.file_counts()
    files = []
    if upload:
        files.append(f"{_files(upload)}, {human_size(plan.upload_bytes)} to upload")
    if removed:
        files.append(f"{_files(removed)} to delete")
    detail = f" ({'; '.join(files)})" if files else ""
    return f"Plan: {create} to create, {change} to change, {delete} to delete{detail}."
