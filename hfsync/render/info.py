"""`hfsync info`: a repo report as aligned lines for a terminal, or JSON."""

from __future__ import annotations

from hfsync.model.discover import RepoReport
from hfsync.render import Output, document
from hfsync.units import count, human_size

_WITHHELD = {"files": "files' content", "card": "card's text"}


def render_text(report: RepoReport, policy_source: str | None = None) -> str:
    """The report as aligned lines for a terminal."""
    at = f" at {report.revision}" if report.revision else ""
    lines = [f"{report.id} ({report.type}){at}, commit {report.sha or '?'}"]

    def row(name: str, value: object) -> None:
        if value not in (None, "", (), {}):
            lines.append(f"  {name:<12} {value}")

    row("license", report.license or "none declared")
    row("gated", report.gated or "no")
    if report.withheld:
        withheld = " and the ".join(_WITHHELD[w] for w in report.withheld)
        lines.append(f"  {'':<12} this token has no access: the {withheld} are withheld;"
                     " request access on the repo's page on the Hub (the rest is its public metadata)")
    row("private", "yes" if report.private else "no")
    row("task", report.task)
    row("library", report.library)
    row("base model", ", ".join(report.base_models))
    if report.parameters:
        dtypes = ", ".join(f"{k}: {count(v)}" for k, v in report.dtypes.items())
        row("parameters", count(report.parameters) + (f" ({dtypes})" if dtypes else ""))
    total = sum(report.sizes.values())
    by_type = ", ".join(f"{kind} {human_size(size)}" for kind, size in report.sizes.items())
    row("size", f"{human_size(total)} in {report.files} files" + (f": {by_type}" if by_type else ""))
    if report.last_commit:
        commit = report.last_commit
        when, short = (commit.get("date") or "")[:10], str(commit.get("id"))[:8]
        row("last commit", f"{when} {short} {commit.get('title') or ''}".strip())
    popularity = f"{report.likes} likes" + (f", {report.downloads} downloads" if report.downloads is not None else "")
    row("popularity", popularity)
    row("summary", report.summary)
    if report.verdicts:
        lines.append(f"Policy{f' ({policy_source})' if policy_source else ''}:")
        for verdict in report.verdicts:
            lines.append(f"  {verdict.status.upper():<8} {verdict.check:<12} {verdict.detail}")
    return "\n".join(lines)


def render_json(report: RepoReport) -> str:
    """The report as one JSON document."""
    return document("info", report.to_dict())


def view(report: RepoReport, fmt: str, policy_source: str | None = None) -> Output:
    """The report as ``fmt``; ``policy_source``: the manifest whose policy gave the verdicts."""
    return Output().raw(render_json(report)) if fmt == "json" else Output().out(render_text(report, policy_source))
