"""Space-only endpoints: runtime, logs, hardware, sleep time, pause/restart, variables, secrets.

Nothing runs: the runtime is bookkeeping in the repo's metadata (a requested hardware
flavor becomes the current one at once; the stage follows the runtime script, see
sandbox.runtime). Secret values are write-only, as on the Hub: they are stored but never
returned.
"""

from __future__ import annotations

import time

from hfsync.sandbox.auth import HubError
from hfsync.sandbox.http import Request, Response, json_response
from hfsync.sandbox.info import runtime
from hfsync.sandbox.repos import Repo, iso, now_ms
from hfsync.sandbox.runtime import log_events
from hfsync.sandbox.state import Hub

HARDWARE = (
    "cpu-basic cpu-upgrade cpu-performance cpu-xl sprx8 zero-a10g t4-small t4-medium "
    "l4x1 l4x4 l40sx1 l40sx4 l40sx8 a10g-small a10g-large a10g-largex2 a10g-largex4 "
    "a100-large a100x4 a100x8 h100 h100x8 inf2x6"
).split()


def _space(hub: Hub, req: Request, ns: str, name: str) -> Repo:
    return hub.writable_repo(req, "space", ns, name)


def get_runtime(hub: Hub, req: Request, ns: str, name: str) -> Response:
    return json_response(runtime(hub.repo(req, "space", ns, name).meta))


def request_hardware(hub: Hub, req: Request, ns: str, name: str) -> Response:
    repo = _space(hub, req, ns, name)
    body = req.json()
    flavor = body.get("flavor")
    if flavor not in HARDWARE:
        raise HubError(400, f"Invalid hardware flavor {flavor!r}")
    changes: dict = {"hardware": flavor}
    if body.get("sleepTimeSeconds") is not None:
        changes["sleepTime"] = int(body["sleepTimeSeconds"])
    with hub.repos.lock(repo.type, repo.id):
        return json_response(runtime(repo.update_meta(changes)))


def set_sleep_time(hub: Hub, req: Request, ns: str, name: str) -> Response:
    repo = _space(hub, req, ns, name)
    seconds = req.json().get("seconds")
    if not isinstance(seconds, int):
        raise HubError(400, "seconds must be an integer")
    with hub.repos.lock(repo.type, repo.id):
        return json_response(runtime(repo.update_meta({"sleepTime": seconds})))


def pause(hub: Hub, req: Request, ns: str, name: str) -> Response:
    repo = _space(hub, req, ns, name)
    with hub.repos.lock(repo.type, repo.id):
        return json_response(runtime(repo.update_meta({"paused": True})))


def restart(hub: Hub, req: Request, ns: str, name: str) -> Response:
    repo = _space(hub, req, ns, name)
    with hub.repos.lock(repo.type, repo.id):
        return json_response(runtime(repo.update_meta({"paused": False, "restartedAt": time.time()})))


def logs(hub: Hub, req: Request, ns: str, name: str, kind: str) -> Response:
    """GET /api/spaces/{id}/logs/{build|run}: the scripted log as server-sent events, then the end."""
    repo = _space(hub, req, ns, name)
    return Response(200, {"Content-Type": "text/event-stream"}, log_events(repo.meta, kind))


def _public_variables(meta: dict) -> dict:
    return {k: dict(v) for k, v in sorted((meta.get("variables") or {}).items())}


def _public_secrets(meta: dict) -> dict:
    # Values are write-only: only the key, description and date come back.
    return {
        k: {"key": k, "description": v.get("description"), "updatedAt": v["updatedAt"]}
        for k, v in sorted((meta.get("secrets") or {}).items())
    }


def _entry(body: dict) -> tuple[str, dict]:
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise HubError(400, "key is required")
    entry = {"value": str(body.get("value", "")), "updatedAt": iso(now_ms())}
    if body.get("description") is not None:
        entry["description"] = str(body["description"])
    return key, entry


def variables(hub: Hub, req: Request, ns: str, name: str) -> Response:
    """GET lists; POST {key, value, description?} adds or replaces; DELETE {key} removes."""
    return _keyed(hub, req, ns, name, "variables", _public_variables)


def secrets(hub: Hub, req: Request, ns: str, name: str) -> Response:
    return _keyed(hub, req, ns, name, "secrets", _public_secrets)


def _keyed(hub: Hub, req: Request, ns: str, name: str, field: str, public) -> Response:  # type: ignore[no-untyped-def]
    repo = _space(hub, req, ns, name)
    if req.method == "GET":
        return json_response(public(repo.meta))
    body = req.json()
    with hub.repos.lock(repo.type, repo.id):
        current = dict(repo.update_meta({}).get(field) or {})
        if req.method == "DELETE":
            current.pop(str(body.get("key")), None)
        else:
            key, entry = _entry(body)
            current[key] = entry
        meta = repo.update_meta({field: current})
    return json_response(public(meta))
