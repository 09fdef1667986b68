"""`hfsync verify`: rehash pulled files and compare them with the lock, offline."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, metrics_option, show
from hfsync.cli.validate import manifest_option


@cli.command()
@manifest_option
@click.option("--target", "targets", multiple=True, metavar="ID", help="Verify only this pull (repeatable).")
@click.option("--deep", is_flag=True,
              help="Check the lock's own digests (sha256, git blob id) instead of the record the pull left; "
              "for a copy made by other means.")
@click.option("--strict", is_flag=True,
              help="Also list files in a pull's folder that the lock does not pin (extra), and fail on them.")
@metrics_option
@format_option("verify.report")
@click.pass_obj
def verify(options: Options, files: tuple[Path, ...], targets: tuple[str, ...], deep: bool, strict: bool,
           metrics_file: Path | None, fmt: str) -> int:
    """Check pulled files against hfsync.lock (blake3 against the pull's record); exit 1 on any difference."""
    from hfsync.manifest.load import load
    from hfsync.pull.metrics import metrics_written
    from hfsync.pull.verify import raise_on_mismatch, run_verify
    from hfsync.render.verify import view

    records: dict = {}
    with metrics_written(metrics_file, "verify", records.values):
        report = run_verify(load(files), targets, deep=deep, strict=strict)
        records.update(report.records)
    show(view(report, fmt, options.verbosity < 0))
    raise_on_mismatch(report)
    return 0
