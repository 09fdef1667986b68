"""`hfsync pull`: what was installed; as text or one JSON document."""

from __future__ import annotations

from typing import Any

from hfsync.render import Output, document, in_format, plural
from hfsync.units import human_size


def view(summary: Any, fmt: str, quiet: bool = False) -> Output:
    """The pull's summary (hfsync.pull.install.PullSummary) as ``fmt``."""
    return in_format(fmt, quiet, lambda: text(summary), lambda: json(summary))


def text(summary: Any) -> Output:
    out = Output()
    for path in summary.locks_written:
        out.out(f"Wrote {path}.")
    if summary.replaced:
        count = len(summary.replaced)
        out.out(f"Replaced {plural(count, 'file')} edited since "
                f"{'they were' if count != 1 else 'it was'} pulled (the lock decides what they hold):")
        for label in summary.replaced:
            out.out(f"  {label}")
    return out.out(f"Pulled {plural(summary.pulls, 'pull')}: {summary.downloaded} "
                   f"downloaded ({human_size(summary.bytes_downloaded)}), {summary.present} already in place.")


def json(summary: Any) -> str:
    return document("pull", {
        "pulls": summary.pulls, "downloaded": summary.downloaded, "present": summary.present,
        "bytes_downloaded": summary.bytes_downloaded, "locks_written": [str(p) for p in summary.locks_written],
        "replaced": list(summary.replaced),
    })
