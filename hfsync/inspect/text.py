"""Text files: whether bytes are text, and a unified diff of two texts.

difflib's matcher compares each line of one side with every equal line of the other in
each of its passes: quadratic, and worse, when lines repeat (hundreds of copies of a few
values, each just below what it sets aside as "popular"). ``unified`` counts those
comparisons before each pass, from a running sum, and stops at MAX_COMPARISONS (about
a second) with ``Exceeded`` rather than run for minutes.
"""

from __future__ import annotations

import difflib
from itertools import accumulate

from hfsync.inspect.bounded import Exceeded

# Sniffed this far for NUL bytes and UTF-8: text files are recognised by content, not by name.
SNIFF = 8192
MAX_COMPARISONS = 16_000_000
# Lines of one side a diff compares: a 1 MB text of honest lines has far fewer.
MAX_LINES = 200_000


def decode(data: bytes) -> str | None:
    """``data`` as text, or None when it is binary (a NUL byte, or not UTF-8)."""
    if b"\x00" in data[:SNIFF]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class _Bounded(difflib.SequenceMatcher):
    """A matcher that refuses to compare more than MAX_COMPARISONS pairs of lines."""

    # Set by SequenceMatcher itself; typeshed leaves them out.
    a: list[str]
    b2j: dict[str, list[int]]

    def __init__(self, a: list[str], b: list[str]) -> None:
        super().__init__(None, a, b)
        # Pairs a pass over a[lo:hi] compares: the copies in b of each line of a, summed.
        self._pairs = list(accumulate((len(self.b2j.get(line, ())) for line in a), initial=0))
        self._left = MAX_COMPARISONS

    def find_longest_match(self, alo: int = 0, ahi: int | None = None, blo: int = 0,
                           bhi: int | None = None) -> difflib.Match:
        ahi = len(self.a) if ahi is None else ahi
        self._left -= self._pairs[ahi] - self._pairs[alo] + ahi - alo
        if self._left < 0:
            raise Exceeded(f"repeats lines too often to diff within {MAX_COMPARISONS:,} line comparisons")
        return super().find_longest_match(alo, ahi, blo, bhi)


def _span(start: int, stop: int) -> str:
    """A hunk's range as unified diffs write it (``3,2``; ``3`` for one line; ``2,0`` for none)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


def unified(old: str, new: str, context: int = 3) -> tuple[str, ...]:
    """The ``@@`` hunks of a unified diff from ``old`` to ``new`` (no ``---``/``+++`` header:
    the file is named where the diff is shown); a last line without newline is marked.
    ``Exceeded`` past MAX_LINES on a side, or when the lines repeat too often to diff within
    MAX_COMPARISONS."""
    a, b = old.splitlines(), new.splitlines()
    for side, text in (("new", b), ("Hub's", a)):
        if len(text) > MAX_LINES:
            raise Exceeded(f"the {side} file has {len(text):,} lines, over the {MAX_LINES:,} a text diff compares")
    lines: list[str] = []
    for group in _Bounded(a, b).get_grouped_opcodes(context):
        (_, i1, _, j1, _), (_, _, i2, _, j2) = group[0], group[-1]
        lines.append(f"@@ -{_span(i1, i2)} +{_span(j1, j2)} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [" " + line for line in a[i1:i2]]
                continue
            lines += ["-" + line for line in a[i1:i2]]
            lines += ["+" + line for line in b[j1:j2]]
    if old and new and old.endswith("\n") != new.endswith("\n"):
        lines.append("\\ newline at end of file " + ("added" if new.endswith("\n") else "removed"))
    return tuple(lines)


def counts(lines: tuple[str, ...]) -> tuple[int, int]:
    """(lines added, lines removed) in a unified diff."""
    added = sum(line.startswith("+") for line in lines)
    removed = sum(line.startswith("-") for line in lines)
    return added, removed
