"""`hfsync oci push`: each artifact pushed, and the blobs sent and found."""

from __future__ import annotations

from typing import Any

from hfsync.render import Output, plural
from hfsync.units import human_size


def push(summary: Any, quiet: bool = False) -> Output:
    """The push's summary (hfsync.pull.ocipush.PushSummary)."""
    out = Output()
    if quiet:
        return out
    for key, where, digest in summary.artifacts:
        out.out(f"Pushed {key} to {where} ({digest}).")
    return out.out(f"{plural(summary.uploaded, 'blob')} uploaded ({human_size(summary.bytes_uploaded)}), "
                   f"{summary.present} already in the registry.")
