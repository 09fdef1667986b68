"""Where hfsync keeps its own files (digest cache, metadata cache)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The user cache directory: HFSYNC_CACHE_DIR, else $XDG_CACHE_HOME/hfsync, else ~/.cache/hfsync."""
    explicit = os.environ.get("HFSYNC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hfsync"
