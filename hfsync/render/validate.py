"""`hfsync validate`: the count of what is valid, or every problem as one JSON document.

Problems as text are the error the command raises (file:line:column: message)."""

from __future__ import annotations

from typing import Any

from hfsync.render import Output, document, plural


def view(validation: Any, fmt: str, quiet: bool = False) -> Output:
    """The validation (hfsync.publish.checks.Validation) as ``fmt``; as text, a line only when all is valid."""
    if fmt == "json":
        return Output().raw(json(validation))
    shown = Output()
    for warning in getattr(validation, "warnings", ()):
        shown.err(f"Warning: {warning}")
    if quiet or validation.problems:
        return shown
    repos = sum(len(m.repos) for m in validation.manifests)
    pulls = sum(len(m.pulls) for m in validation.manifests)
    return shown.out(f"{plural(len(validation.manifests), 'manifest')} valid: "
                        f"{plural(repos, 'repo')}, {plural(pulls, 'pull')}.")


def json(validation: Any) -> str:
    manifests = validation.manifests
    body = {
        "valid": not validation.problems,
        "manifests": [str(m.path) for m in manifests],
        "repos": sum(len(m.repos) for m in manifests),
        "pulls": sum(len(m.pulls) for m in manifests),
        "problems": [_located(p) for p in validation.problems],
    }
    if warnings := getattr(validation, "warnings", ()):
        body["warnings"] = [_located(p) for p in warnings]
    return document("validate", body)


def _located(problem: Any) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "column": problem.column, "message": problem.message}
