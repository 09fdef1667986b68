"""A checked manifest document made into the dataclasses of ``model``.

Here the manifest's defaults are applied (namespace, privacy, policy), paths are taken
relative to the manifest's folder and sizes are parsed. Apart from ``model`` so that the
data every layer above reads knows nothing of YAML documents and their positions;
``load`` calls ``build`` once a document has passed the schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hfsync.manifest.model import (
    COMMIT_BYTES,
    COMMIT_FILES,
    Access,
    Card,
    CollectionItem,
    CollectionTarget,
    Defaults,
    Location,
    Manifest,
    Policy,
    Pull,
    RepoTarget,
    Signing,
    Source,
    Space,
    Verify,
)
from hfsync.manifest.yamlpos import Document, Key


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

