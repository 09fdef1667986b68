"""`hfsync show`: a saved plan, rendered (as `terraform show PLAN`)."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import all_files_option, format_option


@cli.command()
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False, path_type=Path))
@format_option("plan", markdown=True)
@all_files_option
@click.pass_obj
def show(obj: Options, plan_file: Path, fmt: str, all_files: bool) -> int:
    """Show a plan saved with `hfsync plan --out PLAN`, without reaching the Hub."""
    from hfsync.model.plan import read
    from hfsync.render.plan import render

    click.echo(render(read(plan_file), fmt, obj.color, all_files=all_files), nl=False)
    return 0
