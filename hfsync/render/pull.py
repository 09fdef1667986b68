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
    files, size = _in_place(summary)
    # The files' size is what verify counts; what the transfer fetched (framing, a resumed tail) may differ.
    resumed = f" ({summary.resumed} resumed)" if summary.resumed else ""
    return out.out(f"Pulled {plural(summary.pulls, 'pull')}: {plural(files, 'file')} ({human_size(size)}) as the "
                   f"lock pins them, {summary.downloaded} downloaded{resumed}, {summary.present} already in place; "
                   f"{human_size(summary.bytes_downloaded)} fetched.")


def _in_place(summary: Any) -> tuple[int, int]:
    """Files verified in place after the run, and their bytes (the pins' sizes)."""
    records = summary.records.values()
    return sum(r.verified for r in records), sum(r.bytes_verified for r in records)


def json(summary: Any) -> str:
    files, size = _in_place(summary)
    return document("pull", {
        "pulls": summary.pulls, "files": files, "bytes": size, "downloaded": summary.downloaded,
        "present": summary.present, "resumed": summary.resumed, "bytes_downloaded": summary.bytes_downloaded,
        "locks_written": [str(p) for p in summary.locks_written], "replaced": list(summary.replaced),
    })
