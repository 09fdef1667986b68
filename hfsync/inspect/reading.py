"""Reading as little of a file as its diff needs, out of one byte budget.

The bytes come through a reader passed in (``read(path, start, length)``: a file on the
Hub at some commit), so plans and upgrade summaries read alike: a text file whole (up to
TEXT_LIMIT), a safetensors or GGUF header in at most two reads (its first bytes, then the
rest of the header), a Parquet footer in at most two reads from the end. Every byte comes
out of a ``Budget`` shared by the whole run; a read it cannot cover raises ``Over``, which
says so instead of a diff. ``scrub`` withholds every diff in which a secret scan finds
something.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping

from hfsync.inspect import gguf, parquet, safetensors
from hfsync.model.inspect import FileDiff, none
from hfsync.units import human_size

TEXT_LIMIT = 1_000_000
HEADER_FIRST = 64 * 1024
HEADER_LIMIT = 64 * 1024 * 1024
BUDGETS = {"none": 0, "summary": 32_000_000, "full": 256_000_000}

Reader = Callable[[str, int, int], bytes]  # (path, start, length) -> bytes of the file read


class Budget:
    """The bytes one run may still fetch for its diffs (thread-safe)."""

    def __init__(self, limit: int, run: str = "plan") -> None:
        self.limit, self.spent = limit, 0
        self.run = run  # whose budget it is, as a note names it
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            if self.spent + n > self.limit:
                return False
            self.spent += n
            return True


class Over(Exception):
    """The budget cannot cover a read."""


def fetch(read: Reader, budget: Budget, path: str, start: int, length: int) -> bytes:
    """``length`` bytes of ``path`` from ``start``, paid out of ``budget``."""
    if not budget.take(length):
        raise Over(f"not compared: the {budget.run}'s {human_size(budget.limit)} diff budget is spent")
    return read(path, start, length)


def header(read: Reader, budget: Budget, path: str, size: int, kind: str, other: bytes = b"") -> bytes:
    """A safetensors or GGUF header of a ``size``-byte file in at most two reads; the first
    asks for a little more than ``other`` (the other side's header) takes, as the two are
    most likely about as long."""
    first = HEADER_FIRST
    if kind == "safetensors" and len(other) >= 8:
        try:
            first = 8 + safetensors.header_length(other) + 4096
        except safetensors.SafetensorsError:
            pass
    head = fetch(read, budget, path, 0, min(first, size))
    if kind == "safetensors":
        try:
            need = 8 + safetensors.header_length(head)
        except safetensors.SafetensorsError:
            return head
    else:
        try:
            gguf.read_header(head)
            return head
        except gguf.Truncated:
            try:
                known = gguf.read_header(other).length
            except gguf.GGUFError:
                known = HEADER_FIRST
            need = max(2 * known, 4 * HEADER_FIRST)
        except gguf.GGUFError:
            return head
    need = min(need, size, HEADER_LIMIT)
    if need <= len(head):
        return head
    return head + fetch(read, budget, path, len(head), need - len(head))


def tail(read: Reader, budget: Budget, path: str, size: int, other: bytes = b"") -> bytes:
    """The last bytes of a ``size``-byte file holding its Parquet footer, in at most two reads;
    the first asks for a little more than ``other`` (the other side's footer) takes."""
    first = HEADER_FIRST
    try:
        first = max(first, parquet.footer_length(other, limit=parquet.DIFF_FOOTER) + 8 + 4096)
    except parquet.ParquetError:
        pass
    first = min(first, size)
    end = fetch(read, budget, path, size - first, first)
    try:
        need = parquet.footer_length(end, size, parquet.DIFF_FOOTER) + 8
    except parquet.ParquetError:
        return end
    if need <= len(end):
        return end
    return fetch(read, budget, path, size - need, need - len(end)) + end


def _shown(diff: FileDiff) -> str:
    """What a renderer could show of ``diff``: every entry, and the lines a diff removes
    (those it adds come from the new side, which a caller may have scanned already)."""
    entries = [f"{e.key} = {json.dumps(e.old)} -> {json.dumps(e.new)}" for e in diff.entries]
    return "\n".join((*entries, *(line for line in diff.lines if line.startswith("-")), diff.note or ""))


def scrub(diffs: Mapping[str, FileDiff], scan: Callable[[str], Iterable[tuple[int, str]]],
          added: bool = False) -> dict[str, FileDiff]:
    """``diffs`` with each one in which ``scan`` (text -> (line, type) of each finding) finds a
    possible secret withheld; ``added`` scans the lines a diff adds too. All diffs are
    scanned as one text (a scanner costs most in setting up a scan)."""
    out = dict(diffs)
    owners: list[str] = []
    text: list[str] = []
    for path, diff in out.items():
        lines = _shown(diff).splitlines()
        if added:
            lines += [line for line in diff.lines if line.startswith("+")]
        owners += [path] * len(lines)
        text += lines
    for line, kind in scan("\n".join(text) + "\n"):
        out[owners[line - 1]] = none(f"withheld: the diff holds a possible secret ({kind}); no line of it is shown")
    return out
