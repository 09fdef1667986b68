"""A detect-secrets plugin for Hugging Face access tokens.

detect-secrets loads custom plugins from a file path (``file://...`` in its settings),
importing the file as a fresh module, so this module holds the plugin class and imports
nothing of hfsync.
"""

import re
from collections.abc import Generator

from detect_secrets.plugins.base import RegexBasedDetector


class HuggingFaceTokenDetector(RegexBasedDetector):
    """Scans for Hugging Face user access tokens (``hf_`` and 34+ letters or digits)."""

    secret_type = "Hugging Face Token"

    denylist = (re.compile(r"(?<![A-Za-z0-9_])(hf_[A-Za-z0-9]{34,})(?![A-Za-z0-9])"),)


class NpmTokenDetector(RegexBasedDetector):
    """detect-secrets' npm rule (``NpmDetector``, whose place it takes), in linear time.

    Its pattern backtracks over the rest of the line from every ``//`` of a line that holds
    no token: quadratic in the line's length (a minute for 100 KB of ``//a``). Whatever
    matches from a later ``//`` of a line matches from its first one too, so only the first
    is tried, with the same pattern and the same values yielded.
    """

    secret_type = "NPM tokens"

    denylist = (re.compile(r"//.+/:_authToken=\s*((npm_.+)|([A-Fa-f0-9-]{36})).*"),)

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for line in string.split("\n"):  # what `.` does not match
            start = line.find("//")
            if start != -1 and "/:_authToken=" in line and (match := self.denylist[0].match(line, start)):
                yield from filter(None, match.groups())
