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
from hfsync.manifest.build import build
from hfsync.manifest.checks import cross_file_problems, semantic_problems
from hfsync.manifest.model import DEFAULT_MANIFEST, Manifest, Workspace
from hfsync.manifest.schema import schema_error_paths, schema_problems
from hfsync.manifest.yamlpos import Document, Key, read


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
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    problems = schema_problems(document)
    if problems:
        # One run says everything: the entries the schema accepts are still checked.
        rest = valid_entries(document)
        return None, problems + (semantic_problems(rest, build(rest, digest)) if rest is not None else [])
    manifest = build(document, digest)
    return manifest, semantic_problems(document, manifest)


def valid_entries(document: Document) -> Document | None:
    """``document`` without the repos and pulls the schema refuses, each position kept where it
    was read; None when a problem lies outside those entries (the rest cannot be built)."""
    bad = schema_error_paths(document.data)
    if not all(len(key) >= 2 and key[0] in _ENTRIES for key in bad):
        return None
    dropped = {key[:2] for key in bad}
    data = dict(document.data)
    moved: dict[tuple[str | int, ...], tuple[str | int, ...]] = {}
    for name in _ENTRIES:
        kept = [i for i in range(len(data.get(name) or ())) if (name, i) not in dropped]
        if name in data:
            data[name] = [document.data[name][i] for i in kept]
        moved.update({(name, old): (name, new) for new, old in enumerate(kept)})

    def remap(table: dict[Key, tuple[int, int]]) -> dict[Key, tuple[int, int]]:
        out = {}
        for key, where in table.items():
            if len(key) >= 2 and key[0] in _ENTRIES:
                if key[:2] not in moved:
                    continue
                key = (*moved[key[:2]], *key[2:])
            out[key] = where
        return out

    rest = Document(document.path, data, remap(document.values), remap(document.keys))
    return rest if not schema_error_paths(rest.data) else None


_ENTRIES = ("repos", "pulls")
