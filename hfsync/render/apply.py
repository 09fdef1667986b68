"""`hfsync apply`: what was done per target, the closing line and what failed; as text or JSON."""

from __future__ import annotations

from typing import Any

from hfsync.render import Output, document, plural

INTERRUPTING = ("Interrupt received: letting the commits in flight finish; nothing new starts "
                "(^C again to stop at once).")


def view(result: Any, fmt: str) -> Output:
    """The apply result (hfsync.publish.apply.ApplyResult) as ``fmt``."""
    return Output().raw(json(result)) if fmt == "json" else text(result)


def text(result: Any) -> Output:
    out = Output()
    for target in result.targets:
        for item in target.done:
            out.out(f"{target.key}: {item}")
        for warning in target.warnings:
            out.out(f"Warning: {target.key}: {warning}")
    ok = plural(len(result.targets) - len(result.failures), "target")
    if result.interrupted:
        return out.out(f"Apply interrupted: {ok} published, {len(result.failures)} not.")
    return out.out(f"Apply complete: {ok} published." if not result.failures
                   else f"Apply incomplete: {ok} published, {len(result.failures)} failed.")


def failure(result: Any) -> str | None:
    """The targets that failed or never started, as the error's message; None when all succeeded."""
    if not result.failures:
        return None
    head = "apply was interrupted; not published:" if result.interrupted else "apply failed for:"
    return head + "\n" + "\n".join(f"  {t.key}: {t.error}" for t in result.failures)


def json(result: Any) -> str:
    return document("apply", {
        "complete": not result.failures and not result.interrupted,
        "interrupted": result.interrupted,
        "targets": [{"key": t.key, "commit": t.commit, "done": list(t.done), "warnings": list(t.warnings),
                     "error": t.error, "bytes_sent": t.bytes_sent} for t in result.targets],
    })
