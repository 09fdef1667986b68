"""`hfsync oci push`: the pulled files of locked pulls, pushed to an OCI registry.

One artifact per pinned commit (see ociartifact): each file is one blob, read from
where `hfsync pull` put it. A blob the registry already holds is not sent again
(HEAD first; for LFS files the lock's sha256 is the blob digest, so nothing is read).
Blobs go up in chunks; the upload URL is kept in the cache folder, so a push that was
killed resumes where the registry says it got to. The registry checks every blob
against its digest, and a file without a pinned sha256 is checked against its pinned
git blob id while its digest is computed: what is pushed is what the lock pins.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hfsync import environment
from hfsync.errors import HfsyncError, LockError
from hfsync.hub.retry import Retry
from hfsync.hub.streamhash import StreamHashes
from hfsync.lock.layout import Layout
from hfsync.lock.lockfile import read_lock
from hfsync.lock.selection import Wanted, check_paths
from hfsync.manifest.model import Workspace
from hfsync.model.lock import LockedFile, LockedPull
from hfsync.model.progress import Reporter
from hfsync.paths import atomic_write
from hfsync.pull import ociartifact
from hfsync.registry.client import Reference, Registry, RegistryError

READ = 8 * 1024 * 1024


@dataclass
class PushSummary:
    """What a push did: the artifacts written (pull key, reference, manifest digest) and blobs sent."""

    artifacts: list[tuple[str, str, str]] = field(default_factory=list)
    uploaded: int = 0
    present: int = 0
    bytes_uploaded: int = 0


def _local_digest(path: Path, file: LockedFile, label: str) -> str:
    """sha256 of a local file without a pinned sha256, checking it against the pinned git blob id."""
    hashes = StreamHashes(file)
    sha = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(READ):
                hashes.update(chunk)
                sha.update(chunk)
                size += len(chunk)
        problem = hashes.mismatch(size)
    finally:
        hashes.settle()
    if problem:
        raise HfsyncError(f"{label}: the pulled file differs from the lock ({problem}); nothing was pushed for it",
                          hint="Run `hfsync pull` (or `hfsync verify`) first.")
    return f"sha256:{sha.hexdigest()}"


def _upload_state(registry: Reference, repository: str, digest: str) -> Path:
    key = hashlib.sha256(f"{registry.host}/{repository}@{digest}".encode()).hexdigest()[:32]
    return environment.cache_dir() / "oci-uploads" / f"{key}.json"


def _push_blob(registry: Registry, repository: str, digest: str, size: int, path: Path | None, body: bytes | None,
               label: str, summary: PushSummary, reporter: Reporter) -> None:
    if registry.has_blob(repository, digest):
        summary.present += 1
        reporter.finish(label, "present", size)
        return
    state = _upload_state(registry.reference, repository, digest)
    try:
        resume = json.loads(state.read_text(encoding="utf-8")).get("location")
    except (OSError, ValueError, AttributeError):
        resume = None

    def remember(location: str | None) -> None:
        if location is None:
            state.unlink(missing_ok=True)
        else:
            atomic_write(state, json.dumps({"location": location}), durable=False)

    handle = open(path, "rb") if path is not None else None

    def read_at(offset: int, length: int) -> bytes:
        if handle is None:
            return body[offset:offset + length]  # type: ignore[index]  # no path: the caller gave the bytes
        handle.seek(offset)
        return handle.read(length)

    try:
        registry.upload_blob(repository, digest, size, read_at, resume_from=resume, remember=remember,
                             advance=reporter.start(label, size))
    except RegistryError as error:
        if "DIGEST_INVALID" in error.message or "BLOB_UPLOAD_INVALID" in error.message:
            state.unlink(missing_ok=True)
            raise HfsyncError(f"{label}: the pulled file differs from the lock (the registry computed another "
                              "digest); nothing was pushed for it", hint="Run `hfsync pull` first.") from None
        raise
    finally:
        if handle is not None:
            handle.close()
    summary.uploaded += 1
    summary.bytes_uploaded += size
    reporter.finish(label, "uploaded", size)


def _push_pull(registry: Registry, reference: Reference, layout: Layout, entry: LockedPull, source: str,
               summary: PushSummary, reporter: Reporter) -> None:
    repository = reference.repository(entry.type, entry.id)
    digests: dict[str, str] = {}
    paths: dict[str, Path] = {}
    for file in entry.files:
        label = f"{entry.key}/{file.path}"
        path = layout.visible(file)
        try:
            size = os.stat(path).st_size
        except OSError:
            raise HfsyncError(f"{label}: not pulled ({path} does not exist); nothing was pushed for this pull",
                              hint="Run `hfsync pull` first.") from None
        if size != file.size:
            raise HfsyncError(f"{label}: the pulled file has {size} bytes, the lock pins {file.size}; nothing was "
                              "pushed for this pull", hint="Run `hfsync pull` first.")
        digests[file.path] = ociartifact.blob_digest(file) or _local_digest(path, file, label)
        paths[file.path] = path
    for file in entry.files:
        _push_blob(registry, repository, digests[file.path], file.size, paths[file.path], None,
                   f"{entry.key}/{file.path}", summary, reporter)
    layers = ociartifact.layers(entry, digests)
    config, body = ociartifact.config(entry, layers)
    _push_blob(registry, repository, config.digest, config.size, None, body, f"{entry.key} (config)", summary,
               reporter)
    manifest = ociartifact.manifest(entry, layers, config, source)
    digest = registry.put_manifest(repository, entry.commit, manifest, ociartifact.MANIFEST)
    summary.artifacts.append((entry.key, f"{reference.host}/{repository}:{entry.commit}", digest))


def run_push(workspace: Workspace, url: str, targets: tuple[str, ...], retry: Retry, reporter: Reporter,
             endpoint: str) -> PushSummary:
    """Push every selected pull's pinned files to the registry at ``url`` (``oci://HOST/PREFIX``)."""
    wanted = Wanted(targets)
    wanted.check(workspace)
    reference = Reference.parse(url)
    work: list[tuple[Layout, LockedPull]] = []
    for manifest in workspace.manifests:
        lock = read_lock(manifest.lock_path)
        for pull in wanted.pulls(manifest):
            entry = lock.get(pull.type, pull.id) if lock else None
            if entry is None:
                raise LockError(f"pull '{pull.key}' is not in {manifest.lock_path}; only locked pulls are pushed",
                                hint="Run `hfsync lock` and `hfsync pull` first.")
            check_paths(entry, str(manifest.lock_path), LockError)
            work.append((Layout(pull, entry), entry))
    summary = PushSummary()
    registry = Registry(reference, retry)
    reporter.begin(sum(len(e.files) + 1 for _, e in work), sum(e.size for _, e in work))
    try:
        for layout, entry in work:
            _push_pull(registry, reference, layout, entry, f"{endpoint.rstrip('/')}/{entry.id}", summary, reporter)
    finally:
        registry.close()
    return summary
