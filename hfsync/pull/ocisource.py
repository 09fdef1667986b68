"""Pulling pinned files from an OCI registry, as `hfsync oci push` lays them out.

The artifact tagged with the pinned commit is read once per pull and checked against
the lock (``ociartifact.pinned_layers``); each file's blob is then fetched by the
pull's Downloader, so it resumes with Range and is verified against the lock's digest
before it is installed, like a file from the Hub.
"""

from __future__ import annotations

import threading
from pathlib import Path

from hfsync.errors import ContentError, HfsyncError
from hfsync.hub.client import Credentials, Hub
from hfsync.hub.download import Advance, Downloader, Fetched
from hfsync.hub.partial import Accept
from hfsync.hub.retry import Retry
from hfsync.model.lock import LockedFile, LockedPull
from hfsync.pull.ociartifact import ArtifactMismatch, pinned_layers
from hfsync.registry.client import Reference, Registry


class NotInSource(HfsyncError):
    """The source does not hold this file (another source may)."""


class OciSource:
    """A registry holding pinned pulls as artifacts tagged by commit."""

    def __init__(self, url: str, retry: Retry) -> None:
        self.reference = Reference.parse(url)
        self.name = str(self.reference)
        self.retry = retry
        self.registry = Registry(self.reference, retry)
        self._artifacts: dict[tuple[str, str], dict[str, dict] | Exception] = {}
        self._downloaders: dict[str, Downloader] = {}
        self._lock = threading.Lock()

    def _layers(self, entry: LockedPull, repository: str) -> dict[str, dict]:
        key = (repository, entry.commit)
        with self._lock:  # one manifest read per pull, whatever the parallelism
            if key not in self._artifacts:
                where = f"{self.name}/{repository}:{entry.commit}"
                try:
                    found = self.registry.get_manifest(repository, entry.commit)
                    if found is None:
                        raise NotInSource(f"{where} does not exist")
                    self._artifacts[key] = pinned_layers(entry, found)
                except ArtifactMismatch as error:
                    self._artifacts[key] = ContentError(f"{where} does not pin what the lock pins: {error}")
                except HfsyncError as error:
                    self._artifacts[key] = error
            known = self._artifacts[key]
        if isinstance(known, Exception):
            raise known
        return known

    def _downloader(self, repository: str) -> Downloader:
        with self._lock:
            if repository not in self._downloaders:
                # No Hub token: the registry gets its own Authorization header instead.
                downloader = Downloader(Hub(self.reference.base, credentials=Credentials(None), retry=self.retry))
                auth = self.registry.authorization(repository)
                if auth:
                    downloader.headers["Authorization"] = auth
                self._downloaders[repository] = downloader
            return self._downloaders[repository]

    def fetch(self, entry: LockedPull, file: LockedFile, target: Path, *, partial: Path, label: str,
              advance: Advance, accept: Accept | None) -> Fetched:
        repository = self.reference.repository(entry.type, entry.id)
        layer = self._layers(entry, repository).get(file.path)
        if layer is None:
            raise NotInSource(f"{label}: not in {self.name}/{repository}:{entry.commit}")
        url = self.registry.blob_url(repository, layer["digest"])
        return self._downloader(repository).fetch(url, file, target, partial=partial, label=label, advance=advance,
                                                  accept=accept)

    def close(self) -> None:
        for downloader in self._downloaders.values():
            downloader.close()
        self.registry.close()
