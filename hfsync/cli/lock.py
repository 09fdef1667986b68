"""`hfsync lock`: pin each pull's revision to a commit and every file's digests."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, hub_user_option, reporting, show
from hfsync.cli.validate import manifest_option


@cli.command()
@manifest_option
@click.option("--update", is_flag=True, help="Re-resolve pins on the Hub (only the IDs given, if any).")
@click.option("--offline", is_flag=True,
              help="Make no request (also HF_HUB_OFFLINE=1); fail if anything needs resolving.")
@click.option("--allow-unsafe", is_flag=True,
              help="Admit pickle-family files (.bin, .pt, ...) where no safetensors replace them.")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@hub_user_option
@format_option("lock.report")
@click.pass_obj
def lock(options: Options, files: tuple[Path, ...], update: bool, offline: bool, allow_unsafe: bool,
         ids: tuple[str, ...], hub_user: str | None, fmt: str) -> int:
    """Resolve pulls to commits and file digests in hfsync.lock.

    Pins already in step with the manifest stay; --update moves them (all, or the IDs given).
    """
    from hfsync.environment import offline as is_offline
    from hfsync.hub.oidc import connect
    from hfsync.manifest.load import load
    from hfsync.pull.lock import run_lock
    from hfsync.render.lock import view

    if ids and not update:
        raise click.UsageError("IDs name the pins to move, so they need --update.")
    workspace = load(files)
    with reporting(options) as (_, retry):
        hub = None if is_offline(offline) else connect(options.endpoint, options.token,
                                                       hub_user or workspace.hub_user, retry=retry)
        summary = run_lock(workspace, hub, update=update, ids=ids, allow_unsafe=allow_unsafe)
    show(view(summary, fmt, options.verbosity < 0))
    return 0
