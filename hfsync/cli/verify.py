"""`hfsync verify`: rehash pulled files with blake3 and compare with the lock, offline."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import metrics_option
from hfsync.cli.validate import manifest_option


@cli.command()
@manifest_option
@click.option("--target", "targets", multiple=True, metavar="ID", help="Verify only this pull (repeatable).")
@metrics_option
@click.pass_obj
def verify(options: Options, files: tuple[Path, ...], targets: tuple[str, ...], metrics_file: Path | None) -> int:
    """Check pulled files against hfsync.lock (blake3); exit 1 on any difference."""
    from hfsync.digests import DigestCache
    from hfsync.manifest.load import load
    from hfsync.pull.metrics import metrics_written
    from hfsync.pull.verify import raise_on_mismatch, run_verify
    from hfsync.units import human_size

    records: dict = {}
    with metrics_written(metrics_file, "verify", records):
        report = run_verify(load(files), targets, DigestCache())
        records.update(report.records)
    for kind, labels in (("missing", report.missing), ("changed", report.changed), ("extra", report.extra)):
        for label in labels:
            click.echo(f"{kind}: {label}")
    raise_on_mismatch(report)
    if options.verbosity >= 0:
        click.echo(f"Verified {report.checked} files ({human_size(report.bytes)}): all match the lock.")
    return 0
