"""`hfsync oci push`: each artifact pushed, and the blobs sent and found."""

from __future__ import annotations

from typing import Any

from hfsync.render import Output, document, in_format, plural
from hfsync.units import human_size


def push(summary: Any, fmt: str, quiet: bool = False) -> Output:
    """The push's summary (hfsync.pull.ocipush.PushSummary) as ``fmt``."""
    return in_format(fmt, quiet, lambda: _text(summary), lambda: document("oci push", {
        "artifacts": [{"key": key, "reference": where, "digest": digest} for key, where, digest in summary.artifacts],
        "uploaded": summary.uploaded, "present": summary.present, "bytes_uploaded": summary.bytes_uploaded}))


def _text(summary: Any) -> Output:
    out = Output()
    for key, where, digest in summary.artifacts:
        out.out(f"Pushed {key} to {where} ({digest}).")
    return out.out(f"{plural(summary.uploaded, 'blob')} uploaded ({human_size(summary.bytes_uploaded)}), "
                   f"{summary.present} already in the registry.")
