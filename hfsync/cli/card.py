"""`hfsync card render`: the README.md apply would publish for a target."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.validate import manifest_option


@cli.group()
def card() -> None:
    """Repo cards (README.md): generated or merged with declared metadata."""


@card.command()
@click.argument("target")
@manifest_option
@click.pass_obj
def render(options: Options, target: str, files: tuple[Path, ...]) -> int:
    """Print the card apply would publish for TARGET (a repo id or key) to the --endpoint Hub, offline."""
    from hfsync.cards.plan import local_card
    from hfsync.errors import HfsyncError
    from hfsync.hub.client import PUBLIC_ENDPOINT
    from hfsync.manifest.load import load
    from hfsync.publish.planner import select_targets
    from hfsync.publish.source import source_files

    ((_, chosen),) = select_targets(load(files), [target])
    text = local_card(chosen, source_files(chosen), options.endpoint or PUBLIC_ENDPOINT)
    if text is None:
        raise HfsyncError(
            f"{chosen.key}: the source has no README.md and card.generate is false, so apply "
            "merges the declared metadata into the card already on the Hub.",
            hint="Run `hfsync plan` to see the metadata changes.",
        )
    click.echo(text, nl=False)
    return 0
