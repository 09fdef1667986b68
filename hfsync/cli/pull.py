"""`hfsync pull`: install the lock's pinned files, verified."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import metrics_option, report_format_option
from hfsync.cli.validate import manifest_option


@cli.command()
@manifest_option
@click.option("--target", "targets", multiple=True, metavar="ID", help="Pull only this pull (repeatable).")
@click.option("--locked", is_flag=True,
              help="Fail if hfsync.lock is missing or out of step (for CI and edge machines).")
@click.option("--offline", is_flag=True, help="Make no request (also HF_HUB_OFFLINE=1): install from disk only.")
@click.option("--allow-unsafe", is_flag=True, help="Admit pickle-family files (.bin, .pt, ...).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Files transferred at once.")
@metrics_option
@report_format_option
@click.pass_obj
def pull(options: Options, files: tuple[Path, ...], targets: tuple[str, ...], locked: bool, offline: bool,
         allow_unsafe: bool, parallelism: int, metrics_file: Path | None, fmt: str) -> int:
    """Download what hfsync.lock pins, verified, into each pull's folder or the HF cache."""
    from hfsync.environment import offline as is_offline
    from hfsync.hub.client import Hub
    from hfsync.hub.retry import Retry, waits_shown_by
    from hfsync.manifest.load import load
    from hfsync.pull.install import PullOptions, PullSummary, run_pull
    from hfsync.pull.metrics import metrics_written
    from hfsync.pull.progress import make_reporter
    from hfsync.units import human_size

    workspace = load(files)
    offline = is_offline(offline)
    reporter = make_reporter(options.progress, options.verbosity < 0)
    hub = None if offline else Hub(options.endpoint, options.token)
    run = PullOptions(targets, locked, offline, allow_unsafe, parallelism)
    summary = PullSummary()
    with metrics_written(metrics_file, "pull", summary.records):
        try:
            with waits_shown_by(reporter.wait):
                run_pull(workspace, hub, Retry(on_wait=reporter.wait), run, reporter, summary)
        finally:
            reporter.close()
    if fmt == "json":
        from hfsync.render import reports

        click.echo(reports.pull(summary), nl=False)
        return 0
    if options.verbosity < 0:
        return 0
    for path in summary.locks_written:
        click.echo(f"Wrote {path}.")
    if summary.replaced:
        count = len(summary.replaced)
        click.echo(f"Replaced {count} file{'s' if count != 1 else ''} edited since "
                   f"{'they were' if count != 1 else 'it was'} pulled (the lock decides what they hold):")
        for label in summary.replaced:
            click.echo(f"  {label}")
    click.echo(f"Pulled {summary.pulls} pull{'s' if summary.pulls != 1 else ''}: {summary.downloaded} "
               f"downloaded ({human_size(summary.bytes_downloaded)}), {summary.present} already in place.")
    return 0
