"""The plan: what ``apply`` will do, as plain, versioned data.

A Plan holds one TargetChange per target. A target change carries everything apply
needs and every renderer shows: the action, the remote head it was planned against,
setting changes, card metadata changes, file changes with their digests, refs to
create, generic changes that other engines plug in (pull drift, card generation,
findings), and errors/warnings. Reasons explain a change; they never steer apply.

Nothing here talks to the Hub or the disk; ``to_dict``/``from_dict`` are the saved
plan format (``FORMAT_VERSION``), documented by schemas/plan.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hfsync import schemas
from hfsync.errors import HfsyncError
from hfsync.model.inspect import FileDiff
from hfsync.paths import atomic_write

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

FORMAT_VERSION = 2
# Plans this hfsync still reads: version 1 is version 2 without content diffs.
READABLE_VERSIONS = (1, 2)


class Action(StrEnum):
    """What a change does: Terraform's create (+), update (~) and delete (-), or nothing."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "no-op"


def shown(value: Any) -> str:
    """A setting or metadata value as plans write it: JSON (strings quoted, null for absent)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# The closing words of notes, as hfsync writes them after every value it interpolates: markdown
# shows their code spans (the value before them stays escaped). A note that is one of them is all hfsync's.
RUN_LOCK = "; run `hfsync lock`"
NO_TOKEN = ("no Hub token: a private repo cannot be seen without one, so this repo may exist already, "
            "and creating it needs a token (set HF_TOKEN, pass --token or run `hf auth login`)")
OWN_ENDINGS = (RUN_LOCK, NO_TOKEN)


@dataclass(frozen=True)
class SettingChange:
    """A repo setting (private, gated, sdk, hardware, variables.X, ...) going old -> new."""

    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class MetadataChange:
    """One key of the card's front matter going old -> new (``None`` = absent)."""

    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class FileChange:
    """One file added, updated or deleted in the target's commit.

    Digests describe the content to upload (empty for deletions); ``remote_oid`` is
    the Hub's LFS sha256 or git blob oid of the file it replaces or deletes.
    ``content`` holds generated text (a card with merged metadata) uploaded as is.
    ``diff`` is what changed inside the file, for a reviewer (None: not compared).
    ``link`` is the symbolic link in the source the content is read through, as it reads.
    """

    path: str
    action: Action
    size: int
    lfs: bool
    sha256: str | None = None
    git_sha1: str | None = None
    blake3: str | None = None
    remote_oid: str | None = None
    remote_size: int | None = None
    content: str | None = None
    reason: str | None = None
    diff: FileDiff | None = None
    link: str | None = None


@dataclass(frozen=True)
class RefChange:
    """A tag or branch to create."""

    kind: str  # "tag" | "branch"
    name: str
    action: Action = Action.CREATE
    target: str | None = None  # where it points when known at plan time (a branch's start)


@dataclass(frozen=True)
class Change:
    """A generic change other engines plug in (e.g. kind="pull-drift", "card", "finding")."""

    kind: str
    action: Action
    subject: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class TargetChange:
    """Everything planned for one target."""

    key: str
    repo_id: str
    repo_type: str
    revision: str
    action: Action
    kind: str = "repo"
    head: str | None = None  # remote commit planned against; None when the repo is new
    source: str | None = None  # local folder the files come from
    prune: bool = False
    settings: tuple[SettingChange, ...] = ()
    metadata: tuple[MetadataChange, ...] = ()
    files: tuple[FileChange, ...] = ()
    refs: tuple[RefChange, ...] = ()
    changes: tuple[Change, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)  # other local files read -> sha256
    # The per-commit budget apply keeps to (0: no limit): a change over it goes up in
    # batches through a pull request and the branch moves once (hfsync.publish.batches).
    commit_files: int = 0
    commit_bytes: int = 0
    # A Space's health after apply: {"timeout": seconds, "stages": [healthy stages]}; None: not waited for.
    health: Mapping[str, Any] | None = None
    # Notes: hfsync's words with outside values in them (file names, the Hub's messages); one
    # ending in an OWN_ENDING has its code spans shown in markdown (hfsync.render.untrusted.note).
    reasons: tuple[str, ...] = ()
    # Notes that stay the same from plan to plan (a tag that exists already): said once (hfsync.publish.notices).
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def upload_bytes(self) -> int:
        return sum(f.size for f in self.files if f.action != Action.DELETE)

    @property
    def has_changes(self) -> bool:
        return self.action != Action.NOOP

    def hiding(self, secrets: Collection[str]) -> TargetChange:
        """This change with each of ``secrets`` replaced by ``***`` wherever it appears."""
        if not secrets:
            return self
        return _target(_hidden(_plain(asdict(self)), sorted(secrets, key=len, reverse=True)))


@dataclass(frozen=True)
class Provenance:
    """Where a plan came from: the manifest repo's commit, and the CI run."""

    commit: str | None = None
    dirty: bool = False
    run_url: str | None = None
    checkout: bool = False  # the manifests are in a git checkout (with no commit yet when ``commit`` is None)


