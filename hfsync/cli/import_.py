"""`hfsync import`: manifest entries (YAML) for repos that already exist on the Hub."""

from __future__ import annotations

import click

from hfsync.cli.main import Options, cli


@cli.command(name="import")
@click.argument("repo_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--type", "--repo-type", "repo_type", type=click.Choice(["model", "dataset", "space"]), default="model",
              show_default=True)
@click.pass_obj
def import_(obj: Options, repo_ids: tuple[str, ...], repo_type: str) -> int:
    """Print manifest entries for existing Hub repos, with their settings and card metadata."""
    from hfsync.discover.importer import import_repos
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher

    click.echo(import_repos(Publisher(Hub(obj.endpoint, obj.token)), repo_ids, repo_type), nl=False)
    return 0
