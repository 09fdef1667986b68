"""Views: one module per command, each with its text and JSON forms (as Terraform's
command views). A view reads the data its engine returned and gives back what to print;
the command prints it. Only the progress reporters (progress.py) write as they go.

Every JSON document a command prints is one object with ``format_version`` and
``command`` first, redacted (a token or a found secret never reaches it), with no character that would drive
a terminal left unescaped, and described
by a JSON Schema (``hfsync schema COMMAND.report``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from hfsync.log import redact
from hfsync.render.untrusted import json_document, terminal

FORMAT_VERSION = 1

Stream = Literal["out", "err"]


@dataclass
class Output:
    """What a command prints, in order: each part's text goes to stdout ("out") or stderr ("err") as is."""

    parts: list[tuple[Stream, str]] = field(default_factory=list)

    def out(self, text: str) -> Output:
        """``text`` and a newline on stdout, as a terminal may show it (its values come from outside)."""
        self.parts.append(("out", terminal(text, lines=True) + "\n"))
        return self

    def err(self, text: str) -> Output:
        """``text`` and a newline on stderr, as a terminal may show it."""
        self.parts.append(("err", terminal(text, lines=True) + "\n"))
        return self

    def raw(self, text: str) -> Output:
        """``text`` as it is (already ending in a newline, or meant to run on) on stdout: a view
        that gives raw text has neutralised what came from outside itself (hfsync.render.untrusted)."""
        if text:
            self.parts.append(("out", text))
        return self

    @property
    def stdout(self) -> str:
        return "".join(text for stream, text in self.parts if stream == "out")


def document(command: str, body: dict[str, Any]) -> str:
    """One JSON report: ``format_version`` and ``command``, then ``body``; redacted."""
    data = {"format_version": FORMAT_VERSION, "command": command, **body}
    return json_document(redact(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))) + "\n"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


def in_format(fmt: str, quiet: bool, text: Callable[[], Output], as_json: Callable[[], str]) -> Output:
    """The JSON document when ``fmt`` is json (even under -q: a script asked for it), else the
    text, or nothing when ``quiet``."""
    if fmt == "json":
        return Output().raw(as_json())
    return Output() if quiet else text()
