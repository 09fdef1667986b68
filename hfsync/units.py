"""Numbers said the way people read them: sizes, ages, counts."""

from __future__ import annotations


def human_size(n: int) -> str:
    """Bytes in decimal units, as the Hub shows them: 999 B, 1.2 kB, 3.4 MB, 1.2 GB.

    The one size format of hfsync: plans, info, cache listings and transfer summaries."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def describe_age(seconds: float) -> str:
    """``42 s``, ``3 min``, ``5 h``, ``2 days``: how old cached data is, for people."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def count(n: int) -> str:
    for unit, scale in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(n)


def utf16_length(text: str) -> int:
    """Length as GitHub counts it (UTF-16 code units: a character outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def few(names: list[str], shown: int = 3) -> str:
    """``a, b, c and 7 more``: a list named in one line of a message."""
    rest = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {rest} more" if rest > 0 else "")
