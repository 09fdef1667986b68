"""`hfsync scan`: the secret scan apply runs, on folders or files, alone."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import cli
from hfsync.cli.options import report_format_option


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audited detect-secrets baseline (default: the nearest .secrets.baseline in PATH "
    "or above it, up to the git work tree's root).",
)
@report_format_option
def scan(paths: tuple[Path, ...], baseline: Path | None, fmt: str) -> int:
    """Scan each PATH (default: .) for secrets as apply would; exit 1 if anything is found."""
    from hfsync.publish.secrets import scan_paths

    report = scan_paths(paths or (Path("."),), baseline)
    if fmt == "json":
        from hfsync.render import reports

        click.echo(reports.scan(report), nl=False)
        return 1 if report.findings else 0
    for finding in report.findings:
        click.echo(str(finding))
    silenced = f", {report.silenced} allowed by the baseline" if report.silenced else ""
    files = f"{report.files} file{'s' if report.files != 1 else ''} ({report.binary} binary)"
    if report.findings:
        count = len(report.findings)
        click.echo(f"{count} possible secret{'s' if count != 1 else ''} in {files}{silenced}.", err=True)
        return 1
    click.echo(f"No secrets in {files}{silenced}.", err=True)
    return 0
