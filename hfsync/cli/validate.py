"""`hfsync validate`: schema and semantic checks, no network."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli
from hfsync.cli.options import format_option, show

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
@format_option("validate.report")
@click.pass_obj
def validate(options: Options, files: tuple[Path, ...], names: tuple[Path, ...], fmt: str) -> int:
    """Check manifests against the schema and the rules, without network.

    Manifests are named with -f or as arguments (as pre-commit passes the changed files).
    """
    from hfsync.errors import ManifestError
    from hfsync.publish.checks import validate as check
    from hfsync.render.validate import view

    validation = check((*files, *names))
    show(view(validation, fmt, options.verbosity < 0))
    if validation.problems:
        raise ManifestError(validation.problems, hint=validation.hint)
    return 0
