"""What `pull` and `verify` did, per pinned pull, as Prometheus text-format metrics.

The file is meant for node_exporter's textfile collector: it is written atomically
(a scrape never sees half of it), and every sample of one pull carries the pull and
its pinned commit as labels, so a fleet dashboard shows which machine holds which pin
and whether it still verifies. `pull` and `verify` use their own metric names
(``hfsync_pull_*``, ``hfsync_verify_*``) so both files can sit in one collector folder.
A pull that failed this run keeps the last success time the previous file recorded.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.paths import atomic_write


@dataclass
class PullRecord:
    """One run's account of one pinned pull."""

    key: str
    commit: str
    files: int = 0  # files the lock pins
    verified: int = 0  # on disk and matching the lock after this run
    bytes_verified: int = 0
    missing: int = 0
    changed: int = 0  # verify: differs from the lock; pull: could not be pulled verified
    extra: int = 0
    sources: dict[str, int] = field(default_factory=dict)  # bytes installed from each source
    rejected: dict[str, int] = field(default_factory=dict)  # files each source failed to give
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verified == self.files and not (self.missing or self.changed or self.extra)

    def took(self, source: str, size: int) -> None:
        self.sources[source] = self.sources.get(source, 0) + size

    def refused(self, source: str) -> None:
        self.rejected[source] = self.rejected.get(source, 0) + 1


# (name suffix, help, the record's value) for the per-pull gauges.
_GAUGES = (
    ("files", "Files the lock pins for this pull.", lambda r: r.files),
    ("files_verified", "Files on disk that match the lock.", lambda r: r.verified),
    ("bytes_verified", "Bytes on disk that match the lock.", lambda r: r.bytes_verified),
    ("files_missing", "Pinned files not on disk.", lambda r: r.missing),
    ("files_changed", "Pinned files whose bytes differ from the lock (or could not be pulled verified).",
     lambda r: r.changed),
    ("duration_seconds", "Seconds this run spent on the pull.", lambda r: round(r.seconds, 3)),
    ("success", "1 when every pinned file is on disk and verified, else 0.", lambda r: int(r.ok)),
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _family(lines: list[str], name: str, help_text: str, samples: Iterable[tuple[str, float]]) -> None:
    samples = list(samples)
    if not samples:
        return
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{labels} {value}" for labels, value in samples]


_VALUE = r'"((?:[^"\\]|\\.)*)"'
_LAST = re.compile(rf"^(hfsync_\w+_last_success_timestamp_seconds)\{{pull={_VALUE},commit={_VALUE}\}} (\S+)$")


def _previous_successes(path: Path, name: str) -> dict[str, tuple[str, float]]:
    """The last success times an earlier run wrote: pull label -> (commit label, time)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in text.splitlines():
        match = _LAST.match(line)
        if match and match.group(1) == name:
            try:
                found[match.group(2)] = (match.group(3), float(match.group(4)))
            except ValueError:
                continue
    return found


def _per_source(records: list[PullRecord], counts: str) -> Iterator[tuple[str, float]]:
    for r in records:
        for source, n in sorted(getattr(r, counts).items()):
            yield _labels(pull=r.key, commit=r.commit, source=source), n


def render(command: str, records: Iterable[PullRecord], *, ok: bool, now: float,
           previous: dict[str, tuple[str, float]] | None = None) -> str:
    """The metrics text for one run of ``command`` (``pull`` or ``verify``)."""
    records = sorted(records, key=lambda r: r.key)
    prefix = f"hfsync_{command}"
    lines: list[str] = []
    for suffix, help_text, value in _GAUGES:
        _family(lines, f"{prefix}_{suffix}", help_text,
                ((_labels(pull=r.key, commit=r.commit), value(r)) for r in records))
    if command == "verify":
        _family(lines, f"{prefix}_files_extra", "Files in the destination that the lock does not pin.",
                ((_labels(pull=r.key, commit=r.commit), r.extra) for r in records))
    else:
        _family(lines, f"{prefix}_source_bytes", "Bytes of verified files taken from each source this run.",
                _per_source(records, "sources"))
        _family(lines, f"{prefix}_source_files_rejected",
                "Files a source lacked, failed to serve, or served with bytes that do not match the lock.",
                _per_source(records, "rejected"))
    # Label values as the file holds them (escaped): read back and written back unchanged.
    last = dict(previous or {})
    for r in records:
        if r.ok:
            last[_escape(r.key)] = (_escape(r.commit), now)
    _family(lines, f"{prefix}_last_success_timestamp_seconds", "When this pull last verified completely (Unix time).",
            ((f'{{pull="{key}",commit="{commit}"}}', stamp) for key, (commit, stamp) in sorted(last.items())))
    _family(lines, f"{prefix}_run_success", "1 when the whole run succeeded, else 0.", [("", int(ok))])
    _family(lines, f"{prefix}_run_timestamp_seconds", "When this run ended (Unix time).", [("", now)])
    return "\n".join(lines) + "\n"


def write_metrics(path: Path, command: str, records: Iterable[PullRecord], *, ok: bool,
                  now: float | None = None) -> None:
    """Write ``path`` atomically; success times of pulls that failed (or were not run) are kept."""
    previous = _previous_successes(path, f"hfsync_{command}_last_success_timestamp_seconds")
    atomic_write(path, render(command, records, ok=ok, now=time.time() if now is None else now, previous=previous))


@contextlib.contextmanager
def metrics_written(path: Path | None, command: str, records: Callable[[], Iterable[PullRecord]]) -> Iterator[None]:
    """Write the ``records()`` of the run to ``path`` (when given) as the block exits, whether it
    succeeded or raised; the run counts as a success when nothing was raised and every pull verified."""
    ok = False
    try:
        yield
        ok = True
    finally:
        if path is not None:
            final = list(records())
            write_metrics(path, command, final, ok=ok and all(r.ok for r in final))
