"""`hfsync pull`: install the lock's pinned files, verified."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, hub_user_option, metrics_option, reporting, show
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
@hub_user_option
@format_option("pull.report")
@click.pass_obj
def pull(options: Options, files: tuple[Path, ...], targets: tuple[str, ...], locked: bool, offline: bool,
         allow_unsafe: bool, parallelism: int, metrics_file: Path | None, hub_user: str | None, fmt: str) -> int:
    """Download what hfsync.lock pins, verified, into each pull's folder or the HF cache."""
    from hfsync.environment import offline as is_offline
    from hfsync.hub.oidc import connect
    from hfsync.lock.selection import Wanted
    from hfsync.manifest.load import load
    from hfsync.pull.install import PullOptions, run_pull
    from hfsync.render.pull import view

    workspace = load(files)
    offline = is_offline(offline)
    run = PullOptions(Wanted(targets), locked, offline, allow_unsafe, parallelism, metrics_file)
    with reporting(options) as (reporter, retry):
        hub = None if offline else connect(options.endpoint, options.token, hub_user or workspace.hub_user,
                                           retry=retry)
        summary = run_pull(workspace, hub, retry, run, reporter)
    show(view(summary, fmt, options.verbosity < 0))
    return 0
