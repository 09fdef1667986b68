"""``--format json`` for validate, lock, pull, verify, scan and apply: one JSON document each.

Each view reads the summary its engine returns (duck-typed: a view imports no engine) and
writes a document described by a JSON Schema shipped in hfsync/schemas/ (``<command>.report``).
Every document is redacted: a token or found secret never reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hfsync.errors import Problem
from hfsync.log import redact

FORMAT_VERSION = 1


def _document(command: str, body: dict[str, Any]) -> str:
    data = {"format_version": FORMAT_VERSION, "command": command, **body}
    return redact(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)) + "\n"


def _paths(paths: Iterable[Path | str]) -> list[str]:
    return [str(p) for p in paths]


def validate(problems: list[Problem], workspace: Any = None) -> str:
    """`hfsync validate`: ``workspace`` (a manifest Workspace) is None when loading failed."""
    manifests = list(workspace.manifests) if workspace is not None else []
    return _document("validate", {
        "valid": not problems,
        "manifests": [str(m.path) for m in manifests],
        "repos": sum(len(m.repos) for m in manifests),
        "pulls": sum(len(m.pulls) for m in manifests),
        "problems": [{"file": p.file, "line": p.line, "column": p.column, "message": p.message} for p in problems],
    })


def lock(summary: Any) -> str:
    """`hfsync lock`, from its LockSummary."""
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
    return _document("lock", {"resolved": pulls, "kept": summary.kept, "written": _paths(summary.written)})


def pull(summary: Any) -> str:
    """`hfsync pull`, from its PullSummary."""
    return _document("pull", {
        "pulls": summary.pulls, "downloaded": summary.downloaded, "present": summary.present,
        "bytes_downloaded": summary.bytes_downloaded, "locks_written": _paths(summary.locks_written),
        "replaced": list(summary.replaced),
    })


def verify(report: Any) -> str:
    """`hfsync verify`, from its VerifyReport."""
    return _document("verify", {
        "ok": report.ok, "checked": report.checked, "bytes": report.bytes,
        "missing": list(report.missing), "changed": list(report.changed), "extra": list(report.extra),
        "stale": list(report.stale),
    })


def scan(report: Any) -> str:
    """`hfsync scan`, from its ScanReport: findings name file, line, type and fingerprint only."""
    return _document("scan", {
        "clean": not report.findings,
        "findings": [{"path": f.path, "line": f.line, "type": f.type, "fingerprint": f.fingerprint}
                     for f in report.findings],
        "files": report.files, "binary": report.binary, "bytes": report.bytes, "silenced": report.silenced,
    })


def apply(result: Any) -> str:
    """The apply report, from its ApplyResult."""
    return _document("apply", {
        "complete": not result.failures and not result.interrupted,
        "interrupted": result.interrupted,
        "targets": [{"key": t.key, "commit": t.commit, "done": list(t.done), "warnings": list(t.warnings),
                     "error": t.error} for t in result.targets],
    })
