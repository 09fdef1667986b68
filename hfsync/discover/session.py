"""One run's access to Hub metadata: the connection, the metadata cache, the slow-Hub watch."""

from __future__ import annotations

from dataclasses import dataclass

from hfsync.environment import offline as is_offline
from hfsync.hub.client import Hub
from hfsync.hub.metacache import CachedReads, MetadataCache
from hfsync.hub.retry import Retry
from hfsync.hub.slow import SlowWatch


@dataclass
class Lookup:
    """What search and info read the Hub through: the Hub (its retry policy and metadata
    cache), the cache as this run reads it (online or not), the slow-Hub watch."""

    hub: Hub
    reads: CachedReads
    watch: SlowWatch

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
        """Connect (no request is made here) and open the cache; offline per hfsync.environment.offline."""
        hub = Hub(endpoint, token, retry=retry or Retry(), cache=cache or MetadataCache(ttl=ttl))
        reads = CachedReads(hub.cache, hub.endpoint, offline=is_offline(offline))
        return cls(hub, reads, SlowWatch())

    @property
    def offline(self) -> bool:
        return self.reads.offline

    def offline_note(self) -> str | None:
        """"Offline: answered from the metadata cache (data 3 min old)." or None."""
        age = self.reads.age_note()
        return f"Offline: answered from the metadata cache ({age})." if self.offline and age else None
