"""`hfsync sandbox serve`: run the local sandbox Hub."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from hfsync.cli.main import cli
from hfsync.cli.options import show
from hfsync.errors import HfsyncError


@cli.group()
def sandbox() -> None:
    """The local sandbox Hub, for trying manifests without a token or network."""


def _pairs(values: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        left, sep, right = value.partition(":")
        if not sep or not left or not right:
            raise click.BadParameter(f"expected {what}, got {value!r}")
        pairs.append((left, right))
    return pairs


@sandbox.command()
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding the sandbox's repos and objects (created if missing).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME:TOKEN",
    help="Add a user with this token (repeatable).",
)
@click.option(
    "--org",
    "orgs",
    multiple=True,
    metavar="ORG:USER[,USER...]",
    help="Add an org and its members (repeatable).",
)
@click.option("--no-admin", is_flag=True, help="Turn off the /_sandbox/ admin API.")
def serve(
    data_dir: Path,
    host: str,
    port: int,
    users: tuple[str, ...],
    orgs: tuple[str, ...],
    no_admin: bool,
) -> None:
    """Serve the sandbox Hub until interrupted (SIGINT or SIGTERM)."""
    from hfsync.render.sandbox import STOPPED, serving
    from hfsync.sandbox import SandboxServer

    user_map = dict(_pairs(users, "NAME:TOKEN"))
    org_map = {org: members.split(",") for org, members in _pairs(orgs, "ORG:USER[,USER...]")}
    try:
        server = SandboxServer(
            data_dir, host=host, port=port, users=user_map, orgs=org_map, admin=not no_admin
        )
    except OSError as error:
        raise HfsyncError(f"Cannot listen on {host}:{port}: {error.strerror}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    # flush: a script reading our stdout needs the URL line at once.
    show(serving(server, data_dir, admin=not no_admin))
    click.get_text_stream("stdout").flush()
    stop.wait()
    server.stop()
    click.echo(STOPPED)
