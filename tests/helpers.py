"""Running the CLI the way a user does, in-process, and capturing everything it prints."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from hfsync.cli.main import run


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def hfsync(*args: str) -> Result:
    """Run ``hfsync ARGS`` in-process through the real error boundary."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return Result(code, out.getvalue(), err.getvalue())
