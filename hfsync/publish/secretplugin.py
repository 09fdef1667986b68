"""A detect-secrets plugin for Hugging Face access tokens.

detect-secrets loads custom plugins from a file path (``file://...`` in its settings),
importing the file as a fresh module, so this module holds the plugin class and imports
nothing of hfsync.
"""

import re

from detect_secrets.plugins.base import RegexBasedDetector


class HuggingFaceTokenDetector(RegexBasedDetector):
    """Scans for Hugging Face user access tokens (``hf_`` and 34+ letters or digits)."""

    secret_type = "Hugging Face Token"

    denylist = (re.compile(r"(?<![A-Za-z0-9_])(hf_[A-Za-z0-9]{34,})(?![A-Za-z0-9])"),)
