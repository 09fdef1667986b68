"""The command line: click commands only. Each command lives in a module named like it."""

import sys

from hfsync.cli import validate  # noqa: F401  (each import registers its commands)
from hfsync.cli.main import cli, run

__all__ = ["cli", "main"]


def main() -> None:
    sys.exit(run())
