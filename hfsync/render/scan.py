"""`hfsync scan`: each finding (file, line, type; never the secret), then the count."""

from __future__ import annotations

from typing import Any

from hfsync.errors import SECRET_FIX
from hfsync.render import Output, document, plural


def view(report: Any, fmt: str) -> Output:
    """The scan report (hfsync.publish.scan.ScanReport) as ``fmt``."""
    if fmt == "json":
        return Output().raw(json(report))
    out = Output()
    for finding in report.findings:
        out.out(str(finding))
    silenced = f", {report.silenced} allowed by the baseline" if report.silenced else ""
    if report.findings:
        flagged = plural(len({f.path for f in report.findings}), "file")
        out.err(f"{plural(len(report.findings), 'possible secret')} in {flagged} "
                f"({plural(report.files, 'file')} scanned, {report.binary} binary{silenced}).")
        return out.err(f"Hint: {SECRET_FIX}")
    return out.err(f"No secrets in {plural(report.files, 'file')} ({report.binary} binary){silenced}.")


def json(report: Any) -> str:
    return document("scan", {
        "clean": not report.findings,
        "findings": [{"path": f.path, "line": f.line, "type": f.type, "fingerprint": f.fingerprint}
                     for f in report.findings],
        "files": report.files, "files_with_findings": len({f.path for f in report.findings}),
        "binary": report.binary, "bytes": report.bytes, "silenced": report.silenced,
    })
