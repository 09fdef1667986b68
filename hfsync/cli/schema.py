"""`hfsync schema`: print a JSON Schema hfsync ships, for editors and CI."""

from __future__ import annotations

import click

from hfsync.cli.main import cli
from hfsync.schemas import NAMES


@cli.command()
@click.argument("name", type=click.Choice(NAMES), default="hfsync")
def schema(name: str) -> int:
    """Print the JSON Schema NAME (default: the manifest's, for `hfsync schema > hfsync.schema.json`)."""
    from hfsync.schemas import text

    click.echo(text(name), nl=False)
    return 0
