"""The one retry mechanism of hfsync: backoff with full jitter, honouring the Hub's waits.

Transient failures (429, 408, 5xx, connection resets, timeouts) are retried with
exponential backoff and full jitter; when the server says how long to wait
(``Retry-After`` in seconds or as an HTTP date, or the Hub's ``RateLimit: "api";r=0;t=55``)
that wait is used instead. The total time spent waiting is bounded; past it, or past
the attempt limit, a HubError names the operation and the last failure.

Every wait is announced through ``on_wait`` once per second of countdown, so the CLI
can show "retrying in 12s"; the clock and the sleep are injectable for tests.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import socket
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from hfsync.errors import HubError, Unavailable
from hfsync.log import redact

log = logging.getLogger("hfsync.retry")

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def transient_errors() -> tuple[type[BaseException], ...]:
    """The exceptions of a failed transfer worth retrying: the standard library's and, once it
    is loaded (none of its errors exists before), httpx2's."""
    errors: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, socket.timeout)
    httpx = sys.modules.get("httpx2")
    if httpx is not None:
        errors += (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
    return errors


class TransientError(Exception):
    """Raised by an operation to ask for a retry: a retryable status, or a broken transfer."""

    def __init__(self, message: str, status: int | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: full-jitter backoff from ``base`` up to ``cap``."""

    attempts: int = 8
    base: float = 1.0
    cap: float = 60.0
    max_wait: float = 600.0  # total seconds spent waiting across all attempts
    # A refused connection is nearly always a wrong endpoint or a Hub that is down: a
    # couple of quick retries ride out a restart; minutes of backoff only hide the typo.
    refused_attempts: int = 3


@dataclass(frozen=True)
class Wait:
    """One announced wait: what is retried, why, and how long is left."""

    operation: str
    attempt: int
    attempts: int
    reason: str
    remaining: float
    total: float

    def __str__(self) -> str:
        return (
            f"{self.operation}: {self.reason}; retrying in {self.remaining:.0f}s "
            f"(attempt {self.attempt + 1} of {self.attempts})"
        )


def log_wait(wait: Wait) -> None:
    """The default announcer: one log line per wait, not per second."""
    if wait.remaining == wait.total:
        log.warning("%s", wait, extra={"fields": {
            "event": "retry", "operation": wait.operation, "attempt": wait.attempt + 1,
            "attempts": wait.attempts, "reason": wait.reason, "wait_s": round(wait.total, 3)}})


def server_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: RateLimit (r=0) or Retry-After (seconds or HTTP date)."""
    if any(k.lower() == "ratelimit" for k in headers):
        from huggingface_hub.utils import parse_ratelimit_headers

        info = parse_ratelimit_headers(headers)
        if info is not None and info.remaining == 0:
            return float(info.reset_in_seconds)
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify(error: BaseException) -> tuple[bool, str, float | None]:
    """(retryable, reason, server-requested wait) for an exception raised by an operation."""
    if isinstance(error, TransientError):
        hint = server_wait(error.headers) if error.headers else None
        return (error.status is None or error.status in RETRY_STATUSES), str(error), hint
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and response is not None:
        if status not in RETRY_STATUSES:
            return False, f"HTTP {status}", None
        return True, f"HTTP {status}", server_wait(response.headers)
    hf_errors = sys.modules.get("huggingface_hub.errors")
    if hf_errors is not None and isinstance(error, hf_errors.OfflineModeIsEnabled):
        return False, str(error), None  # a ConnectionError no retry can cure
    if is_unresolved(error):
        return False, type(error).__name__ + (f": {error}" if str(error) else ""), None
    if isinstance(error, transient_errors()):
        return True, type(error).__name__ + (f": {error}" if str(error) else ""), None
    return False, str(error), None


# getaddrinfo's words for a host name that does not resolve, on Linux, macOS and Windows
# (httpx keeps only the text of the socket.gaierror it wraps).
_UNRESOLVED = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution",
               "No address associated with hostname", "getaddrinfo failed", "Name does not resolve")


def is_unresolved(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a host name that does not resolve (DNS).

    Not transient for hfsync: a wrong endpoint or no network, which waiting does not cure."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror) or any(words in str(seen) for words in _UNRESOLVED):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def is_refused(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a refused TCP connection."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError) or "Connection refused" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Retry:
    """Run operations, retrying transient failures under one policy."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        on_wait: Callable[[Wait], None] = log_wait,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[float], float] = lambda high: random.uniform(0, high),
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.on_wait = on_wait
        self.sleep = sleep
        self.clock = clock
        self.jitter = jitter

    def call(self, operation: str, fn: Callable[[int], T]) -> T:
        """Run ``fn(attempt)`` until it succeeds; HubError once the policy gives up.

        ``fn`` raises to fail: transient errors are retried, any other propagates as is.
        """
        waited = 0.0
        attempt = 0
        while True:
            try:
                return fn(attempt)
            except Exception as error:
                retryable, reason, asked = classify(error)
                if not retryable and is_unresolved(error) and not isinstance(error, HubError):
                    raise HubError(
                        f"{operation}: the endpoint's host name does not resolve; {redact(reason)}",
                        hint="Check --endpoint or HF_ENDPOINT, and the network (DNS, a proxy): "
                        "no request can succeed until the name resolves.",
                    ) from error
                if not retryable:
                    raise
                attempt += 1
                backoff = min(self.policy.cap, self.policy.base * 2 ** (attempt - 1))
                delay = asked if asked is not None else self.jitter(backoff)
                attempts = self.policy.attempts
                hint = "The Hub or the network is failing; try again later."
                if is_refused(error):
                    attempts = min(attempts, self.policy.refused_attempts)
                    hint = "Nothing answers at that address: check --endpoint or HF_ENDPOINT."
                if attempt >= attempts:
                    # A refused connection is a wrong address far more often than a passing failure.
                    gave_up = HubError if is_refused(error) else Unavailable
                    raise gave_up(
                        f"{operation}: gave up after {attempt} attempts; last failure: {redact(reason)}",
                        hint=hint,
                    ) from error
                if waited + delay > self.policy.max_wait:
                    why = "retries took too long"
                    if asked is not None:
                        why = f"the server asked to wait {delay:.0f}s more"
                    raise Unavailable(
                        f"{operation}: gave up after {attempt} attempts and {waited:.0f}s of waiting "
                        f"({why}; the limit is {self.policy.max_wait:.0f}s); last failure: {redact(reason)}",
                        hint="The Hub is rate limiting or failing; try again later.",
                    ) from error
                self._countdown(Wait(operation, attempt, attempts, redact(reason), delay, delay))
                waited += delay

    def _countdown(self, wait: Wait) -> None:
        if wait.total <= 0:
            self.on_wait(wait)  # an immediate retry is still worth a line
            return
        end = self.clock() + wait.total
        remaining = wait.total
        while remaining > 0:
            self.on_wait(Wait(wait.operation, wait.attempt, wait.attempts, wait.reason, remaining, wait.total))
            self.sleep(min(1.0, remaining))
            remaining = end - self.clock()


# Who shows the shared retries' waits: a log line by default; a command with progress
# display shows them as a countdown (waits_shown_by).
_announce: Callable[[Wait], None] = log_wait
shared = Retry(on_wait=lambda wait: _announce(wait))


@contextlib.contextmanager
def waits_shown_by(on_wait: Callable[[Wait], None]) -> Iterator[None]:
    """Announce the waits of the shared retries (every request of huggingface_hub's client,
    hub.reads) through ``on_wait`` inside this block."""
    global _announce
    previous, _announce = _announce, on_wait
    try:
        yield
    finally:
        _announce = previous
