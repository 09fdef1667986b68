"""`hfsync lock`: pin each pull's revision to a commit and every file's digests."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import report_format_option
from hfsync.cli.validate import manifest_option


@cli.command()
@manifest_option
@click.option("--update", is_flag=True, help="Re-resolve pins on the Hub (only the IDs given, if any).")
@click.option("--offline", is_flag=True,
              help="Make no request (also HF_HUB_OFFLINE=1); fail if anything needs resolving.")
@click.option("--allow-unsafe", is_flag=True,
              help="Admit pickle-family files (.bin, .pt, ...) where no safetensors replace them.")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@report_format_option
@click.pass_obj
def lock(options: Options, files: tuple[Path, ...], update: bool, offline: bool, allow_unsafe: bool,
         ids: tuple[str, ...], fmt: str) -> int:
    """Resolve pulls to commits and file digests in hfsync.lock.

    Pins already in step with the manifest stay; --update moves them (all, or the IDs given).
    """
    from hfsync.environment import offline as is_offline
    from hfsync.hub.client import Hub
    from hfsync.hub.retry import Retry, waits_shown_by
    from hfsync.lock.selection import SET_ASIDE
    from hfsync.manifest.load import load
    from hfsync.pull.lock import run_lock
    from hfsync.pull.progress import make_reporter
    from hfsync.units import human_size

    if ids and not update:
        raise click.UsageError("IDs name the pins to move, so they need --update.")
    workspace = load(files)
    reporter = make_reporter(options.progress, options.verbosity < 0)
    hub = None if is_offline(offline) else Hub(options.endpoint, options.token)
    try:
        with waits_shown_by(reporter.wait):
            summary = run_lock(workspace, hub, Retry(on_wait=reporter.wait), update=update, ids=ids,
                               allow_unsafe=allow_unsafe)
    finally:
        reporter.close()
    if fmt == "json":
        from hfsync.render import reports

        click.echo(reports.lock(summary), nl=False)
        return 0
    if options.verbosity < 0:
        return 0
    for item in summary.resolved:
        entry, before = item.entry, item.previous
        move = f"{before.commit[:12]} -> " if before and before.commit != entry.commit else ""
        click.echo(f"{entry.key}: {entry.revision} = {move}{entry.commit[:12]} "
                   f"({len(entry.files)} files, {human_size(entry.size)})")
        if entry.variant:
            click.echo(f"  variant {entry.variant.name}: {entry.variant.reason}")
        if item.left_out:
            click.echo(f"  left out (safetensors replace them): {', '.join(item.left_out)}")
        if item.set_aside:
            click.echo(f"  left out ({SET_ASIDE}): {', '.join(item.set_aside)}")
    for path in summary.reformatted:
        click.echo(f"Rewrote {path} in the current format: pins unchanged; file digests are the Hub's own "
                   "(blake3 is now recorded by `hfsync pull` beside each destination).")
    written = ", ".join(str(p) for p in summary.written) or "unchanged"
    click.echo(f"Lock: {len(summary.resolved)} resolved, {summary.kept} kept; {written}.")
    return 0
