"""The manifest: hfsync.yaml files turned into frozen dataclasses, or located problems.

``hfsync.manifest.load`` reads the files, checks them and builds these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfsync.hubfacts import target_key
from hfsync.manifest.yamlpos import Document, Key

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
    """``defaults:``: the namespace of ids written without one, default privacy, and the Hub
    user whose Trusted Publisher reads gated pulls from CI."""

    namespace: str | None = None
    private: bool | None = None
    hub_user: str | None = None


@dataclass(frozen=True)
class Policy:
    """``policy:``: allowed licenses (None: any), safetensors only, private by default, libraries."""

    licenses: tuple[str, ...] | None = None
    safetensors_only: bool = True
    private_by_default: bool = False
    libraries: tuple[str, ...] | None = None
    require_signature: bool = False


@dataclass(frozen=True)
class Source:
    """A target's ``source:``: the folder it publishes and which files of it."""

    path: Path
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    prune: bool = False
    allow_unsafe: bool = False


@dataclass(frozen=True)
class Card:
    """A target's ``card:``: generate README.md when the source has none, declared metadata,
    and the training and metrics files its body shows."""

    generate: bool = True
    metadata: Mapping[str, Any] = field(default_factory=dict)
    training: Path | None = None
    metrics: Path | None = None


@dataclass(frozen=True)
class Space:
    """A Space target's ``space:`` settings. Declared ``variables`` are the whole set
    (others on the Hub are deleted); None: not managed. ``secrets`` likewise, by name, each
    with the environment variable its value is read from at apply time (never the value)."""

    sdk: str | None = None
    hardware: str | None = None
    variables: Mapping[str, str] | None = None
    secrets: Mapping[str, str] | None = None
    health_timeout: float = 900.0  # seconds apply waits for the Space to run after publishing
    sleep_time: int | None = None  # seconds idle before the Space sleeps; -1: never
    paused: bool | None = None


@dataclass(frozen=True)
class Access:
    """A ``gated: manual`` repo's ``access:``: the users granted access, named here or one a line in
    ``users_file``. The whole set: others the Hub lets in are revoked."""

    users: tuple[str, ...] = ()
    users_file: Path | None = None


@dataclass(frozen=True)
class Signing:
    """A target's ``signing:``: the private key that signs what apply publishes (a PEM file,
    or an environment variable holding the PEM), and in certificate mode the signing
    certificate and its chain. ``public_key`` lets a plan made without the private key
    (a pull request's) name the key by its fingerprint."""

    key: Path | None = None
    key_env: str | None = None
    password_env: str | None = None
    public_key: Path | None = None
    certificate: Path | None = None
    chain: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Verify:
    """A pull's ``verify:``: the public keys (PEM files) it trusts, the root certificates a
    signing certificate must chain to, and the identities (subject or subject alternative name)
    one of which that certificate must carry."""

    keys: tuple[Path, ...] = ()
    roots: tuple[Path, ...] = ()
    identities: tuple[str, ...] = ()


# The most one commit carries: the Hub recommends commits of under 100 files
# (huggingface.co/docs/hub/repositories-recommendations); it names no byte figure, and
# 10 GB keeps one commit's uploads within what a CI step retries comfortably.
COMMIT_FILES = 100
COMMIT_BYTES = 10 * 1000**3


