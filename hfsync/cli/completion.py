"""`hfsync completion`: the shell completion script (click's), for bash, zsh or fish."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from hfsync.cli.main import cli

_SHELLS = ("bash", "zsh", "fish")


@cli.command()
@click.argument("shell", type=click.Choice(_SHELLS))
def completion(shell: str) -> int:
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(hfsync completion bash)"     (in ~/.bashrc)
    zsh:   eval "$(hfsync completion zsh)"      (in ~/.zshrc)
    fish:  hfsync completion fish > ~/.config/fish/completions/hfsync.fish
    """
    from hfsync.cli import cli as root

    # shell is one of the choices, each of which click has a class for.
    complete = get_completion_class(shell)(root, {}, "hfsync", "_HFSYNC_COMPLETE")  # type: ignore[misc]
    click.echo(complete.source())
    return 0
