"""`hfsync oci push`: locked pulls to an OCI registry, one artifact per pinned commit."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, reporting, show
from hfsync.cli.validate import manifest_option


@cli.group()
def oci() -> None:
    """Share pinned pulls through an OCI registry (Harbor, GHCR, ECR, Zot, distribution)."""


@oci.command()
@click.argument("reference", metavar="oci://HOST[:PORT]/PREFIX")
@manifest_option
@click.option("--target", "targets", multiple=True, metavar="ID", help="Push only this pull (repeatable).")
@format_option("oci-push.report")
@click.pass_obj
def push(options: Options, reference: str, files: tuple[Path, ...], targets: tuple[str, ...], fmt: str) -> int:
    """Push the pulled files of locked pulls as OCI artifacts tagged with the pinned commit.

    Each pull goes to PREFIX/<namespace>/<name>:<commit> (datasets under PREFIX/datasets/),
    one blob per file, so `oras pull` gets the same files and `hfsync pull` can take them
    from `sources: [oci://HOST/PREFIX]`. Credentials come from REGISTRY_AUTH_FILE or
    ~/.docker/config.json. Blobs the registry holds are not sent again; a killed push resumes.
    """
    from hfsync.hub.client import PUBLIC_ENDPOINT
    from hfsync.manifest.load import load
    from hfsync.pull.ocipush import run_push
    from hfsync.render.oci import push as view

    with reporting(options) as (reporter, retry):
        summary = run_push(load(files), reference, targets, retry, reporter, options.endpoint or PUBLIC_ENDPOINT)
    show(view(summary, fmt, options.verbosity < 0))
    return 0
