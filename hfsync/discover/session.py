"""One run's access to Hub metadata: the connection, the metadata cache, the slow-Hub watch."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from hfsync.discover.metacache import CachedReads, MetadataCache
from hfsync.hub import Hub
from hfsync.hub.repofiles import list_files
from hfsync.hub.retry import Retry
from hfsync.hub.slow import SlowWatch
from hfsync.pull.lockfile import LockedFile


def offline_requested(flag: bool = False) -> bool:
    """Whether this run is offline: ``--offline`` or HF_HUB_OFFLINE=1 (read now, not at import)."""
    return flag or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Lookup:
    """What search and info read the Hub through."""

    hub: Hub
    reads: CachedReads
    watch: SlowWatch
    retry: Retry

    @classmethod
    def open(
        cls,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        offline: bool = False,
        ttl: float | None = None,
        cache: MetadataCache | None = None,
        retry: Retry | None = None,
    ) -> Lookup:
        """Connect (no request is made here) and open the cache; offline per ``offline_requested``."""
        hub = Hub(endpoint, token)
        cache = cache or MetadataCache(ttl=ttl)
        reads = CachedReads(cache, hub.endpoint, offline=offline_requested(offline))
        return cls(hub, reads, SlowWatch(), retry or Retry())

    @property
    def offline(self) -> bool:
        return self.reads.offline

    def offline_note(self) -> str | None:
        """"Offline: answered from the metadata cache (data 3 min old)." or None."""
        age = self.reads.age_note()
        return f"Offline: answered from the metadata cache ({age})." if self.offline and age else None


def files_at_commit(hub: Hub, retry: Retry, repo_id: str, repo_type: str, commit: str,
                    cache: MetadataCache | None = None) -> list[LockedFile]:
    """The files of a repo at a commit (hub.repofiles.list_files), through the metadata cache.

    A commit's tree never changes, so the entry never expires: re-locking a pull whose
    revision did not move lists nothing again.
    """
    reads = CachedReads(cache or MetadataCache(), hub.endpoint)
    raw = reads.read(
        ("tree", repo_type, repo_id, commit),
        f"the files of {repo_type} {repo_id}@{commit[:12]}",
        lambda hint: [dataclasses.asdict(f) for f in list_files(hub, retry, repo_id, repo_type, commit)],
        immutable=True,
    )
    return [LockedFile(**entry) for entry in raw]
