"""Traces: one JSON line per HTTP request hfsync (or huggingface_hub for it) sends.

Each line: time, run trace id, sequence number, operation, method, URL path (never the
query, never a header), status, duration in ms, request and response body bytes, the
retry attempt, and the error for a request that got no answer. The run's trace id is
also sent as ``X-Request-Id`` (and so as huggingface_hub's ``X-Amzn-Trace-Id``) so a
server log can be matched to the trace.

The hooks are httpx2 event hooks on the shared client (hub.session), so requests made
inside huggingface_hub are traced like hfsync's own (hub.getpool writes its own lines). A
line is written when its response is closed, which is when the body bytes are known.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.errors import HfsyncError
from hfsync.log import redact

if TYPE_CHECKING:
    import httpx2

RUN_ID = uuid.uuid4().hex
_KEY = "hfsync_trace"
_operation: contextvars.ContextVar[str | None] = contextvars.ContextVar("hfsync_operation", default=None)
# Routes named by the last meaningful segment of the Hub's URL families.
_ROUTES = (
    (re.compile(r"/api/(models|datasets|spaces)/[^/]+/[^/]+/(preupload|commit|tree|paths-info|refs|"
                r"commits|branch|tag|settings|revision)\b"), lambda m: m.group(2)),
    (re.compile(r"/api/(models|datasets|spaces)/[^/]+/[^/]+/?$"), lambda m: "repo-info"),
    (re.compile(r"/api/(models|datasets|spaces)/?$"), lambda m: "search"),
    (re.compile(r"/api/repos/(create|delete|move)"), lambda m: f"repo-{m.group(1)}"),
    (re.compile(r"/api/(whoami-v2|validate-yaml)"), lambda m: m.group(1)),
    (re.compile(r"\.git/info/lfs/objects/batch"), lambda m: "lfs-batch"),
    (re.compile(r"/resolve/"), lambda m: "download"),
)


@contextlib.contextmanager
def operation(name: str) -> Iterator[None]:
    """Label the requests made inside this block (in this thread) with ``name``."""
    token = _operation.set(name)
    try:
        yield
    finally:
        _operation.reset(token)


def operation_of(request: httpx2.Request) -> str:
    """The current operation's name, else one derived from the URL path."""
    return operation_for(request.method, request.url.path)


def operation_for(method: str, path: str) -> str:
    """The current operation's name, else one derived from ``path``."""
    named = _operation.get()
    if named:
        return named
    for pattern, name in _ROUTES:
        if match := pattern.search(path):
            return name(match)
    return "upload" if method == "PUT" else "http"


class Tracer:
    """Appends trace lines to one file, thread-safely."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._handle = open(path, "a", encoding="utf-8")  # open for the whole run

    def write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry = {"seq": next(self._seq), **entry}
            self._handle.write(redact(json.dumps(entry, sort_keys=True)) + "\n")
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            self._handle.close()


_tracer: Tracer | None = None


def start(path: Path) -> None:
    """Trace every request of this run to ``path`` (JSON lines, appended), under a new run id."""
    global _tracer, RUN_ID
    stop()
    RUN_ID = uuid.uuid4().hex
    try:
        _tracer = Tracer(path)
    except OSError as error:
        raise HfsyncError(f"cannot write trace file {path}: {error.strerror or error}",
                          hint="Give --trace-file a path in a folder you can write to.") from error


def stop() -> None:
    """Stop tracing and close the trace file (nothing when no trace runs)."""
    global _tracer
    if _tracer is not None:
        _tracer.close()
        _tracer = None


def set_attempt(request: httpx2.Request, attempt: int) -> None:
    """Mark ``request`` as retry number ``attempt``, for its trace line."""
    request.extensions[_KEY + "_attempt"] = attempt


def _record(request: httpx2.Request, status: int | None, bytes_in: int, error: str | None = None) -> None:
    info = request.extensions.get(_KEY)
    tracer = _tracer
    if tracer is None or info is None or info.get("done"):
        return
    info["done"] = True
    entry = {
        "time": info["time"],
        "trace_id": RUN_ID,
        "operation": info["operation"],
        "method": request.method,
        "path": request.url.path,
        "status": status,
        "duration_ms": round((time.perf_counter() - info["start"]) * 1000, 1),
        "bytes_out": int(request.headers.get("content-length") or 0),
        "bytes_in": bytes_in,
        "retries": request.extensions.get(_KEY + "_attempt", 0),
    }
    if error is not None:
        entry["error"] = error
    tracer.write(entry)


def _stamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def record(method: str, path: str, status: int | None, started: float, bytes_in: int, attempt: int,
           error: str | None = None) -> None:
    """One line for a request made outside httpx2 (hub.getpool), when tracing."""
    tracer = _tracer
    if tracer is None:
        return
    entry = {
        "time": _stamp(),
        "trace_id": RUN_ID,
        "operation": _operation.get() or "download",
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "bytes_out": 0,
        "bytes_in": bytes_in,
        "retries": attempt,
    }
    if error is not None:
        entry["error"] = error
    tracer.write(entry)


def on_request(request: httpx2.Request) -> None:
    """Event hook: stamp the run id on the request and start its clock."""
    request.headers["X-Request-Id"] = RUN_ID
    request.extensions[_KEY] = {
        "start": time.perf_counter(),
        "time": _stamp(),
        "operation": operation_of(request),
    }


@functools.cache
def _closing() -> type:
    """A response body that writes the trace line when the response is closed (made on first
    use: only a client built on httpx2 calls the hooks, so httpx2 is loaded by then)."""
    import httpx2

    class Closing(httpx2.SyncByteStream):
        def __init__(self, inner: httpx2.SyncByteStream, response: httpx2.Response) -> None:
            self.inner = inner
            self.response = response

        def __iter__(self) -> Iterator[bytes]:
            yield from self.inner

        def close(self) -> None:
            try:
                self.inner.close()
            finally:
                _record(self.response.request, self.response.status_code,
                               self.response.num_bytes_downloaded)

    return Closing


def on_response(response: httpx2.Response) -> None:
    """Event hook: arrange for the line to be written once the body is read or closed."""
    if _tracer is not None:
        response.stream = _closing()(response.stream, response)


def on_failure(request: httpx2.Request, error: BaseException) -> None:
    """A request that got no response (reset, timeout): still one line."""
    _record(request, None, 0, type(error).__name__)
