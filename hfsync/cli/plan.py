"""`hfsync plan`: what apply would change on the Hub."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import all_files_option, format_option, show
from hfsync.cli.validate import manifest_option

target_option = click.option(
    "--target", "targets", multiple=True, metavar="ID",
    help="Only this target: a repo id or key such as dataset:acme/data (repeatable).",
)


@cli.command()
@manifest_option
@target_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for `apply FILE`.")
@format_option("plan", markdown=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--changed-since", metavar="REF",
              help="Only targets whose manifest entry or files changed since this git ref.")
@click.option("--diff", "diff", type=click.Choice(["none", "summary", "full"]), default="summary", show_default=True,
              help="What changed inside the files: none, a summary, or every line and tensor.")
@all_files_option
@click.pass_obj
def plan(
    obj: Options, files: tuple[Path, ...], targets: tuple[str, ...], out: Path | None, fmt: str,
    detailed_exitcode: bool, changed_since: str | None, diff: str, all_files: bool,
) -> int:
    """Diff the manifests against the Hub and show what apply would change."""
    from hfsync.errors import SECRET_FIX, HfsyncError
    from hfsync.hub.oidc import connect
    from hfsync.hub.publish import Publisher
    from hfsync.model.plan import write
    from hfsync.publish.notices import said_once
    from hfsync.publish.planner import plan_manifests
    from hfsync.render.plan import quiet, render, saved

    publisher = Publisher(connect(obj.endpoint, obj.token))
    result = plan_manifests(files, publisher, targets, changed_since=changed_since, diff=diff)
    # Notices said by an earlier plan are left out of what a person reads (-v shows them); data keeps them.
    shown = said_once(result) if fmt != "json" and obj.verbosity < 1 else result
    text = quiet(shown) if obj.verbosity < 0 and fmt == "text" else render(shown, fmt, obj.color, all_files=all_files)
    click.echo(text, nl=False)
    if out is not None:
        write(result, out)  # with its errors too: the pull request's comment shows them (apply refuses it)
        if obj.verbosity >= 0:
            show(saved(out, bool(result.errors)))
    if result.errors:
        secrets = any("possible secret" in error for error in result.errors)
        raise HfsyncError(f"the plan has {len(result.errors)} error(s); see above.",
                          hint=SECRET_FIX if secrets else None)
    return 2 if detailed_exitcode and result.has_changes else 0
