"""A Space's runtime as apply watches it after publishing: its stage, and its logs' last lines."""

from __future__ import annotations

import itertools
from collections import deque

from hfsync.errors import HubError
from hfsync.hub.client import Hub, translate_errors


def stage(hub: Hub, repo_id: str) -> tuple[str, str | None]:
    """(the Space's stage now, the Hub's error message for it when it gives one)."""
    with translate_errors("read the runtime of", repo_id):
        runtime = hub.api_for("space", repo_id).get_space_runtime(repo_id)
    message = runtime.raw.get("errorMessage")
    return str(runtime.stage), str(message) if message else None


def log_tail(hub: Hub, repo_id: str, build: bool, lines: int = 10, most: int = 10_000) -> list[str]:
    """The last ``lines`` lines the Space's build (or run) log holds now, reading at most ``most``.

    Never waits for new lines: the Hub's log stream is read without following."""
    try:
        with translate_errors(f"read the {'build' if build else 'run'} log of", repo_id):
            events = hub.api_for("space", repo_id).fetch_space_logs(repo_id, build=build, follow=False)
            return [line.rstrip("\n") for line in deque(itertools.islice(events, most), maxlen=lines)]
    except HubError as error:
        return [f"(the log could not be read: {error.message})"]
