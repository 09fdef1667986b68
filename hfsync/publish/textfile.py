"""Reading a file as text without trusting it: its encoding, judged on its first block
(UTF-8, UTF-16 with or without a byte-order mark, UTF-32 with one, or Latin-1; None for
binary), and its lines in bounded batches, so memory does not grow with the file even
when it has no line breaks."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK = 8192
# A batch holds at most this many lines or characters (give or take one line).
_BATCH_LINES = 2000
_BATCH_CHARS = 1 << 20
# A longer line (minified JSON, a file with no line break) is read in windows of this many
# characters, so memory does not grow with it, and each window is scanned on its own.
WINDOW = 1 << 20
# Consecutive windows share this many characters: a secret up to this long that a cut
# crosses is seen whole in one of them. The plugins' secrets are far shorter (an AWS key 40
# characters, an HF token about 40, a GitHub token 93, a JWT or a keyword's value rarely a
# kilobyte); a longer one across a cut is still seen, in two parts, each flagged as usual.
OVERLAP = 4096
# Also shared: what precedes the overlap, so a match starting in it keeps what its pattern
# reads before the secret (a key's name and `=` for the keyword rules, `aws ... key` within
# 40 characters, a look-behind of one).
CONTEXT = 256

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Control bytes text does not hold (tab, line breaks and form feed aside).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"


def _decodes(block: bytes, encoding: str) -> bool:
    try:
        # final=False: a multi-byte character cut by the block boundary is fine.
        codecs.getincrementaldecoder(encoding)().decode(block, final=False)
    except UnicodeDecodeError:
        return False
    return True


def text_encoding(path: Path) -> str | None:
    """How a file's text is encoded, judged on its first block; None for binary."""
    with open(path, "rb") as handle:
        return encoding_of(handle.read(BLOCK))


def encoding_of(start: bytes) -> str | None:
    """``text_encoding`` of a file that starts with ``start`` (only its first block is judged)."""
    block = start[:BLOCK]
    for bom, encoding in _BOMS:
        if block.startswith(bom):
            return encoding if _decodes(block, encoding) else None
    if b"\0" in block:
        # UTF-16 without a mark: text of mostly ASCII has a NUL in every other byte.
        for encoding, zeros in (("utf-16-le", block[1::2]), ("utf-16-be", block[0::2])):
            if len(block) >= 2 and zeros.count(0) >= 0.9 * len(zeros) and _decodes(block, encoding):
                return encoding
        return None
    if _decodes(block, "utf-8"):
        return "utf-8"
    # Not UTF-8: Latin-1 text, unless it holds control bytes as binary formats do.
    return "latin-1" if len(block.translate(None, _CONTROL)) >= 0.99 * len(block) else None


def is_binary(path: Path) -> bool:
    """Whether a file is binary, not text in any encoding ``text_encoding`` knows."""
    return text_encoding(path) is None


@dataclass(frozen=True)
class Batch:
    """Lines of a file as (number, text), read together."""

    lines: list[tuple[int, str]]
    # For one window of a long line: where a match must start to count (the characters
    # outside are shared with the neighbouring windows, which count what starts there).
    span: tuple[int, int] | None = None

    def counts(self, found: str) -> bool:
        """Whether ``found``, found in this batch, counts here (not in a neighbouring window)."""
        if self.span is None or not found:
            return True
        start, end = self.span
        return self.lines[0][1].find(found, start, end - 1 + len(found)) != -1


def line_batches(path: Path, encoding: str = "utf-8") -> Iterator[Batch]:
    """The file's lines, a bounded batch at a time; a line longer than a window comes as
    overlapping windows of it, one per batch, each with the span its matches must start in."""
    batch: list[tuple[int, str]] = []
    chars, number, carry = 0, 0, ""
    with open(path, encoding=encoding, errors="replace") as handle:
        piece = handle.readline(WINDOW)
        while piece:
            following = handle.readline(WINDOW)
            ends_line = piece.endswith("\n") or not following
            number += not carry  # the windows of one long line share its number
            if ends_line and not carry:
                batch.append((number, piece))
                chars += len(piece)
                if chars >= _BATCH_CHARS or len(batch) >= _BATCH_LINES:
                    yield Batch(batch)
                    batch, chars = [], 0
            else:
                if batch:
                    yield Batch(batch)
                    batch, chars = [], 0
                text = carry + piece
                # A match starting in the last OVERLAP characters may be cut: the next window
                # starts with them (and CONTEXT more before them, for what precedes a secret).
                yield Batch([(number, text)], (len(carry) - OVERLAP if carry else 0,
                                               len(text) if ends_line else len(text) - OVERLAP))
                carry = "" if ends_line else text[-(OVERLAP + CONTEXT):]
            piece = following
    if batch:
        yield Batch(batch)