@dataclass(frozen=True)
class Plan:
    """What apply will do: one TargetChange per target, and what the plan was made from
    (the hfsync version, the endpoint, each manifest's digest, provenance)."""

    hfsync_version: str
    endpoint: str
    manifests: Mapping[str, str]  # manifest path -> sha256
    targets: tuple[TargetChange, ...]
    provenance: Provenance = field(default_factory=Provenance)
    format_version: int = FORMAT_VERSION
    # Targets the manifests declare that this plan left out, and why (e.g. --changed-since).
    skipped: tuple[str, ...] = ()
    skipped_because: str | None = None

    @property
    def has_changes(self) -> bool:
        return any(t.has_changes for t in self.targets)

    @property
    def errors(self) -> list[str]:
        return [f"{t.key}: {e}" for t in self.targets for e in t.errors]

    @property
    def upload_bytes(self) -> int:
        return sum(t.upload_bytes for t in self.targets)

    def counts(self) -> tuple[int, int, int]:
        """(to create, to change, to delete), counted in targets as Terraform counts resources.

        A new repo is one create however many files it gets; an existing target with any
        change (settings, card, files, refs, pull drift) is one change. Files are counted
        apart, by ``file_counts``.
        """
        create, change, delete = (sum(t.action == a for t in self.targets)
                                  for a in (Action.CREATE, Action.UPDATE, Action.DELETE))
        return create, change, delete

    def file_counts(self) -> tuple[int, int]:
        """(files to upload, files to delete) over all targets."""
        files = [f for t in self.targets for f in t.files]
        deleted = sum(f.action == Action.DELETE for f in files)
        return len(files) - deleted, deleted

    # --- the saved format ----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = _plain(asdict(self))
        if not self.skipped:  # a plan of every target reads as it always did
            del plain["skipped"], plain["skipped_because"]
        for target in plain["targets"]:
            if not target["notices"]:
                del target["notices"]
        return plain

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "plan") -> Plan:
        version = data.get("format_version") if isinstance(data, Mapping) else None
        if version is None:
            raise HfsyncError(
                f"{where}: not an hfsync plan (no format_version)",
                hint="Save a plan with `hfsync plan --out FILE` and apply that file.",
            )
        if version not in READABLE_VERSIONS:
            raise HfsyncError(
                f"{where}: plan format_version {version!r} is not supported; "
                f"this hfsync reads format_version {' and '.join(map(str, READABLE_VERSIONS))}.",
                hint="Make the plan again with this hfsync version.",
            )
        import jsonschema  # here: only reading a saved plan needs it (start-up cost)

        errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(data), key=str)
        if errors:
            first = errors[0]
            at = "/".join(str(p) for p in first.absolute_path) or "(top)"
            raise HfsyncError(f"{where}: not a valid hfsync plan: at {at}: {first.message}")
        targets = tuple(_target(t) for t in data["targets"])
        return cls(
            hfsync_version=data["hfsync_version"],
            endpoint=data["endpoint"],
            manifests=dict(data["manifests"]),
            targets=targets,
            provenance=Provenance(**data.get("provenance", {})),
            format_version=version,
            skipped=tuple(data.get("skipped", ())),
            skipped_because=data.get("skipped_because"),
        )



def schema() -> dict[str, Any]:
    """The saved plan's JSON Schema (hfsync/schemas/plan.schema.json)."""
    return schemas.load("plan")


def read(path: Path) -> Plan:
    """Load a saved plan file; HfsyncError naming the file if it is unreadable or invalid."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HfsyncError(f"cannot read plan file {path}: {error.strerror}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HfsyncError(f"{path}: not a plan file (invalid JSON: {error})") from error
    return Plan.from_dict(data, where=str(path))


def write(plan: Plan, path: Path) -> None:
    """Save ``plan`` to ``path`` atomically: a reader never sees half a plan."""
    try:
        atomic_write(path, plan.to_json())
    except OSError as error:
        raise HfsyncError(
            f"cannot write plan file {path}: {error.strerror or error}",
            hint="Give --out a path in a folder you can write to.",
        ) from error


def _plain(value: Any) -> Any:
    """asdict() output made JSON-ready: enums to strings, tuples to lists."""
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _hidden(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, Mapping):
        return {_hidden(k, secrets): _hidden(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_hidden(v, secrets) for v in value]
    return value


def _build(cls: type[T], data: Mapping[str, Any]) -> T:
    known = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in known}
    if "action" in kwargs:
        kwargs["action"] = Action(kwargs["action"])
    return cls(**kwargs)


def _target(data: Mapping[str, Any]) -> TargetChange:
    kwargs = dict(data)
    kwargs["settings"] = tuple(_build(SettingChange, s) for s in data.get("settings", ()))
    kwargs["metadata"] = tuple(_build(MetadataChange, m) for m in data.get("metadata", ()))
    kwargs["files"] = tuple(_file(f) for f in data.get("files", ()))
    kwargs["refs"] = tuple(_build(RefChange, r) for r in data.get("refs", ()))
    kwargs["changes"] = tuple(_build(Change, c) for c in data.get("changes", ()))
    for name in ("reasons", "notices", "warnings", "errors"):
        kwargs[name] = tuple(data.get(name, ()))
    kwargs["inputs"] = dict(data.get("inputs", {}))
    return _build(TargetChange, kwargs)


def _file(data: Mapping[str, Any]) -> FileChange:
    diff = data.get("diff")
    return _build(FileChange, {**data, "diff": FileDiff.from_dict(diff) if diff is not None else None})
