"""The manifest: hfsync.yaml files turned into frozen dataclasses, or located problems.

Loading collects every problem of every file before failing, so one run of
``hfsync validate`` shows them all. Checks here need no network.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub.utils import HFValidationError, validate_repo_id

from hfsync.errors import ManifestError, Problem
from hfsync.hubdata import LICENSES
from hfsync.schema import schema_problems
from hfsync.yamlsource import Document, Key, read

DEFAULT_MANIFEST = "hfsync.yaml"


@dataclass(frozen=True)
class Location:
    """Where a manifest entry was declared."""

    file: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Defaults:
    namespace: str | None = None
    private: bool | None = None


@dataclass(frozen=True)
class Policy:
    licenses: tuple[str, ...] | None = None
    safetensors_only: bool = True
    private_by_default: bool = False
    libraries: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Source:
    path: Path
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    prune: bool = False
    allow_unsafe: bool = False


@dataclass(frozen=True)
class Card:
    generate: bool = True
    metadata: Mapping[str, Any] = field(default_factory=dict)
    training: Path | None = None
    metrics: Path | None = None


@dataclass(frozen=True)
class Space:
    sdk: str | None = None
    hardware: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RepoTarget:
    """A repo the team publishes. ``None`` settings are not managed by hfsync."""

    id: str
    type: str
    source: Source
    location: Location
    private: bool | None = None
    gated: str | bool | None = None
    description: str | None = None
    revision: str = "main"
    tags: tuple[str, ...] = ()
    card: Card = field(default_factory=Card)
    space: Space | None = None

    @property
    def key(self) -> str:
        """The target's address in plans and --target: ``type:id`` but plain id for models."""
        return self.id if self.type == "model" else f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Pull:
    """A repo the team consumes, pinned in the lock file next to its manifest."""

    id: str
    type: str
    location: Location
    revision: str = "main"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    dest: Path | None = None
    cache: bool = False
    allow_unsafe: bool = False
    variant: str | None = None
    max_memory: int | None = None

    @property
    def key(self) -> str:
        return self.id if self.type == "model" else f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Manifest:
    """One manifest file."""

    path: Path
    digest: str
    defaults: Defaults
    policy: Policy
    repos: tuple[RepoTarget, ...]
    pulls: tuple[Pull, ...]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def lock_path(self) -> Path:
        return self.path.with_name("hfsync.lock") if self.path.name == DEFAULT_MANIFEST else (
            self.path.with_suffix(".lock")
        )


@dataclass(frozen=True)
class Workspace:
    """Every manifest given to one command."""

    manifests: tuple[Manifest, ...]

    @property
    def repos(self) -> Iterator[tuple[Manifest, RepoTarget]]:
        return ((m, r) for m in self.manifests for r in m.repos)

    @property
    def pulls(self) -> Iterator[tuple[Manifest, Pull]]:
        return ((m, p) for m in self.manifests for p in m.pulls)


def manifest_paths(given: Sequence[Path]) -> list[Path]:
    """Expand ``-f`` arguments: files as given, folders to their *.yaml/*.yml files."""
    if not given:
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
    problems.extend(_cross_file_problems(manifests))
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
    manifest = _build(document, hashlib.sha256(path.read_bytes()).hexdigest())
    return manifest, _semantic_problems(document, manifest)


# --- building -----------------------------------------------------------------------


def _loc(document: Document, key: Key) -> Location:
    line, column = document.where(key)
    return Location(document.path, line, column)


def _qualify(name: str, defaults: Defaults) -> str:
    if "/" not in name and defaults.namespace:
        return f"{defaults.namespace}/{name}"
    return name


