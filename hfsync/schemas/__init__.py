"""The JSON Schemas hfsync ships: the manifest, the lock file, the saved plan and the reports.

Their one source is the repository's top-level schemas/ folder (what an editor or SchemaStore
points at, by each schema's ``$id``); the files here are links to it, which the build follows,
so the wheel carries the same bytes. They are read with importlib.resources, so an installed
wheel finds them wherever it lives; `hfsync schema NAME` prints one for editors and CI.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

NAMES = ("hfsync", "hfsync.lock", "plan", "validate.report", "lock.report", "pull.report", "verify.report",
         "scan.report", "apply.report", "upgrade.report", "info.report", "search.report", "cache-ls.report",
         "cache-prune.report", "oci-push.report", "github.report")


def text(name: str) -> str:
    """The schema ``name`` (e.g. "hfsync" for hfsync.schema.json) as JSON text."""
    return resources.files(__package__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The schema ``name`` parsed; cached, so treat it as read-only."""
    return json.loads(text(name))
