"""`hfsync cache ls|prune`: the room pulled files take, and evicting what no lock needs."""

from __future__ import annotations

import time
from pathlib import Path

import click

from hfsync.cli.main import cli
from hfsync.cli.options import format_option, show, terminal_width
from hfsync.cli.validate import manifest_option


def _manifests(files: tuple[Path, ...]):
    from hfsync.manifest.load import load
    from hfsync.manifest.model import DEFAULT_MANIFEST

    # Without -f, ./hfsync.yaml when there is one; with no manifest, only the HF cache is seen.
    given = files or ((Path(DEFAULT_MANIFEST),) if Path(DEFAULT_MANIFEST).is_file() else ())
    return load(given).manifests if given else ()


@cli.group()
def cache() -> None:
    """Pulled files on this machine: the manifests' dest folders and the Hugging Face cache."""


@cache.command("ls")
@manifest_option
@format_option("cache-ls.report")
def ls(files: tuple[Path, ...], fmt: str) -> int:
    """List pulled files and cached revisions, least recently used first, with what keeps them."""
    from hfsync.discover.cache import listing
    from hfsync.render.cache import ls as view

    show(view(listing(_manifests(files), now=time.time()), fmt, time.time(), terminal_width()))
    return 0


@cache.command()
@manifest_option
@click.option("--max-size", help="Evict until everything fits in this size (e.g. 50GB, 512MiB).")
@click.option("--older-than", help="Evict what was not used for this long (e.g. 30d, 12h).")
@click.option("--dry-run", is_flag=True, help="List what would go and the bytes freed; delete nothing.")
@format_option("cache-prune.report")
def prune(files: tuple[Path, ...], max_size: str | None, older_than: str | None, dry_run: bool, fmt: str) -> int:
    """Evict least recently used pulled files, never what a lock pins or a kept adapter's base model."""
    from hfsync.discover.cache import prune as evict
    from hfsync.render.cache import prune as view

    inv, choice = evict(_manifests(files), max_size, older_than, dry_run=dry_run, now=time.time())
    show(view(inv, choice, dry_run, fmt, time.time(), terminal_width()))
    return 0
