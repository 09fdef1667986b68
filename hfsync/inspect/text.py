"""Text files: whether bytes are text, and a unified diff of two texts."""

from __future__ import annotations

import difflib

# Sniffed this far for NUL bytes and UTF-8: text files are recognised by content, not by name.
SNIFF = 8192


def decode(data: bytes) -> str | None:
    """``data`` as text, or None when it is binary (a NUL byte, or not UTF-8)."""
    if b"\x00" in data[:SNIFF]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def unified(old: str, new: str, context: int = 3) -> tuple[str, ...]:
    """The ``@@`` hunks of a unified diff from ``old`` to ``new`` (no ``---``/``+++`` header:
    the file is named where the diff is shown); a last line without newline is marked."""
    a, b = old.splitlines(), new.splitlines()
    lines = list(difflib.unified_diff(a, b, lineterm="", n=context))[2:]
    if old and new and old.endswith("\n") != new.endswith("\n"):
        lines.append("\\ newline at end of file " + ("added" if new.endswith("\n") else "removed"))
    return tuple(lines)


def counts(lines: tuple[str, ...]) -> tuple[int, int]:
    """(lines added, lines removed) in a unified diff."""
    added = sum(line.startswith("+") for line in lines)
    removed = sum(line.startswith("-") for line in lines)
    return added, removed
