"""`hfsync verify`: every difference from the lock, then the total; as text or one JSON document."""

from __future__ import annotations

from typing import Any

from hfsync.render import Output, document
from hfsync.units import human_size


def view(report: Any, fmt: str, quiet: bool = False) -> Output:
    """The verify report (hfsync.pull.verify.VerifyReport) as ``fmt``; the closing line only when all match."""
    if fmt == "json":
        return Output().raw(json(report))
    out = Output()
    for kind, labels in (("missing", report.missing), ("changed", report.changed), ("extra", report.extra),
                         ("stale", report.stale)):
        for label in labels:
            out.out(f"{kind}: {label}")
    if report.ok and not quiet:
        out.out(f"Verified {report.checked} files ({human_size(report.bytes)}): all match the lock.")
    return out


def json(report: Any) -> str:
    return document("verify", {
        "ok": report.ok, "checked": report.checked, "bytes": report.bytes,
        "missing": list(report.missing), "changed": list(report.changed), "extra": list(report.extra),
        "stale": list(report.stale),
    })
