"""`hfsync import`: manifest entries (YAML) for repos that already exist on the Hub."""

from __future__ import annotations

import click

from hfsync.cli.main import Options, cli


@cli.command(name="import")
@click.argument("repo_ids", nargs=-1, metavar="[TYPE:]ID...")
@click.option("--type", "--repo-type", "repo_type", type=click.Choice(["model", "dataset", "space"]), default="model",
              show_default=True)
@click.option("--collection", "collections", multiple=True, metavar="SLUG",
              help="Also import this collection (namespace/title-id), with its items in order.")
@click.pass_obj
def import_(obj: Options, repo_ids: tuple[str, ...], repo_type: str, collections: tuple[str, ...]) -> int:
    """Print manifest entries for existing Hub repos and collections, with their settings, card
    metadata, access grants and items."""
    from hfsync.discover.importer import import_repos
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher

    if not repo_ids and not collections:
        raise click.UsageError("name at least one repo ID or --collection SLUG")
    click.echo(import_repos(Publisher(Hub(obj.endpoint, obj.token)), repo_ids, repo_type, collections), nl=False)
    return 0
