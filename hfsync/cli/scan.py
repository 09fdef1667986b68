"""`hfsync scan`: the secret scan apply runs, on folders or files, alone."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import cli
from hfsync.cli.options import format_option, show


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audited detect-secrets baseline (default: the nearest .secrets.baseline in PATH "
    "or above it, up to the git work tree's root).",
)
@format_option("scan.report")
def scan(paths: tuple[Path, ...], baseline: Path | None, fmt: str) -> int:
    """Scan each PATH (default: .) for secrets as apply would; exit 1 if anything is found."""
    from hfsync.publish.scan import scan_paths
    from hfsync.render.scan import view

    report = scan_paths(paths or (Path("."),), baseline)
    show(view(report, fmt))
    return 1 if report.findings else 0
