"""The one error root of hfsync.

Every expected failure is an ``HfsyncError``: a message saying what happened and where,
an optional hint saying what to do, and the exit code. The CLI turns them into text at
one boundary (``hfsync.cli.main``); nothing else prints errors.
"""

from __future__ import annotations

from dataclasses import dataclass


class HfsyncError(Exception):
    """An expected failure, reported to the user without a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def explained(self) -> str:
        """Message and hint on one line: what a plan shows as one target's error."""
        if not self.hint:
            return self.message
        # Two sentences, however the message ends.
        stop = "" if self.message.rstrip().endswith((".", "!", "?", ":")) else "."
        return f"{self.message}{stop} {self.hint}"


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file (a manifest, a lock, a plan)."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ManifestError(HfsyncError):
    """One or more problems in manifests; all are reported in one run."""

    def __init__(self, problems: list[Problem], hint: str | None = None) -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.message)
        )
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the manifest:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]), hint)


class HubError(HfsyncError):
    """The Hub refused or failed an operation hfsync needed."""


class Unavailable(HubError):
    """A server or the network kept failing past the retry policy (a connection cut, a 5xx, a rate
    limit): the same request may well succeed when made again later."""


class AccessError(HubError):
    """The Hub keeps a gated repo's files from this token until access is granted."""


class StalePlanError(HfsyncError):
    """A saved plan no longer matches the Hub or the local files."""


STALE_HINT = "Run `hfsync plan` again and review the new plan."  # what to do about a StalePlanError


class LockError(HfsyncError):
    """The lock file is missing, unreadable or out of step with the manifest."""


class VerifyError(HfsyncError):
    """Pulled files on disk do not match the lock."""


class SecretFoundError(HfsyncError):
    """The secret scan found something that must not be published."""


# What resolves a secret finding, said wherever one is reported (scan, plan, apply).
SECRET_FIX = (
    "Remove the secret (and rotate it if it was ever shared); or leave the file out of the target "
    "(`source.exclude: [\"PATH\"]` in the manifest); or, for a false positive, record it in an audited "
    "baseline: `detect-secrets scan --baseline .secrets.baseline SOURCE` then "
    "`detect-secrets audit .secrets.baseline` and answer that it is not a secret."
)


class PolicyError(HfsyncError):
    """The manifest or the Hub violates the declared policy."""


class Interrupted(HfsyncError):
    """^C stopped a run after it reported what it had done (exit 130, like an interrupt)."""

    exit_code = 130


class OfflineError(HfsyncError):
    """An offline run needed something that is not on disk."""


class GitHubError(HfsyncError):
    """The GitHub API refused or failed a call (a comment, an issue)."""


class ContentError(HfsyncError):
    """Downloaded bytes are not what the lock pins (digest mismatch, bad safetensors header)."""
