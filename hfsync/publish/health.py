"""After apply publishes a Space: wait, bounded, until it runs, or say in one sentence why it does not.

A Space synced but not healthy (a build error for weeks unnoticed) is a failed apply: the
error stage is named with the Hub's message and the last lines of the log that explains it.
A stage hfsync does not know is not taken for healthy; waiting goes on, and past the
timeout the message names it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hfsync.hub import spaces
from hfsync.hub.client import Hub
from hfsync.model.apply import Step
from hfsync.publish.secrets import strong_matches

# Stages a Space passes through on its way to running: wait.
MOVING = ("BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING")
# Stages it stays in until someone changes something: what went wrong, and which log says why.
FAILED = {
    "BUILD_ERROR": ("its build failed", True),
    "CONFIG_ERROR": ("its configuration (the README's front matter) is invalid", True),
    "NO_APP_FILE": ("it has no app file for its sdk", True),
    "RUNTIME_ERROR": ("it crashed while starting or running", False),
    "STOPPED": ("it is stopped", False),
    "PAUSED": ("it is paused; restart it on the Hub", False),
    "DELETING": ("it is being deleted", False),
}
KNOWN = {*MOVING, *FAILED, "RUNNING", "SLEEPING"}


class Unhealthy(Exception):
    """The sentence (and log lines) saying why a Space did not reach a healthy stage."""


def wait_healthy(
    hub: Hub,
    repo_id: str,
    health: Mapping[str, Any],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    hide: Sequence[str] = (),
) -> Step:
    """Poll the Space's stage until one of ``health["stages"]`` (a ``healthy`` step); Unhealthy
    on an error stage, or past ``health["timeout"]`` seconds."""
    timeout = float(health["timeout"])
    wanted: Sequence[str] = health["stages"]
    deadline = clock() + timeout
    poll = 0.1  # then twice as long each time, up to 2s: a quick build is seen at once, a slow one polled gently
    while True:
        stage, message = spaces.stage(hub, repo_id)
        if stage in wanted:
            return Step("healthy", stage)
        if stage in FAILED:
            what, build = FAILED[stage]
            raise Unhealthy(_failed(hub, repo_id, stage, what, message, build, hide))
        if clock() >= deadline:
            raise Unhealthy(_late(hub, repo_id, stage, timeout))
        sleep(min(poll, max(0.0, deadline - clock())))
        poll = min(2.0, poll * 2)


def _masked(line: str, hide: Sequence[str]) -> str:
    """A log line with the secrets it may print (a Space echoing its environment) replaced by ***."""
    for secret in [*hide, *(found for _kind, found in strong_matches(line))]:
        line = line.replace(secret, "***") if secret else line
    return line


def _failed(hub: Hub, repo_id: str, stage: str, what: str, message: str | None, build: bool,
            hide: Sequence[str] = ()) -> str:
    said = f": {message}" if message else ""
    lines = [_masked(line, hide) for line in spaces.log_tail(hub, repo_id, build)]
    tail = "".join(f"\n    {line}" for line in lines) if lines else "\n    (the log is empty)"
    return (f"the Space is not healthy: {what} ({stage}{said}); the last lines of its "
            f"{'build' if build else 'run'} log:{tail}")


def _late(hub: Hub, repo_id: str, stage: str, timeout: float) -> str:
    page = f"{hub.endpoint.rstrip('/')}/spaces/{repo_id}?logs={'build' if stage == 'BUILDING' else 'container'}"
    unknown = "" if stage in KNOWN else " (a stage hfsync does not know, so not taken for healthy)"
    return (f"the Space is still {stage}{unknown} after {timeout:g}s; check its logs at {page}, and raise "
            "space.health_timeout if it needs longer (or apply with --no-wait)")


def after_apply(hub: Hub, repo_id: str, health: Mapping[str, Any], wait: bool,
                hide: Sequence[str] = ()) -> Step | str:
    """The step saying a just-published Space's health, or the error saying it is not healthy
    (its log lines with ``hide`` and every credential of a known shape masked)."""
    if not wait:
        return Step("not-waited")
    try:
        return wait_healthy(hub, repo_id, health, hide=hide)
    except Unhealthy as unhealthy:
        return str(unhealthy)