@dataclass(frozen=True)
class CollectionItem:
    """One entry of a collection: a repo (model, dataset, space) or a paper, with its note."""

    type: str
    id: str
    note: str | None = None

    @property
    def key(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class CollectionTarget:
    """A collection the team keeps, known by namespace and title (the Hub refuses a second
    collection of the same title in a namespace), or by its ``slug`` once created, so that
    its title can change. ``None`` settings are not managed; ``items`` are the whole list,
    in order."""

    title: str
    namespace: str
    location: Location
    slug: str | None = None
    description: str | None = None
    private: bool | None = None
    theme: str | None = None
    items: tuple[CollectionItem, ...] = ()

    @property
    def key(self) -> str:
        return f"collection:{self.namespace}/{self.title}"


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
    signing: Signing | None = None
    access: Access | None = None
    commit_files: int = COMMIT_FILES
    commit_bytes: int = COMMIT_BYTES

    @property
    def key(self) -> str:
        return target_key(self.type, self.id)


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
    verify: Verify | None = None

    @property
    def key(self) -> str:
        return target_key(self.type, self.id)


@dataclass(frozen=True)
class Manifest:
    """One manifest file."""

    path: Path
    digest: str
    defaults: Defaults
    policy: Policy
    repos: tuple[RepoTarget, ...]
    pulls: tuple[Pull, ...]
    sources: tuple[str, ...] = ()  # mirrors and registries pulls take bytes from before the Hub
    collections: tuple[CollectionTarget, ...] = ()

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

    @property
    def collections(self) -> Iterator[tuple[Manifest, CollectionTarget]]:
        return ((m, c) for m in self.manifests for c in m.collections)

    @property
    def hub_user(self) -> str | None:
        """The first ``defaults.hub_user`` the manifests name."""
        return next((m.defaults.hub_user for m in self.manifests if m.defaults.hub_user), None)


def _loc(document: Document, key: Key) -> Location:
    line, column = document.where(key)
    return Location(document.path, line, column)


def _space(raw: Mapping[str, Any]) -> Space:
    return Space(raw.get("sdk"), raw.get("hardware"),
                 dict(raw["variables"]) if "variables" in raw else None,
                 {k: v["env"] for k, v in raw["secrets"].items()} if "secrets" in raw else None,
                 float(raw.get("health_timeout", 900)), raw.get("sleep_time"), raw.get("paused"))


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


def _signing(raw: Mapping[str, Any], root: Path) -> Signing:
    def path(name: str) -> Path | None:
        return root / raw[name] if name in raw else None

    return Signing(path("key"), raw.get("key_env"), raw.get("password_env"), path("public_key"),
                   path("certificate"), tuple(root / c for c in raw.get("chain", ())))


def _globs(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``include``/``exclude`` as written: one pattern, or a list of them."""
    return (value,) if isinstance(value, str) else tuple(value)


def build(document: Document, digest: str) -> Manifest:
    data = document.data
    root = document.path.parent
    raw_defaults = data.get("defaults", {})
    defaults = Defaults(raw_defaults.get("namespace"), raw_defaults.get("private"), raw_defaults.get("hub_user"))
    raw_policy = data.get("policy", {})
    licenses = raw_policy.get("licenses")
    policy = Policy(
        licenses=tuple(licenses) if licenses is not None else None,
        safetensors_only=raw_policy.get("safetensors_only", True),
        private_by_default=raw_policy.get("private_by_default", False),
        libraries=tuple(raw_policy["libraries"]) if "libraries" in raw_policy else None,
        require_signature=raw_policy.get("require_signature", False),
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
                    include=_globs(src.get("include", ())),
                    exclude=_globs(src.get("exclude", ())),
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
                space=_space(space) if space is not None else None,
                signing=_signing(raw["signing"], root) if "signing" in raw else None,
                access=Access(tuple(raw["access"].get("users", ())),
                              root / raw["access"]["users_file"] if "users_file" in raw["access"] else None)
                if "access" in raw else None,
                commit_files=raw.get("commit", {}).get("max_files", COMMIT_FILES),
                commit_bytes=parse_size(raw["commit"]["max_bytes"]) if "max_bytes" in raw.get("commit", {})
                else COMMIT_BYTES,
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
                include=_globs(raw.get("include", ())),
                exclude=_globs(raw.get("exclude", ())),
                dest=root / raw["dest"] if "dest" in raw else None,
                cache=raw.get("cache", False),
                allow_unsafe=raw.get("allow_unsafe", False),
                variant=raw.get("variant"),
                max_memory=parse_size(raw["max_memory"]) if "max_memory" in raw else None,
                verify=Verify(tuple(root / k for k in raw["verify"].get("keys", ())),
                              tuple(root / r for r in raw["verify"].get("roots", ())),
                              tuple(raw["verify"].get("identities", ())))
                if "verify" in raw else None,
            )
        )
    collections = tuple(_collection(document, index, raw, defaults)
                        for index, raw in enumerate(data.get("collections", [])))
    return Manifest(document.path, digest, defaults, policy, tuple(repos), tuple(pulls),
                    tuple(data.get("sources", ())), collections)


ITEM_TYPES = ("model", "dataset", "space", "paper")


def _collection(document: Document, index: int, raw: Mapping[str, Any], defaults: Defaults) -> CollectionTarget:
    slug = raw.get("slug")
    namespace = raw.get("namespace") or (slug.split("/")[0] if slug else None) or defaults.namespace or ""
    items = []
    for item in raw.get("items", []):
        kind = next(k for k in ITEM_TYPES if k in item)
        ident = str(item[kind]) if kind == "paper" else _qualify(item[kind], defaults)
        items.append(CollectionItem(kind, ident, item.get("note")))
    return CollectionTarget(raw["title"], namespace, _loc(document, ("collections", index)), slug,
                            raw.get("description"), raw.get("private"), raw.get("theme"), tuple(items))

