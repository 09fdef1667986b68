"""Reading a file as text without trusting it: its encoding, judged on its first block
(UTF-8, UTF-16 with or without a byte-order mark, UTF-32 with one, or Latin-1; None for
binary), and its lines in bounded batches, so memory does not grow with the file even
when it has no line breaks."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

BLOCK = 8192
_BATCH_LINES = 2000
# Longer lines are scanned in pieces of this many characters, so a file with no line
# breaks (minified JSON) is still read in bounded memory.
_MAX_LINE = 1 << 20
_OVERLAP = 512

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


def line_batches(path: Path, encoding: str = "utf-8") -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    number, at_line_start, carry = 0, True, ""
    with open(path, encoding=encoding, errors="replace") as handle:
        while piece := handle.readline(_MAX_LINE):
            number += at_line_start  # the pieces of one long line share its number
            at_line_start = piece.endswith("\n")
            batch.append((number, carry + piece))
            # A piece cut mid-line starts the next one too, so a secret across the cut
            # is seen whole (findings are de-duplicated by line, type and hash).
            carry = "" if at_line_start else piece[-_OVERLAP:]
            if len(batch) >= _BATCH_LINES:
                yield batch
                batch = []
    if batch:
        yield batch
