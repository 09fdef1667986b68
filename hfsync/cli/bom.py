"""`hfsync bom`: a bill of materials of what the locks bring in, offline."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import cli
from hfsync.cli.validate import manifest_option


@cli.command()
@manifest_option
@click.option("--format", "fmt", type=click.Choice(["cyclonedx", "spdx"]), default="cyclonedx", show_default=True,
              help="CycloneDX 1.6 (an ML-BOM) or SPDX 3.0 (JSON-LD).")
def bom(files: tuple[Path, ...], fmt: str) -> int:
    """Print a bill of materials of every pull the lock files pin: each as a component
    (pkg:huggingface/NS/NAME@COMMIT) with its files' digests, license, signer and base_model lineage."""
    from hfsync.lock.lockfile import locks_of
    from hfsync.manifest.load import load
    from hfsync.render.bom import render

    click.echo(render(locks_of(load(files)), fmt), nl=False)
    return 0
