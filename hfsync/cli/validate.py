"""`hfsync validate`: schema and semantic checks, no network."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import report_format_option

manifest_option = click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Manifest file or folder of *.yaml (repeatable; default ./hfsync.yaml).",
)


@cli.command()
@manifest_option
@click.argument("names", nargs=-1, type=click.Path(path_type=Path), metavar="[FILE]...")
@report_format_option
@click.pass_obj
def validate(options: Options, files: tuple[Path, ...], names: tuple[Path, ...], fmt: str) -> int:
    """Check manifests against the schema and the rules, without network.

    Manifests are named with -f or as arguments (as pre-commit passes the changed files).
    """
    from hfsync.errors import ManifestError
    from hfsync.manifest.load import load
    from hfsync.publish.checks import offline_problems

    try:
        workspace = load((*files, *names))
    except ManifestError as error:
        if fmt == "json":
            from hfsync.render import reports

            click.echo(reports.validate(error.problems), nl=False)
        raise
    problems = offline_problems(workspace.manifests)
    if fmt == "json":
        from hfsync.render import reports

        click.echo(reports.validate(problems, workspace), nl=False)
    if problems:
        raise ManifestError(problems, hint="Fix the manifest (or the README.md named) and run `hfsync validate` again.")
    repos = sum(len(m.repos) for m in workspace.manifests)
    pulls = sum(len(m.pulls) for m in workspace.manifests)
    count = len(workspace.manifests)
    if options.verbosity < 0 or fmt == "json":
        return 0
    click.echo(
        f"{count} manifest{'s' if count != 1 else ''} valid: "
        f"{repos} repo{'s' if repos != 1 else ''}, {pulls} pull{'s' if pulls != 1 else ''}."
    )
    return 0
