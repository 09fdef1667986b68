"""Fault rules and request/byte counters (the admin API's state).

A rule matches a request by method and a regex searched in the raw URL path, and
applies to the next ``times`` matching requests. Actions:

- status: answer ``status`` with the Hub's error body; ``retry_after`` adds Retry-After
  (and RateLimit/RateLimit-Policy on a 429); optional ``message`` and ``code`` (sent as
  X-Error-Message / X-Error-Code, e.g. "RepoNotFound", so the client raises its
  specific exception).
- reset: drop the connection after ``after_bytes`` response body bytes (0: before any
  response). A FIN by default; ``"rst": true`` sends a TCP RST (ECONNRESET) instead.
- truncate: send the headers with the full Content-Length, then only ``after_bytes``
  body bytes, then close.
- corrupt: flip 16 bytes of the body from offset ``after_bytes`` (clamped into it).
- replace: answer with the route's status and headers but ``body`` (base64) as the body:
  what a hostile or broken server would send in its place (a decompression bomb, say).
- ignore_range: answer as if the request had no Range header (200 and the whole file).
- delay: wait ``seconds`` before handling the request; clearing the rules (DELETE
  /_sandbox/faults) or stopping the server ends every wait at once, so a test can hold a
  request until it has done what must come first. A request whose client hung up while it
  waited is dropped unhandled, as the work of a killed client must not land after it.
- expire_tokens: expire every token exchanged at /oauth/token (as if an hour had passed),
  then handle the request as usual. Counters count request and response
*body* bytes only (headers excluded), so tests can assert exact upload/download sizes.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from dataclasses import dataclass

ACTIONS = ("status", "reset", "truncate", "corrupt", "replace", "delay", "ignore_range", "expire_tokens")


@dataclass
class Fault:
    """One injected fault."""

    action: str
    path: re.Pattern[str]
    method: str | None = None
    status: int = 500
    retry_after: float | None = None
    after_bytes: int = 0
    seconds: float = 0.0
    times: int = 1
    message: str | None = None
    code: str | None = None
    rst: bool = False
    body: bytes = b""

    @classmethod
    def from_dict(cls, data: dict) -> Fault:
        """Parse one rule of POST /_sandbox/faults; ValueError if malformed."""
        action = data.get("action", "status")
        if action not in ACTIONS:
            raise ValueError(f"unknown fault action {action!r}; expected one of {ACTIONS}")
        try:
            return cls(
                action=action,
                path=re.compile(data.get("path", ".*")),
                method=(data.get("method") or "").upper() or None,
                status=int(data.get("status", 500)),
                retry_after=data.get("retry_after"),
                after_bytes=int(data.get("after_bytes", 0)),
                seconds=float(data.get("seconds", 0)),
                times=int(data.get("times", 1)),
                message=data.get("message"),
                code=data.get("code"),
                rst=bool(data.get("rst", False)),
                body=base64.b64decode(data.get("body", ""), validate=True),
            )
        except (TypeError, re.error, binascii.Error) as error:
            raise ValueError(f"bad fault rule {data!r}: {error}") from None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.search(path))


class Faults:
    """The active rules; taking one consumes one of its ``times``."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._cleared = threading.Condition(self._lock)
        self._clears = 0

    def add(self, rules: list[Fault]) -> None:
        with self._lock:
            self._rules.extend(rules)

    def clear(self) -> None:
        """Drop every rule and end every delay under way."""
        with self._lock:
            self._rules.clear()
            self._clears += 1
            self._cleared.notify_all()

    def hold(self, seconds: float) -> None:
        """Wait ``seconds``, or until the rules are cleared."""
        with self._cleared:
            clears = self._clears
            self._cleared.wait_for(lambda: self._clears != clears, timeout=seconds)

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def pending(self) -> list[dict]:
        with self._lock:
            return [
                {"action": r.action, "method": r.method, "path": r.path.pattern, "times": r.times} for r in self._rules
            ]


class Stats:
    """Requests and body bytes, in total and per "<METHOD> <route name>"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = {"requests": 0, "bytes_in": 0, "bytes_out": 0}
            self._routes: dict[str, dict[str, int]] = {}

    def count(self, key: str, requests: int = 0, bytes_in: int = 0, bytes_out: int = 0) -> None:
        with self._lock:
            route = self._routes.setdefault(key, {"requests": 0, "bytes_in": 0, "bytes_out": 0})
            for counter in (route, self._total):
                counter["requests"] += requests
                counter["bytes_in"] += bytes_in
                counter["bytes_out"] += bytes_out

    def snapshot(self) -> dict:
        with self._lock:
            return {
                **self._total,
                "routes": {k: dict(v) for k, v in sorted(self._routes.items())},
            }
