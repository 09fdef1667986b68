"""The click group, its global options, and the one error boundary."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import click

from hfsync import __version__
from hfsync.environment import no_color as env_no_color
from hfsync.environment import progress_bars_disabled
from hfsync.errors import HfsyncError
from hfsync.log import configure, redact, register_secret

log = logging.getLogger("hfsync")


@dataclass(frozen=True)
class Options:
    """The global options every command sees."""

    endpoint: str | None
    token: str | None
    verbosity: int
    progress: bool
    log_format: str
    trace_file: Path | None
    color: bool


def _endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # Checked here: a bad URL would otherwise surface as an internal error on the first request.
    if value and not value.startswith(("http://", "https://")):
        raise click.BadParameter(f"{value!r} is not a URL; give http://HOST[:PORT] or https://HOST (from HF_ENDPOINT "
                                 "when not given on the command line)", ctx, param)
    return value


class _Commands(click.Group):
    """The group whose commands register themselves when their module is imported: the
    module named like the command (``import_`` for import) is imported when it is named."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            module = f"{__package__}.{'import_' if cmd_name == 'import' else cmd_name}"
            if cmd_name.isidentifier() and importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
            else:
                load_commands()  # a mistyped name: click suggests the closest of all of them
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_commands()
        return super().list_commands(ctx)


def load_commands() -> None:
    """Register every command (each module of this package registers its own)."""
    import pkgutil

    package = sys.modules[__package__]
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{__package__}.{module.name}")


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hfsync")
@click.option(
    "--endpoint",
    envvar="HF_ENDPOINT",
    callback=_endpoint,
    help="Hub endpoint (default: HF_ENDPOINT, else the public Hub).",
)
@click.option(
    "--token",
    help="Hub token (default: HF_TOKEN, else the `hf auth login` store). "
    "Prefer the environment: a flag is visible in the process list.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", count=True, help="More logging; -v also shows tracebacks.")
@click.option("--no-progress", is_flag=True,
              help="Plain lines instead of progress bars (also HF_HUB_DISABLE_PROGRESS_BARS=1).")
@click.option("--no-color", is_flag=True, help="No ANSI colours (also NO_COLOR set to any non-empty value).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format of log lines on stderr.",
)
@click.option(
    "--trace-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line per HTTP call to this file (no tokens).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    endpoint: str | None,
    token: str | None,
    quiet: bool,
    verbose: int,
    no_progress: bool,
    no_color: bool,
    log_format: str,
    trace_file: Path | None,
) -> None:
    """GitOps for the Hugging Face Hub.

    Declare in hfsync.yaml what you publish and what you consume; `plan` shows what
    would change on the Hub, `apply` makes it so, `pull` installs pinned, verified copies.
    """
    register_secret(token)
    register_secret(os.environ.get("HF_TOKEN"))
    verbosity = -1 if quiet else verbose
    from hfsync.render.untrusted import terminal

    configure(verbosity, log_format, terminal)  # a log line may quote a Hub's names or a server's answer
    if trace_file is not None:
        from hfsync.hub import trace

        trace.start(trace_file)
        ctx.call_on_close(trace.stop)
    ctx.obj = Options(
        endpoint=endpoint.rstrip("/") if endpoint else None,
        token=token,
        verbosity=verbosity,
        progress=not (no_progress or progress_bars_disabled()) and sys.stderr.isatty(),
        log_format=log_format,
        trace_file=trace_file,
        color=not (no_color or env_no_color()),
    )


_GLOBAL_FLAGS = frozenset({"-q", "--quiet", "-v", "-vv", "-vvv", "--verbose", "--no-progress", "--no-color"})
_GLOBAL_VALUED = frozenset({"--endpoint", "--token", "--log-format", "--trace-file"})


def hoist_global_options(args: list[str]) -> list[str]:
    """``hfsync plan -q`` as ``hfsync -q plan``: global options given after the command
    (as git, terraform and hf users type them) moved before it. No command takes these names."""
    front: list[str] = []
    rest: list[str] = []
    command_seen = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        name = arg.split("=", 1)[0]
        if command_seen and (arg in _GLOBAL_FLAGS or (name in _GLOBAL_VALUED and "=" in arg)):
            front.append(arg)
        elif command_seen and arg in _GLOBAL_VALUED and i + 1 < len(args):
            front += [arg, args[i + 1]]
            i += 1
        else:
            if not command_seen and not arg.startswith("-"):
                previous = args[i - 1] if i else ""
                command_seen = previous not in _GLOBAL_VALUED
            rest.append(arg)
        i += 1
    if not front:
        return args
    command = next(
        j for j, a in enumerate(rest) if not a.startswith("-") and (j == 0 or rest[j - 1] not in _GLOBAL_VALUED)
    )
    return rest[:command] + front + rest[command:]


def run(args: list[str] | None = None) -> int:
    """Run the CLI and return its exit code: the one place errors become text."""
    args = hoist_global_options(list(sys.argv[1:] if args is None else args))
    verbose = any(a in ("-v", "-vv", "-vvv", "--verbose") for a in args)
    try:
        result = cli.main(args=args, prog_name="hfsync", standalone_mode=False)
    except HfsyncError as error:
        if verbose:  # redacted: a chained exception may quote a request's headers
            click.echo(redact(traceback.format_exc()).rstrip("\n"), err=True)
        from hfsync.render.untrusted import terminal  # a message may quote a server's answer or a Hub's name

        click.echo(f"Error: {terminal(redact(error.message), lines=True)}", err=True)
        if error.hint:
            click.echo(f"Hint: {terminal(redact(error.hint), lines=True)}", err=True)
        return error.exit_code
    except click.exceptions.Abort as error:
        # click turns ^C into Abort too; "Aborted." is for a prompt answered with EOF.
        click.echo("Interrupted." if isinstance(error.__cause__, KeyboardInterrupt) else "Aborted.", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except click.ClickException as error:
        # Usage errors are bad input like any other: exit 1, so that 2 keeps meaning
        # "changes present" under --detailed-exitcode.
        error.show()
        return 1
    except click.exceptions.Exit as error:
        return error.exit_code
    except Exception as error:
        if verbose:
            click.echo(redact(traceback.format_exc()), err=True)
        click.echo(
            f"Internal error: {redact(type(error).__name__ + ': ' + str(error))}\n"
            "This is a bug in hfsync. Rerun with -v for the traceback and report it.",
            err=True,
        )
        return 3
    return result if isinstance(result, int) else 0
