"""The command line: click commands only. Each command lives in a module named like it."""

import importlib
import pkgutil
import sys

from hfsync.cli.main import cli, run

# Every sibling module registers its commands on `cli` when imported.
for _module in pkgutil.iter_modules(__path__):
    if _module.name != "main":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["cli", "main"]


def main() -> None:
    sys.exit(run())
