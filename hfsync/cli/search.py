"""`hfsync search`: find models, datasets and Spaces; `--add` makes them pulls."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, show, terminal_width

offline_option = click.option(
    "--offline", is_flag=True, help="Answer from the metadata cache only (also HF_HUB_OFFLINE=1)."
)
ttl_option = click.option(
    "--ttl",
    type=click.FloatRange(min=0),
    help="Seconds a cached answer for a branch, tag or search stays fresh "
    "(default: HFSYNC_METADATA_TTL, else 900). Answers for a commit never expire.",
)


@cli.command()
@click.argument("kind", type=click.Choice(["models", "datasets", "spaces"]))
@click.argument("query", required=False)
@click.option("--author", help="Only repos of this user or organization.")
@click.option("--task", help="Pipeline tag (models) or task category (datasets), e.g. text-classification.")
@click.option("--library", help="Library the repo is made for, e.g. transformers, peft (a Space's sdk).")
@click.option("--license", "licenses", multiple=True, help="Allowed license id (repeatable: any of them).")
@click.option("--tag", "tags", multiple=True, help="Required tag (repeatable: all of them).")
@click.option("--min-likes", type=click.IntRange(min=0), help="At least this many likes.")
@click.option("--min-downloads", type=click.IntRange(min=0), help="At least this many downloads.")
@click.option("--safetensors", is_flag=True, help="Only models with .safetensors weights.")
@click.option("--sort", type=click.Choice(["downloads", "likes", "updated", "created"]), help="Most first.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Results to show.")
@format_option("search.report")
@click.option("--add", is_flag=True, help="Add the results as pulls to the manifest (then run `hfsync lock`).")
@click.option("-f", "--file", "manifest", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("hfsync.yaml"), show_default=True, help="Manifest that --add edits.")
@offline_option
@ttl_option
@click.pass_obj
def search(opts: Options, kind: str, query: str | None, author: str | None, task: str | None,
           library: str | None, licenses: tuple[str, ...], tags: tuple[str, ...], min_likes: int | None,
           min_downloads: int | None, safetensors: bool, sort: str | None, limit: int, fmt: str,
           add: bool, manifest: Path, offline: bool, ttl: float | None) -> int:
    """Search the Hub for repos to depend on, e.g. `hfsync search models --task text-classification`."""
    from hfsync.discover.search import SearchQuery, add_results, run_search
    from hfsync.discover.session import Lookup
    from hfsync.render.search import added, view

    lookup = Lookup.open(opts.endpoint, opts.token, offline=offline, ttl=ttl)
    results = run_search(lookup, SearchQuery(
        kind[:-1], query, author, task, library, licenses, tags, min_likes, min_downloads, safetensors, sort, limit))
    show(view(results, fmt, kind, terminal_width()))
    if note := lookup.offline_note():
        click.echo(note, err=True)
    if add and results:
        show(added(add_results(manifest, results)))
    return 0
