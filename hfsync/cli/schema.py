"""`hfsync schema`: print a JSON Schema hfsync ships, for editors and CI, or the manifest reference."""

from __future__ import annotations

import click

from hfsync.cli.main import cli
from hfsync.schemas import NAMES


@cli.command()
@click.argument("name", type=click.Choice(NAMES), default="hfsync")
@click.option("--reference", is_flag=True,
              help="Print the manifest reference (every key: type, default, example) as the README's markdown table.")
def schema(name: str, reference: bool) -> int:
    """Print the JSON Schema NAME (default: the manifest's, for `hfsync schema > hfsync.schema.json`)."""
    if reference:
        from hfsync.render.reference import reference as table

        click.echo(table(), nl=False)
        return 0
    from hfsync.schemas import text

    click.echo(text(name), nl=False)
    return 0
