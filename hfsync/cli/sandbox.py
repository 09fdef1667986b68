"""`hfsync sandbox serve`: run the local sandbox Hub."""

from __future__ import annotations

import signal
import sys
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


def _publishers(path: Path) -> dict:
    import json

    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise HfsyncError(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise HfsyncError(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from None


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
@click.option(
    "--trusted-publishers",
    "publishers_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="JSON file of OIDC issuers and Trusted Publishers: "
    '{"issuers": [{"issuer", "jwks_uri" or "jwks"}], "publishers": [{"repo", "type", "issuer", "claims"}, '
    '{"user", "issuer", "claims"}], "audience"}.',
)
@click.option(
    "--max-commit-operations",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Refuse a commit with more operations than this, as the Hub refuses oversized commits "
    "(the Hub recommends under 100 files a commit); 0 for no limit.",
)
@click.option("--no-admin", is_flag=True, help="Turn off the /_sandbox/ admin API.")
def serve(
    data_dir: Path,
    host: str,
    port: int,
    users: tuple[str, ...],
    orgs: tuple[str, ...],
    publishers_file: Path | None,
    max_commit_operations: int,
    no_admin: bool,
) -> None:
    """Serve the sandbox Hub until interrupted (SIGINT or SIGTERM)."""
    from hfsync.render.sandbox import STOPPED, serving
    from hfsync.sandbox.server import SandboxServer

    user_map = dict(_pairs(users, "NAME:TOKEN"))
    org_map = {org: members.split(",") for org, members in _pairs(orgs, "ORG:USER[,USER...]")}
    publishers = _publishers(publishers_file) if publishers_file else None
    try:
        server = SandboxServer(data_dir, host=host, port=port, users=user_map, orgs=org_map, admin=not no_admin,
                               trusted_publishers=publishers, max_commit_operations=max_commit_operations)
    except OSError as error:
        raise HfsyncError(f"Cannot listen on {host}:{port}: {error.strerror}") from None
    except ValueError as error:
        raise HfsyncError(f"{publishers_file}: {error}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    # flush: a script reading our stdout needs the URL line at once.
    show(serving(server, data_dir, admin=not no_admin))
    sys.stdout.flush()
    stop.wait()
    server.stop()
    click.echo(STOPPED)
