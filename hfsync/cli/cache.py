"""`hfsync cache ls|prune`: the room pulled files take, and evicting what no lock needs."""

from __future__ import annotations

import time
from pathlib import Path

import click

from hfsync.cli.main import cli
from hfsync.cli.search import echo_rich
from hfsync.cli.validate import manifest_option


def _inventory(files: tuple[Path, ...]):
    from hfsync.discover.cache import inventory
    from hfsync.manifest.load import load
    from hfsync.manifest.model import DEFAULT_MANIFEST

    # Without -f, ./hfsync.yaml when there is one; with no manifest, only the HF cache is seen.
    given = files or ((Path(DEFAULT_MANIFEST),) if Path(DEFAULT_MANIFEST).is_file() else ())
    inv = inventory(load(given).manifests if given else ())
    for note in inv.notes():
        click.echo(note, err=True)
    return inv


@cli.group()
def cache() -> None:
    """Pulled files on this machine: the manifests' dest folders and the Hugging Face cache."""


@cache.command("ls")
@manifest_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def ls(files: tuple[Path, ...], fmt: str) -> int:
    """List pulled files and cached revisions, least recently used first, with what keeps them."""
    from hfsync.discover.cache import choose
    from hfsync.render.cache import items_json, render_items
    from hfsync.units import human_size

    inv = _inventory(files)
    choose(inv, now=time.time())  # marks base models that kept adapters protect
    if fmt == "json":
        click.echo(items_json(inv.items))
        return 0
    if inv.items:
        echo_rich(render_items(inv.items, time.time()))
    click.echo(f"{len(inv.items)} items, {human_size(inv.size)}.", err=True)
    return 0


@cache.command()
@manifest_option
@click.option("--max-size", help="Evict until everything fits in this size (e.g. 50GB, 512MiB).")
@click.option("--older-than", help="Evict what was not used for this long (e.g. 30d, 12h).")
@click.option("--dry-run", is_flag=True, help="List what would go and the bytes freed; delete nothing.")
def prune(files: tuple[Path, ...], max_size: str | None, older_than: str | None, dry_run: bool) -> int:
    """Evict least recently used pulled files, never what a lock pins or a kept adapter's base model."""
    from hfsync.discover.cache import choose_from_options, delete
    from hfsync.render.cache import render_items
    from hfsync.units import human_size

    inv = _inventory(files)
    choice = choose_from_options(inv, max_size, older_than, now=time.time())
    if choice.evict:
        echo_rich(render_items(choice.evict, time.time()))
    if not dry_run:
        delete(inv, choice)
    count = len(choice.evict)
    click.echo(f"{'Would free' if dry_run else 'Freed'} {human_size(choice.freed)} ({choice.freed} bytes) "
               f"by removing {count} item{'s' if count != 1 else ''}.")
    if choice.left_over:
        click.echo(f"Still {human_size(choice.left_over)} over --max-size: the rest is pinned by a lock "
                   "or is the base model of a kept adapter.", err=True)
    return 0
