"""`hfsync info`: what a Hub repo is, and what the manifest's policy says about it."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, show
from hfsync.cli.search import offline_option, ttl_option


@cli.command()
@click.argument("repo_id", metavar="ID")
@click.option("--type", "--repo-type", "repo_type", type=click.Choice(["model", "dataset", "space"]),
              help="Repo type (default: model, or the prefix of ID such as dataset:acme/reviews).")
@click.option("--revision", help="Branch, tag or commit (default: the default branch).")
@format_option("info.report")
@click.option("-f", "--file", "manifest", type=click.Path(dir_okay=False, path_type=Path),
              help="Manifest whose policy to check against (default: ./hfsync.yaml when present).")
@offline_option
@ttl_option
@click.pass_obj
def info(opts: Options, repo_id: str, repo_type: str | None, revision: str | None, fmt: str,
         manifest: Path | None, offline: bool, ttl: float | None) -> int:
    """Show a repo's license, task, library, sizes, weights and card, with policy verdicts."""
    from hfsync.discover.info import parse_id, repo_report
    from hfsync.discover.session import Lookup
    from hfsync.manifest.load import load
    from hfsync.render.info import view

    kind, repo_id = parse_id(repo_id, repo_type)
    if manifest is None and Path("hfsync.yaml").is_file():
        manifest = Path("hfsync.yaml")
    policy = load([manifest]).manifests[0].policy if manifest is not None else None
    lookup = Lookup.open(opts.endpoint, opts.token, offline=offline, ttl=ttl)
    show(view(repo_report(lookup, kind, repo_id, revision, policy=policy), fmt, str(manifest) if manifest else None))
    if note := lookup.offline_note():
        click.echo(note, err=True)
    return 0
