"""`hfsync verify`: every difference from the lock, then the total; as text or one JSON document."""

from __future__ import annotations

import dataclasses
from typing import Any

from hfsync.model.verify import Difference
from hfsync.render import Output, document
from hfsync.units import human_size


def view(report: Any, fmt: str, quiet: bool = False) -> Output:
    """The verify report (hfsync.pull.verify.VerifyReport) as ``fmt``; the closing line only when all match."""
    if fmt == "json":
        return Output().raw(json(report))
    out = Output()
    for label in report.missing:
        out.out(f"missing: {label}")
    for difference in report.changed:
        out.out(f"changed: {_difference(difference)}")
    for kind, labels in (("extra", report.extra), ("stale", report.stale)):
        for label in labels:
            out.out(f"{kind}: {label}")
    if report.ok and not quiet:
        out.out(f"Verified {report.checked} files ({human_size(report.bytes)}): all match the lock.")
    return out


def _difference(d: Difference) -> str:
    if d.check == "size":
        return f"{d.file} ({d.found} bytes, pinned {d.expected})"
    if d.check in ("sha256", "git-sha1", "blake3"):
        kind = {"git-sha1": "git blob id"}.get(d.check, d.check)
        against = "recorded" if d.check == "blake3" else "pinned"
        return f"{d.file} ({kind} {str(d.found)[:16]}…, {against} {str(d.expected)[:16]}…)"
    return f"{d.file} ({d.problem})"


def json(report: Any) -> str:
    return document("verify", {
        "ok": report.ok, "checked": report.checked, "bytes": report.bytes,
        "missing": list(report.missing), "changed": [dataclasses.asdict(d) for d in report.changed],
        "extra": list(report.extra), "stale": list(report.stale),
    })
