"""A pinned pull as an OCI artifact, and the check that an artifact holds what the lock pins.

One artifact per pinned commit, tagged with the commit id, in the registry repository
``PREFIX/[TYPEs/]namespace/name``: an OCI image manifest whose ``artifactType`` and
config follow the CNCF ModelPack spec, and one layer per file, the file's bytes as
they are (no tar), with the repo path as ``org.opencontainers.image.title`` (so
``oras pull`` writes the same tree) and ``org.cncf.model.filepath``, and the lock's
digests as annotations. The manifest has no timestamps: pushing the same pin twice
gives the same manifest digest.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from hfsync.model.lock import LockedFile, LockedPull

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ARTIFACT_TYPE = "application/vnd.cncf.model.manifest.v1+json"
CONFIG = "application/vnd.cncf.model.config.v1+json"
WEIGHT = "application/vnd.cncf.model.weight.v1.raw"
WEIGHT_CONFIG = "application/vnd.cncf.model.weight.config.v1.raw"
DOC = "application/vnd.cncf.model.doc.v1.raw"
CODE = "application/vnd.cncf.model.code.v1.raw"
DATASET = "application/vnd.cncf.model.dataset.v1.raw"

TITLE = "org.opencontainers.image.title"
FILEPATH = "org.cncf.model.filepath"
REVISION = "org.opencontainers.image.revision"
SOURCE = "org.opencontainers.image.source"
REPO = "dev.hfsync.repo"
LOCK_SHA256 = "dev.hfsync.lock.sha256"
LOCK_GIT_OID = "dev.hfsync.lock.git-oid"
LOCK_XET = "dev.hfsync.lock.xet-hash"

_WEIGHTS = (".safetensors", ".gguf", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".npz", ".pkl")
_DATA = (".parquet", ".arrow", ".csv", ".jsonl", ".tsv")


def media_type(path: str, repo_type: str = "model") -> str:
    """The ModelPack layer type for a repo file, by its name."""
    name = path.rsplit("/", 1)[-1].lower()
    if repo_type == "dataset" and name.endswith(_DATA):
        return DATASET
    if name.endswith(_WEIGHTS):
        return WEIGHT
    if name.endswith((".md", ".txt", ".rst")) or name.startswith(("license", "notice", ".git")):
        return DOC
    if name.endswith((".py", ".ipynb", ".sh")):
        return CODE
    return WEIGHT_CONFIG


def blob_digest(file: LockedFile) -> str | None:
    """The file's OCI blob digest when the lock already knows it (sha256 is pinned for LFS files)."""
    return f"sha256:{file.sha256}" if file.sha256 else None


def _lock_annotations(file: LockedFile) -> dict[str, str]:
    found = {LOCK_SHA256: file.sha256, LOCK_GIT_OID: file.git_oid, LOCK_XET: file.xet_hash}
    return {k: v for k, v in found.items() if v}


@dataclass(frozen=True)
class Blob:
    """A descriptor: what a manifest says of one blob."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] | None = None

    def descriptor(self) -> dict:
        found = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            found["annotations"] = dict(sorted(self.annotations.items()))
        return found


def _canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def layers(entry: LockedPull, digests: dict[str, str]) -> list[Blob]:
    """One layer per pinned file; ``digests`` gives each file's blob digest (``sha256:...``)."""
    return [Blob(media_type(f.path, entry.type), digests[f.path], f.size,
                 {TITLE: f.path, FILEPATH: f.path, **_lock_annotations(f)}) for f in entry.files]


def config(entry: LockedPull, blobs: list[Blob]) -> tuple[Blob, bytes]:
    """The ModelPack config blob (descriptor, body): the model's name and revision, and its file layers."""
    body = _canonical({
        "descriptor": {"name": entry.id, "revision": entry.commit},
        "config": {},
        "modelfs": {"type": "layers", "diffIds": [b.digest for b in blobs]},
    })
    return Blob(CONFIG, f"sha256:{hashlib.sha256(body).hexdigest()}", len(body)), body


def manifest(entry: LockedPull, blobs: list[Blob], config_blob: Blob, source: str) -> bytes:
    """The image manifest of one pinned pull (deterministic bytes)."""
    return _canonical({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": config_blob.media_type, "digest": config_blob.digest, "size": config_blob.size},
        "layers": [b.descriptor() for b in blobs],
        "annotations": {REPO: entry.key, REVISION: entry.commit, SOURCE: source},
    })


_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")


class ArtifactMismatch(Exception):
    """The artifact does not pin what the lock pins."""


def pinned_layers(entry: LockedPull, found: dict) -> dict[str, dict]:
    """The artifact's layer for each pinned file it holds, by path; ArtifactMismatch when the
    artifact is another pin, or names other digests or sizes than the lock for a file."""
    said = found.get("annotations") or {}
    for name, pinned in ((REPO, entry.key), (REVISION, entry.commit)):
        if said.get(name) not in (None, pinned):
            raise ArtifactMismatch(f"its {name} is {str(said[name])[:80]!r}, the lock pins {pinned!r}")
    by_path = {}
    for layer in found.get("layers") or []:
        notes = layer.get("annotations") or {} if isinstance(layer, dict) else {}
        path = notes.get(TITLE)
        if isinstance(path, str):
            by_path[path] = layer
    held = {}
    for file in entry.files:
        layer = by_path.get(file.path)
        if layer is None:
            continue
        notes = layer["annotations"]
        wrong = [name for name, pinned in ((LOCK_SHA256, file.sha256), (LOCK_GIT_OID, file.git_oid))
                 if pinned and notes.get(name) != pinned]
        if file.sha256 and layer.get("digest") != f"sha256:{file.sha256}":
            wrong.append("digest")
        if not isinstance(layer.get("digest"), str) or not _DIGEST.fullmatch(layer["digest"]):
            raise ArtifactMismatch(f"its layer for {file.path} has no valid digest: {str(layer.get('digest'))[:80]!r}")
        if layer.get("size") != file.size:
            wrong.append("size")
        if wrong:
            raise ArtifactMismatch(f"its layer for {file.path} names another {', '.join(wrong)} than the lock")
        held[file.path] = layer
    return held
