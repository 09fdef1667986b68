"""Loading manifests: hfsync.yaml files turned into a Workspace, or every located problem.

Loading collects every problem of every file before failing, so one run of
``hfsync validate`` shows them all: the YAML (yamlpos), the schema (schema), then
what a schema cannot say (checks). None of it needs the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from hfsync.errors import HfsyncError, ManifestError, Problem
from hfsync.manifest.checks import cross_file_problems, semantic_problems
from hfsync.manifest.model import DEFAULT_MANIFEST, Manifest, Workspace, build
from hfsync.manifest.schema import schema_problems
from hfsync.manifest.yamlpos import read


def manifest_paths(given: Sequence[Path]) -> list[Path]:
    """Expand ``-f`` arguments: files as given, folders to their *.yaml/*.yml files."""
    if not given:
        if not Path(DEFAULT_MANIFEST).is_file():
            # Not a problem *in* a manifest: there is none. Say where hfsync looked.
            raise HfsyncError(
                f"no {DEFAULT_MANIFEST} in {Path.cwd()} (hfsync reads ./{DEFAULT_MANIFEST} unless -f names manifests)",
                hint=f"Run hfsync in the folder holding {DEFAULT_MANIFEST}, or pass -f FILE (or -f FOLDER of *.yaml).",
            )
        return [Path(DEFAULT_MANIFEST)]
    paths: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            if not found:
                raise ManifestError([Problem(str(path), None, None, "no *.yaml manifest in folder")])
            paths.extend(found)
        else:
            paths.append(path)
    return paths


def load(given: Sequence[Path] = ()) -> Workspace:
    """Load and check manifests; raise ManifestError listing every problem found."""
    problems: list[Problem] = []
    manifests: list[Manifest] = []
    for path in manifest_paths(given):
        manifest, found = load_one(path)
        problems.extend(found)
        if manifest is not None:
            manifests.append(manifest)
    problems.extend(cross_file_problems(manifests))
    if problems:
        raise ManifestError(problems, hint="Fix the manifest and run `hfsync validate` again.")
    return Workspace(tuple(manifests))


def load_one(path: Path) -> tuple[Manifest | None, list[Problem]]:
    """Load one manifest; return it (if it could be built) and its problems."""
    document, problems = read(path)
    if document is None or problems:
        return None, problems
    problems = schema_problems(document)
    if problems:
        return None, problems
    manifest = build(document, hashlib.sha256(path.read_bytes()).hexdigest())
    return manifest, semantic_problems(document, manifest)