_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_size(value: int | str) -> int:
    """``8GB`` -> 8e9 bytes; ``512MiB`` -> 512 * 2**20; integers are bytes."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?) ?([KMGT]i?B|B)?", value.strip())
    if not match:
        raise ValueError(f"not a size: {value!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").upper()])


def _build(document: Document, digest: str) -> Manifest:
    data = document.data
    root = document.path.parent
    raw_defaults = data.get("defaults", {})
    defaults = Defaults(raw_defaults.get("namespace"), raw_defaults.get("private"))
    raw_policy = data.get("policy", {})
    licenses = raw_policy.get("licenses")
    policy = Policy(
        licenses=tuple(licenses) if licenses is not None else None,
        safetensors_only=raw_policy.get("safetensors_only", True),
        private_by_default=raw_policy.get("private_by_default", False),
        libraries=tuple(raw_policy["libraries"]) if "libraries" in raw_policy else None,
    )
    repos = []
    for index, raw in enumerate(data.get("repos", [])):
        src = raw["source"]
        card = raw.get("card", {})
        space = raw.get("space")
        private = raw.get("private", defaults.private)
        if private is None and policy.private_by_default:
            private = True
        repos.append(
            RepoTarget(
                id=_qualify(raw["id"], defaults),
                type=raw.get("type", "model"),
                source=Source(
                    path=root / src["path"],
                    include=tuple(src.get("include", ())),
                    exclude=tuple(src.get("exclude", ())),
                    prune=src.get("prune", False),
                    allow_unsafe=src.get("allow_unsafe", False),
                ),
                location=_loc(document, ("repos", index)),
                private=private,
                gated=raw.get("gated"),
                description=raw.get("description"),
                revision=raw.get("revision", "main"),
                tags=tuple(raw.get("tags", ())),
                card=Card(
                    generate=card.get("generate", True),
                    metadata=dict(card.get("metadata", {})),
                    training=root / card["training"] if "training" in card else None,
                    metrics=root / card["metrics"] if "metrics" in card else None,
                ),
                space=Space(space.get("sdk"), space.get("hardware"), dict(space.get("variables", {})))
                if space is not None
                else None,
            )
        )
    pulls = []
    for index, raw in enumerate(data.get("pulls", [])):
        pulls.append(
            Pull(
                id=_qualify(raw["id"], defaults),
                type=raw.get("type", "model"),
                location=_loc(document, ("pulls", index)),
                revision=raw.get("revision", "main"),
                include=tuple(raw.get("include", ())),
                exclude=tuple(raw.get("exclude", ())),
                dest=root / raw["dest"] if "dest" in raw else None,
                cache=raw.get("cache", False),
                allow_unsafe=raw.get("allow_unsafe", False),
                variant=raw.get("variant"),
                max_memory=parse_size(raw["max_memory"]) if "max_memory" in raw else None,
            )
        )
    return Manifest(document.path, digest, defaults, policy, tuple(repos), tuple(pulls))


# --- semantic checks ----------------------------------------------------------------


def _id_problem(repo_id: str) -> str | None:
    if "/" not in repo_id:
        return (
            f"repo id '{repo_id}' has no namespace; write 'namespace/{repo_id}' "
            "or set defaults.namespace"
        )
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return (
            f"invalid repo id '{repo_id}'; expected 'namespace/name' using letters, digits, "
            "'-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..', "
            "at most 96 characters"
        )
    return None


def _glob_problem(pattern: str) -> str | None:
    if pattern.startswith("/") or "\\" in pattern:
        return f"glob '{pattern}' must be a relative pattern with forward slashes"
    if ".." in pattern.split("/"):
        return f"glob '{pattern}' must not contain '..'"
    depth = 0
    for char in pattern:
        depth += char == "["
        depth -= char == "]" and depth > 0
    if depth:
        return f"glob '{pattern}' has an unclosed '['"
    return None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _semantic_problems(document: Document, manifest: Manifest) -> list[Problem]:
    problems: list[Problem] = []
    data = document.data
    for index, license_id in enumerate(data.get("policy", {}).get("licenses", [])):
        if license_id not in LICENSES:
            problems.append(
                document.problem(
                    ("policy", "licenses", index),
                    f"unknown license id '{license_id}'; expected a Hub license id "
                    "such as apache-2.0, mit or cc-by-4.0",
                )
            )
    for index, repo in enumerate(manifest.repos):
        raw = data["repos"][index]
        base: Key = ("repos", index)
        if message := _id_problem(repo.id):
            problems.append(document.problem((*base, "id"), message))
        source_key = (*base, "source", "path")
        raw_path = raw["source"]["path"]
        if os.path.isabs(raw_path) or not _inside(repo.source.path, manifest.root):
            problems.append(
                document.problem(
                    source_key,
                    f"source path '{raw_path}' leaves the manifest's folder "
                    f"{manifest.root}; expected a folder inside it",
                )
            )
        elif not repo.source.path.is_dir():
            what = "is not a folder" if repo.source.path.exists() else "does not exist"
            problems.append(document.problem(source_key, f"source path '{raw_path}' {what}"))
        for field_name in ("include", "exclude"):
            for gi, pattern in enumerate(raw["source"].get(field_name, [])):
                if message := _glob_problem(pattern):
                    problems.append(document.problem((*base, "source", field_name, gi), message))
        if repo.space is not None and repo.type != "space":
            problems.append(
                document.problem((*base, "space"), f"'space' settings need type: space, not {repo.type}")
            )
        if repo.type == "space" and (repo.space is None or repo.space.sdk is None):
            problems.append(
                document.problem(base, "a space needs space.sdk (gradio, streamlit, docker or static)")
            )
        for field_name in ("training", "metrics"):
            value = raw.get("card", {}).get(field_name)
            path = getattr(repo.card, field_name)
            if value is not None and (not _inside(path, manifest.root) or not path.is_file()):
                problems.append(
                    document.problem(
                        (*base, "card", field_name),
                        f"card {field_name} file '{value}' does not exist inside the manifest's folder",
                    )
                )
    for index, pull in enumerate(manifest.pulls):
        raw = data["pulls"][index]
        base = ("pulls", index)
        if message := _id_problem(pull.id):
            problems.append(document.problem((*base, "id"), message))
        has_dest, has_cache = "dest" in raw, bool(raw.get("cache"))
        if has_dest == has_cache:
            problems.append(
                document.problem(
                    base,
                    f"pull '{pull.id}' needs exactly one of 'dest: FOLDER' or 'cache: true'"
                    + (", not both" if has_dest else ""),
                )
            )
        for field_name in ("include", "exclude"):
            for gi, pattern in enumerate(raw.get(field_name, [])):
                if message := _glob_problem(pattern):
                    problems.append(document.problem((*base, field_name, gi), message))
        if pull.variant is not None and pull.variant != "auto" and not pull.variant.strip():
            problems.append(document.problem((*base, "variant"), "variant must be 'auto' or a file name"))
    return problems


def _cross_file_problems(manifests: Iterable[Manifest]) -> list[Problem]:
    problems: list[Problem] = []
    seen_repos: dict[tuple[str, str], Location] = {}
    seen_pulls: dict[tuple[str, str], Location] = {}
    seen_dests: dict[Path, tuple[str, Location]] = {}
    for manifest in manifests:
        for repo in manifest.repos:
            first = seen_repos.setdefault((repo.type, repo.id), repo.location)
            if first is not repo.location:
                message = f"duplicate {repo.type} '{repo.id}'; first declared at {first}"
                problems.append(_at(repo.location, message))
        for pull in manifest.pulls:
            first = seen_pulls.setdefault((pull.type, pull.id), pull.location)
            if first is not pull.location:
                message = f"duplicate pull of {pull.type} '{pull.id}'; first declared at {first}"
                problems.append(_at(pull.location, message))
            if pull.dest is None:
                continue
            dest = Path(os.path.normpath(pull.dest.absolute()))
            for other, (other_id, other_loc) in seen_dests.items():
                if dest == other or dest.is_relative_to(other) or other.is_relative_to(dest):
                    problems.append(
                        _at(
                            pull.location,
                            f"pull '{pull.id}' writes to {dest}, which overlaps where "
                            f"'{other_id}' ({other_loc}) writes; give each pull its own folder",
                        )
                    )
            seen_dests.setdefault(dest, (pull.id, pull.location))
    return problems


def _at(location: Location, message: str) -> Problem:
    return Problem(str(location.file), location.line, location.column, message)
