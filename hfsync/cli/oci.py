"""`hfsync oci push`: locked pulls to an OCI registry, one artifact per pinned commit."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.validate import manifest_option


@cli.group()
def oci() -> None:
    """Share pinned pulls through an OCI registry (Harbor, GHCR, ECR, Zot, distribution)."""


@oci.command()
@click.argument("reference", metavar="oci://HOST[:PORT]/PREFIX")
@manifest_option
@click.option("--target", "targets", multiple=True, metavar="ID", help="Push only this pull (repeatable).")
@click.pass_obj
def push(options: Options, reference: str, files: tuple[Path, ...], targets: tuple[str, ...]) -> int:
    """Push the pulled files of locked pulls as OCI artifacts tagged with the pinned commit.

    Each pull goes to PREFIX/<namespace>/<name>:<commit> (datasets under PREFIX/datasets/),
    one blob per file, so `oras pull` gets the same files and `hfsync pull` can take them
    from `sources: [oci://HOST/PREFIX]`. Credentials come from REGISTRY_AUTH_FILE or
    ~/.docker/config.json. Blobs the registry holds are not sent again; a killed push resumes.
    """
    from hfsync.hub.client import PUBLIC_ENDPOINT
    from hfsync.hub.retry import Retry
    from hfsync.manifest.load import load
    from hfsync.pull.ocipush import run_push
    from hfsync.pull.progress import make_reporter
    from hfsync.units import human_size

    reporter = make_reporter(options.progress, options.verbosity < 0)
    try:
        summary = run_push(load(files), reference, targets, Retry(on_wait=reporter.wait), reporter,
                           options.endpoint or PUBLIC_ENDPOINT)
    finally:
        reporter.close()
    if options.verbosity >= 0:
        for key, where, digest in summary.artifacts:
            click.echo(f"Pushed {key} to {where} ({digest}).")
        click.echo(f"{summary.uploaded} blob{'s' if summary.uploaded != 1 else ''} uploaded "
                   f"({human_size(summary.bytes_uploaded)}), {summary.present} already in the registry.")
    return 0
