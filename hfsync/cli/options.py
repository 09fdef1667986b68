"""Options more than one command takes."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from hfsync.cli.main import Options
    from hfsync.hub.retry import Retry
    from hfsync.render import Output
    from hfsync.render.progress import PlainReporter

metrics_option = click.option(
    "--metrics-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write Prometheus text-format metrics here, atomically, even when the run fails "
    "(for node_exporter's textfile collector: name it *.prom).",
)

hub_user_option = click.option(
    "--hub-user", metavar="NAME", envvar="HFSYNC_HUB_USER",
    help="In CI with no token: read gated repos with the read-only token of this Hub user's CI/CD access "
    "(Trusted Publishers); default: the manifest's defaults.hub_user (also HFSYNC_HUB_USER).",
)

all_files_option = click.option(
    "--all-files", is_flag=True,
    help="List every file change in the text, however many (past 1000 in a target they are summed by folder).",
)

# One vocabulary for every command's --format: text for a person, markdown for a pull request or
# job summary (where a command has that form), json for a script (one document on stdout, its
# JSON Schema printed by `hfsync schema`). Earlier spellings are still accepted.
FORMATS = ("text", "markdown", "json")
ALIASES = {"human": "text", "table": "text"}


class Format(click.Choice):
    """A --format choice: some of FORMATS, in that order, with ALIASES accepted for text."""

    def __init__(self, *choices: str) -> None:
        super().__init__([f for f in FORMATS if f in choices])

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        return super().convert(ALIASES.get(value, value) if isinstance(value, str) else value, param, ctx)


def format_option(schema: str | None, markdown: bool = False) -> Callable[[F], F]:
    """``--format text|json`` (with ``markdown`` as well: ``text|markdown|json``); ``schema``: the
    name `hfsync schema` prints the JSON's JSON Schema under."""
    where = f" (its JSON Schema: `hfsync schema {schema}`)" if schema else ""
    return click.option(
        "--format", "fmt", type=Format("text", "json", *(("markdown",) if markdown else ())), default="text",
        show_default=True,
        help=f"text for a terminal{', markdown for a pull request' if markdown else ''}, "
        f"json: one JSON document on stdout{where}.",
    )


def show(output: Output) -> None:
    """Print what a view gave back, each part on its stream, in order."""
    for stream, text in output.parts:
        click.echo(text, nl=False, err=stream == "err")


def terminal_width() -> int | None:
    """The terminal's width when stdout is one; None when it is a pipe or a file."""
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


@contextmanager
def reporting(options: Options) -> Iterator[tuple[PlainReporter, Retry]]:
    """A progress reporter (bars on a terminal, lines elsewhere, nothing under -q) and a
    Retry whose waits it shows; closed however the run ends."""
    from hfsync.hub.retry import Retry, waits_shown_by
    from hfsync.render.progress import make_reporter

    reporter = make_reporter(options.progress, options.verbosity < 0)
    try:
        # render's Wait protocol declares settable attributes where retry's Wait is frozen.
        with waits_shown_by(reporter.wait):  # type: ignore[arg-type]  # (see above)
            yield reporter, Retry(on_wait=reporter.wait)  # type: ignore[arg-type]  # (see above)
    finally:
        reporter.close()
