"""`hfsync apply`: make the Hub match, from a saved plan or a fresh one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, show
from hfsync.cli.plan import target_option
from hfsync.cli.validate import manifest_option


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@manifest_option
@target_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (needed without a terminal).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Targets applied at once.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="After publishing a Space, wait until it runs (at most its space.health_timeout).")
@format_option("apply.report")
@click.pass_obj
def apply(
    obj: Options, plan_file: Path | None, files: tuple[Path, ...], targets: tuple[str, ...],
    auto_approve: bool, parallelism: int, wait: bool, fmt: str,
) -> int:
    """Apply a saved plan (PLAN_FILE), or plan and apply after confirmation."""
    from hfsync.errors import HfsyncError, Interrupted
    from hfsync.hub.oidc import connect
    from hfsync.hub.publish import Publisher
    from hfsync.publish.apply import apply_plan, load_fresh, need_token, nothing_to_publish
    from hfsync.publish.planner import plan_manifests
    from hfsync.render.apply import INTERRUPTING, failure, view
    from hfsync.render.plan import quiet, render

    _check_arguments(plan_file, files, targets, auto_approve, fmt)
    if not obj.progress:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    publisher = Publisher(connect(obj.endpoint, obj.token))
    if plan_file is not None:
        plan = load_fresh(plan_file, publisher)
    else:
        need_token(publisher)
        plan = plan_manifests(files, publisher, targets, parallelism)
        if fmt != "json":
            from hfsync.publish.notices import said_once

            told = plan if obj.verbosity >= 1 else said_once(plan)  # what earlier plans said is not repeated
            shown = quiet(told, with_summary=False) if obj.verbosity < 0 else render(told, "text", obj.color)
            click.echo(shown, nl=False)
        if plan.errors:
            shown = "" if fmt != "json" else "".join(f"\n  {error}" for error in plan.errors)  # not printed above
            raise HfsyncError(f"the plan has {len(plan.errors)} error(s); nothing was applied.{shown}")
    if fmt != "json" and (idle := nothing_to_publish(plan)) is not None:
        click.echo(idle)
        return 0
    if plan_file is None and plan.has_changes and not auto_approve and not click.confirm("Apply these changes?"):
        raise HfsyncError("apply cancelled; nothing was changed.")
    result = apply_plan(plan, publisher, parallelism=parallelism, wait_health=wait,
                        on_interrupt=lambda: click.echo(INTERRUPTING, err=True))
    show(view(result, fmt, obj.verbosity < 0))
    if result.interrupted:
        raise Interrupted(
            failure(result) or "apply interrupted",
            hint="Run `hfsync plan` to see where the Hub stands, and apply again to finish: "
            "what the Hub already has is not uploaded again.",
        )
    if result.failures:
        raise HfsyncError(failure(result) or "apply failed",
                          hint="Fix the cause and run apply again: it resumes where it stopped.")
    return 0


def _check_arguments(plan_file: Path | None, files: tuple[Path, ...], targets: tuple[str, ...], auto_approve: bool,
                     fmt: str) -> None:
    from hfsync.errors import HfsyncError

    if fmt == "json" and plan_file is None and not auto_approve:
        raise HfsyncError("apply --format json cannot ask for approval: give a saved plan or --auto-approve.")
    if plan_file is None and not auto_approve and not sys.stdin.isatty():
        raise HfsyncError("apply needs --auto-approve when not run from a terminal",
                          hint="Review with `hfsync plan`, then run `hfsync apply --auto-approve`.")
    if plan_file is not None and files:
        raise HfsyncError("give a plan file or -f manifests, not both")
    if plan_file is not None and targets:
        # As Terraform refuses -target with a saved plan: what was reviewed is applied whole.
        raise HfsyncError(
            "--target cannot be used with a saved plan: the plan already says what to apply.",
            hint="Plan the targets you want (`hfsync plan --target ID --out PLAN`) and apply that plan.")
