"""A Space's runtime stage, moving over time as a script says.

With no script a Space is RUNNING (PAUSED when paused). A script, set through the admin
API (POST /_sandbox/spaces/{id}/runtime), is a list of stages each held for some seconds,
the last one held for good, plus the build and run logs the Space shows. It starts over
whenever the Space is deployed again: at a commit, a restart, or when the script is set.
"""

from __future__ import annotations

import json
import time

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.repos import iso

ERROR_STAGES = {"BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE"}


def script(body: object) -> dict:
    """The script to store, checked: {"stages": [{"stage", "seconds"?}...], "build_log", "run_log", "error"}."""
    if not isinstance(body, dict):
        body = {}
    stages = body.get("stages")
    if not isinstance(stages, list) or not stages or not all(
        isinstance(s, dict) and isinstance(s.get("stage"), str) and isinstance(s.get("seconds", 0), int | float)
        for s in stages
    ):
        raise HubError(400, 'stages must be a non-empty list of {"stage": NAME, "seconds": N}')
    logs = {k: [str(line) for line in body.get(k) or ()] for k in ("build_log", "run_log")}
    return {"stages": stages, **logs, "error": body.get("error"), "at": time.time()}


def stage(meta: dict) -> tuple[str, str | None]:
    """(stage now, its error message)."""
    if meta.get("paused"):
        return "PAUSED", None
    plan = meta.get("runtimeScript")
    if not plan:
        return "RUNNING", None
    started = max(plan["at"], meta.get("lastModified", 0) / 1000, meta.get("restartedAt", 0))
    elapsed = time.time() - started
    for step in plan["stages"][:-1]:
        elapsed -= step.get("seconds", 0)
        if elapsed < 0:
            return step["stage"], None
    last = plan["stages"][-1]["stage"]
    return last, (plan.get("error") or f"Space stage {last}") if last in ERROR_STAGES else None


def log_events(meta: dict, kind: str) -> bytes:
    """The build or run log as the Hub streams it: one server-sent event per line."""
    plan = meta.get("runtimeScript") or {}
    at = iso(int(plan.get("at", time.time()) * 1000))
    return b"".join(
        b"data: " + json.dumps({"data": line + "\n", "timestamp": at}).encode() + b"\n\n"
        for line in plan.get(f"{kind}_log") or ()
    )
