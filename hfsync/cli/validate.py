"""`hfsync validate`: schema and semantic checks, no network."""

from __future__ import annotations

from pathlib import Path

import click

from hfsync.cli.main import Options, cli

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
@click.pass_obj
def validate(options: Options, files: tuple[Path, ...]) -> int:
    """Check manifests against the schema and the rules, without network."""
    from hfsync.errors import ManifestError
    from hfsync.manifest.load import load
    from hfsync.publish.gate import offline_problems

    workspace = load(files)
    problems = offline_problems(workspace.manifests)
    if problems:
        raise ManifestError(problems, hint="Fix the manifest (or the README.md named) and run `hfsync validate` again.")
    repos = sum(len(m.repos) for m in workspace.manifests)
    pulls = sum(len(m.pulls) for m in workspace.manifests)
    count = len(workspace.manifests)
    if options.verbosity < 0:
        return 0
    click.echo(
        f"{count} manifest{'s' if count != 1 else ''} valid: "
        f"{repos} repo{'s' if repos != 1 else ''}, {pulls} pull{'s' if pulls != 1 else ''}."
    )
    return 0
