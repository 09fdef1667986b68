"""One run's access to Hub metadata: the connection, the metadata cache, the slow-Hub watch."""

from __future__ import annotations

import os
from dataclasses import dataclass

from hfsync.hub import Hub
from hfsync.hub.retry import Retry
from hfsync.hub.slow import SlowWatch
from hfsync.metacache import CachedReads, MetadataCache


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
