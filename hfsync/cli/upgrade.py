"""`hfsync upgrade`: move pins whose revision moved upstream, with a summary of what changed."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, reporting, show
from hfsync.cli.validate import manifest_option


@cli.command()
@manifest_option
@click.option("--allow-policy-violations", is_flag=True,
              help="Move pins even where the new revision breaks the policy (license, max_memory); "
              "they are still reported.")
@click.option("--allow-unsafe", is_flag=True,
              help="Admit pickle-family files (.bin, .pt, ...) where no safetensors replace them.")
@format_option("upgrade.report", markdown=True)
@click.option("--summary-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the markdown summary here (one section per manifest).")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.pass_obj
def upgrade(options: Options, files: tuple[Path, ...], allow_policy_violations: bool, allow_unsafe: bool,
            fmt: str, summary_file: Path | None, ids: tuple[str, ...]) -> int:
    """Move pins whose revision moved (all, or the IDs given) and summarize what changed upstream.

    Commits, files, what changed inside them (as a plan shows it), license and policy verdicts,
    between the old and the new commit. A move that breaks the policy is reported and not made.
    """
    from hfsync.hub.client import Hub
    from hfsync.manifest.load import load
    from hfsync.paths import atomic_write
    from hfsync.publish.secrets import flagged_lines
    from hfsync.pull.upgrade import run_upgrade
    from hfsync.render.upgrade import markdown, view

    workspace = load(files)
    with reporting(options) as (_, retry):
        reports = run_upgrade(workspace, Hub(options.endpoint, options.token, retry=retry), ids=ids,
                              allow_policy_violations=allow_policy_violations, allow_unsafe=allow_unsafe,
                              scan=flagged_lines)
    if summary_file is not None:
        atomic_write(summary_file, "\n".join(markdown(r) for r in reports))
    show(view(reports, fmt, options.verbosity < 0))
    return 0
