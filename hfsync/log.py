"""Logging setup and redaction: no token ever reaches a log line or a message."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable

_SECRETS: set[str] = set()
# A signed URL (a CDN's or a bucket's ``?sig=``, ``X-Amz-Signature=``, ...) is a
# credential for as long as it lives: its query string is never shown.
_URL_QUERY = re.compile(r"(\w+://[^\s?#'\"<>]+)\?([^\s#'\"<>]*)")
_SIGNING = re.compile(
    r"(?i)(?:^|[&;])(?:sig|signature|x-amz-[\w-]*|x-goog-[\w-]*|policy|key-pair-id|token|access_token|"
    r"credential|se|sp|sv|sr|skoid|sktid)="
)


def register_secret(value: str | None) -> None:
    """Remember a value (a token) that must never be printed or logged."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def _unsigned(match: re.Match[str]) -> str:
    return f"{match.group(1)}?***" if _SIGNING.search(match.group(2)) else match.group(0)


def redact(text: str) -> str:
    """Replace every registered secret, and the query of every signed URL, in ``text`` with a placeholder."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    if "://" in text and "?" in text:
        text = _URL_QUERY.sub(_unsigned, text)
    return text


class _RedactingFilter(logging.Filter):
    def __init__(self, shown: Callable[[str], str]) -> None:
        super().__init__()
        self.shown = shown

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.shown(redact(record.getMessage()))
        record.args = None
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, sort_keys=True)


def configure(verbosity: int, log_format: str, shown: Callable[[str], str] = str) -> None:
    """Send hfsync's (and huggingface_hub's) logs to stderr, redacted.

    ``verbosity`` is -1 for --quiet, 0 by default, 1+ for -v. ``shown`` makes a text line's
    message fit for a terminal (it may quote a Hub's names or a server's answer); JSON lines
    escape every such character already.
    """
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        verbosity, logging.DEBUG
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter(shown if log_format != "json" else str))
    if log_format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for name in ("hfsync", "huggingface_hub"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
