"""The command line: click commands only. Each command lives in a module named like it,
imported when the command runs (or when every command is listed): a command pays only for
its own imports (start-up cost, README)."""

import sys
from typing import Any


def main() -> None:
    from hfsync.cli.main import run

    sys.exit(run())


def __getattr__(name: str) -> Any:
    # `from hfsync.cli import cli`: the group with every command registered.
    if name == "cli":
        from hfsync.cli.main import cli, load_commands

        load_commands()
        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["cli", "main"]
