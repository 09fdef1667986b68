"""What search, info and cache report: plain data that the renderers in hfsync.render read."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfsync.hubfacts import license_of


@dataclass(frozen=True)
class Found:
    """One search result, in the user's words."""

    id: str
    type: str
    task: str | None
    library: str | None
    license: str | None
    downloads: int | None
    likes: int
    updated: str | None
    created: str | None
    safetensors: bool | None  # None: the listing does not say (datasets, spaces)
    private: bool
    gated: str | bool
    tags: tuple[str, ...]

    @classmethod
    def from_hub(cls, repo_type: str, item: dict[str, Any]) -> Found:
        """Build from a listing item or a repo info object."""
        tags = tuple(str(t) for t in item.get("tags") or ())
        card = item.get("cardData") or {}
        if repo_type == "model":
            task = item.get("pipeline_tag") or card.get("pipeline_tag")
            library = item.get("library_name") or card.get("library_name")
        elif repo_type == "dataset":
            task = _first(card.get("task_categories")) or _tag_value(tags, "task_categories")
            library = _tag_value(tags, "library")
        else:
            task = None
            library = item.get("sdk") or card.get("sdk")
        siblings = item.get("siblings")
        if item.get("safetensors"):
            safetensors: bool | None = True
        elif siblings is not None and repo_type == "model":
            safetensors = any(s.get("rfilename", "").endswith(".safetensors") for s in siblings)
        else:
            safetensors = None
        return cls(
            id=item["id"],
            type=repo_type,
            task=task,
            library=library,
            license=license_of(item.get("cardData"), tags),
            downloads=item.get("downloads") if repo_type != "space" else None,
            likes=int(item.get("likes") or 0),
            updated=item.get("lastModified"),
            created=item.get("createdAt"),
            safetensors=safetensors,
            private=bool(item.get("private")),
            gated=item.get("gated") or False,
            tags=tags,
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Found:
        return cls(**{**data, "tags": tuple(data.get("tags") or ())})


def _first(value: object) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None


def _tag_value(tags: Iterable[str], prefix: str) -> str | None:
    return next((t.split(":", 1)[1] for t in tags if t.startswith(prefix + ":")), None)


@dataclass(frozen=True)
class Verdict:
    """One policy check: ``status`` is ok, fail, warn or unknown."""

    check: str
    status: str
    detail: str


@dataclass(frozen=True)
class RepoReport:
    id: str
    type: str
    revision: str | None
    sha: str | None
    license: str | None
    gated: str | bool
    private: bool
    task: str | None
    library: str | None
    base_models: tuple[str, ...]
    sizes: dict[str, int]  # bytes per file type (".safetensors", ".json", ...)
    files: int
    parameters: int | None
    dtypes: dict[str, int]  # parameters per dtype, when the Hub gives them
    summary: str | None
    last_commit: dict[str, Any] | None
    last_modified: str | None
    downloads: int | None
    likes: int
    verdicts: tuple[Verdict, ...] = field(default=())
    # What a gated repo keeps from this token ("files", "card"): empty when it has access, or the repo is not gated.
    withheld: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Item:
    """One thing prune can remove: a file in a dest folder, or a revision in the HF cache."""

    kind: str  # "file" | "revision"
    repo_type: str
    repo_id: str
    path: Path  # the file, or the revision's snapshot folder
    size: int
    last_used: float
    commit: str | None = None
    root: Path | None = None  # a file's dest folder: emptied subfolders go, the folder stays
    pinned_by: str | None = None  # the lock file that pins it
    names_bases: tuple[str, ...] = ()  # base models this item (an adapter) names
    protected_by: str | None = None  # the adapter whose base model this is (set by choose())

    @property
    def status(self) -> str:
        if self.pinned_by:
            return f"pinned by {self.pinned_by}"
        if self.protected_by:
            return f"base model of {self.protected_by}"
        return "evictable"

    @property
    def label(self) -> str:
        if self.kind == "revision":
            return f"{self.repo_id}@{(self.commit or '')[:8]} ({self.repo_type}, HF cache)"
        return str(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "type": self.repo_type, "id": self.repo_id, "path": str(self.path),
                "commit": self.commit, "size": self.size, "last_used": self.last_used, "status": self.status}
