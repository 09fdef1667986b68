"""`hfsync sandbox serve`: where the local Hub listens and how to reach it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hfsync.render import Output


def serving(server: Any, data_dir: Path, admin: bool) -> Output:
    """The lines a script reads to find the sandbox (hfsync.sandbox.server.SandboxServer): URL first."""
    return (Output().out(f"Sandbox Hub listening on {server.url}")
            .out(f"Token for user sandbox: {server.token}")
            .out(f"Xet storage (CAS) on {server.cas_url}")
            .out(f"Data: {data_dir}  (admin API: {server.url + '/_sandbox/' if admin else 'off'})"))


STOPPED = "Sandbox Hub stopped."
