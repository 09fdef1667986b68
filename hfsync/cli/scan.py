"""`hfsync scan`: the secret scan apply runs, on a folder, alone."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import cli


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audited detect-secrets baseline (default: the nearest .secrets.baseline in PATH "
    "or above it, up to the git work tree's root).",
)
def scan(path: Path, baseline: Path | None) -> int:
    """Scan PATH for secrets as apply would; exit 1 if anything is found."""
    from hfsync.publish.secrets import scan_path

    report = scan_path(path, baseline)
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
