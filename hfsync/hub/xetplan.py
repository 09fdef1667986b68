"""The Xet reuse plan: which bytes of a new file the previous local copy already holds.

Pure: it reads two reconstructions' terms and says, piece by piece, where each byte of the
new file comes from. A file's reconstruction lists terms: (xorb, chunk range [start, end),
unpacked length); the file is those chunks in order. Where a term of the new file covers
chunks of a xorb that a term of the old file also covers, those bytes sit in the old file
at an offset computable from unpacked lengths: every term says "chunk ``end`` starts
``length`` bytes after chunk ``start``" in its xorb, and the terms of both files together
place chunk boundaries relative to each other (a weighted union-find). hfsync.hub.xetpull
copies those bytes from the old file and fetches the rest from the CAS.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    xorb: str
    start: int
    end: int
    length: int


@dataclass(frozen=True)
class Piece:
    """``length`` bytes of the new file: from ``local`` (offset in the old file), or term ``term``."""

    length: int
    local: int | None
    term: Term | None = None


class _Places:
    """Chunk boundaries of each xorb placed relative to each other (a weighted union-find)."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, int], tuple[tuple[str, int], int]] = {}

    def find(self, node: tuple[str, int]) -> tuple[tuple[str, int], int]:
        """(root, position of ``node`` minus position of root)."""
        offset = 0
        path = []
        while node in self.parent and self.parent[node][0] != node:
            up, delta = self.parent[node]
            path.append((node, delta))
            offset += delta
            node = up
        return node, offset

    def join(self, xorb: str, start: int, end: int, length: int) -> None:
        (ra, oa), (rb, ob) = self.find((xorb, start)), self.find((xorb, end))
        if ra != rb:  # pos(end) = pos(start) + length  =>  pos(rb) = pos(ra) + oa + length - ob
            self.parent[rb] = (ra, oa + length - ob)
            self.parent.setdefault(ra, (ra, 0))

    def distance(self, xorb: str, a: int, b: int) -> int | None:
        """pos(b) - pos(a), when the terms seen determine it."""
        (ra, oa), (rb, ob) = self.find((xorb, a)), self.find((xorb, b))
        return ob - oa if ra == rb else None


def plan(new: list[Term], old: list[Term]) -> list[Piece]:
    """The new file as pieces: copied from the old file where its terms place the bytes
    exactly, fetched otherwise. Adjacent copies are merged."""
    places = _Places()
    for term in (*old, *new):
        places.join(term.xorb, term.start, term.end, term.length)
    covered: dict[str, list[tuple[Term, int]]] = {}
    offset = 0
    for term in old:
        covered.setdefault(term.xorb, []).append((term, offset))
        offset += term.length
    pieces: list[Piece] = []
    for term in new:
        local = None
        for have, at in covered.get(term.xorb, ()):
            if have.start <= term.start and term.end <= have.end:
                skip = places.distance(term.xorb, have.start, term.start)
                if skip is not None and 0 <= skip and skip + term.length <= have.length:
                    local = at + skip
                    break
        last = pieces[-1] if pieces else None
        if local is not None and last is not None and last.local is not None and last.local + last.length == local:
            pieces[-1] = Piece(last.length + term.length, last.local)
        else:
            pieces.append(Piece(term.length, local, None if local is not None else term))
    return pieces
