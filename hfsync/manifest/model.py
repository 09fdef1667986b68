"""The manifest as data: what hfsync.yaml files declare, as frozen dataclasses.

``hfsync.manifest.load`` reads the files and checks them; ``hfsync.manifest.build`` makes
these from a checked document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfsync.hubfacts import target_key

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
