"""`hfsync lock`: each pin resolved, the lock files written; as text or one JSON document."""

from __future__ import annotations

from typing import Any

from hfsync.model.lock import SET_ASIDE
from hfsync.render import Output, document, in_format
from hfsync.units import human_size


def view(summary: Any, fmt: str, quiet: bool = False) -> Output:
    """The lock's summary (hfsync.pull.lock.LockSummary) as ``fmt``."""
    return in_format(fmt, quiet, lambda: text(summary), lambda: json(summary))


def text(summary: Any) -> Output:
    out = Output()
    for item in summary.resolved:
        entry, before = item.entry, item.previous
        move = f"{before.commit[:12]} -> " if before and before.commit != entry.commit else ""
        out.out(f"{entry.key}: {entry.revision} = {move}{entry.commit[:12]} "
                f"({len(entry.files)} files, {human_size(entry.size)})")
        if entry.variant:
            out.out(f"  variant {entry.variant.name}: {entry.variant.reason}")
        if item.left_out:
            out.out(f"  left out (safetensors replace them): {', '.join(item.left_out)}")
        if item.set_aside:
            out.out(f"  left out ({SET_ASIDE}): {', '.join(item.set_aside)}")
    for path in summary.reformatted:
        out.out(f"Rewrote {path} in the current format: pins unchanged; file digests are the Hub's own "
                "(blake3 is now recorded by `hfsync pull` beside each destination).")
    written = ", ".join(str(p) for p in summary.written) or "unchanged"
    return out.out(f"Lock: {len(summary.resolved)} resolved, {summary.kept} kept; {written}.")


def json(summary: Any) -> str:
    pulls = []
    for item in summary.resolved:
        entry, before = item.entry, item.previous
        pulls.append({
            "key": entry.key, "id": entry.id, "type": entry.type, "revision": entry.revision,
            "commit": entry.commit, "previous_commit": before.commit if before else None,
            "files": len(entry.files), "bytes": entry.size,
            "variant": {"name": entry.variant.name, "reason": entry.variant.reason} if entry.variant else None,
            "left_out": list(item.left_out),
            "set_aside": list(item.set_aside),
        })
    return document("lock", {"resolved": pulls, "kept": summary.kept,
                             "written": [str(p) for p in summary.written]})
