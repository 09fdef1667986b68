"""A disk cache for the Hub's read-only metadata answers (info, tree, search).

An entry is keyed by endpoint, what was asked (kind, repo type and id, revision or
search query). What a commit id names never changes, so such entries never expire;
answers resolved from a branch, a tag or a search expire after a TTL. Offline, any
entry answers, with its age. Entries are JSON files written atomically (a temp file,
then ``os.replace``): a reader never sees half an entry, and an unreadable one is a miss.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfsync.environment import cache_dir, metadata_ttl
from hfsync.errors import OfflineError
from hfsync.paths import atomic_write
from hfsync.units import describe_age

FORMAT = 1
COMMIT_RE = re.compile(r"[0-9a-f]{40}")

Key = Sequence[str | int | bool | None]


def is_commit(revision: str | None) -> bool:
    """Whether ``revision`` is a full commit id (whose content can never change)."""
    return bool(revision and COMMIT_RE.fullmatch(revision))


@dataclass(frozen=True)
class Entry:
    """One cached answer."""

    value: Any
    stored_at: float
    immutable: bool


class MetadataCache:
    """Cached Hub answers under ``cache_dir()/metadata``; ``clock`` is injectable for tests."""

    def __init__(
        self,
        root: Path | None = None,
        ttl: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root or cache_dir() / "metadata"
        self.ttl = metadata_ttl() if ttl is None else ttl
        self.clock = clock

    def path_for(self, key: Key) -> Path:
        """The file that holds ``key``'s entry (named by a digest of the key)."""
        digest = hashlib.sha256(_canonical(key).encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, key: Key) -> Entry | None:
        """The entry for ``key`` whatever its age, or None."""
        try:
            raw = json.loads(self.path_for(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT or raw.get("key") != _canonical(key):
            return None
        return Entry(raw.get("value"), float(raw.get("stored_at", 0)), bool(raw.get("immutable")))

    def age(self, entry: Entry) -> float:
        """Seconds since ``entry`` was stored, by this cache's clock."""
        return max(0.0, self.clock() - entry.stored_at)

    def is_fresh(self, entry: Entry) -> bool:
        """Whether an online run may use ``entry`` without asking the Hub again."""
        return entry.immutable or self.age(entry) < self.ttl

    def put(self, key: Key, value: Any, *, immutable: bool) -> None:
        """Store ``value`` for ``key`` atomically; a failure to write is not an error."""
        path = self.path_for(key)
        record = {
            "format": FORMAT,
            "key": _canonical(key),
            "stored_at": self.clock(),
            "immutable": immutable,
            "value": value,
        }
        try:
            atomic_write(path, json.dumps(record, separators=(",", ":")), durable=False)
        except OSError:
            # A read-only or full cache disk must not fail a query that already succeeded.
            return


def _canonical(key: Key) -> str:
    return json.dumps(list(key), separators=(",", ":"), sort_keys=True)


class CachedReads:
    """Read-through use of the cache for one run against one endpoint.

    Online, a fresh entry answers and anything else is fetched and stored; offline,
    any entry answers and a miss raises OfflineError before any request is made.
    ``ages`` records how old each answer taken from the cache was.
    """

    def __init__(self, cache: MetadataCache, endpoint: str, *, offline: bool = False) -> None:
        self.cache = cache
        self.endpoint = endpoint
        self.offline = offline
        self.ages: list[float] = []

    def read(
        self,
        key: Key,
        describe: str,
        fetch: Callable[[str | None], Any],
        *,
        immutable: bool,
    ) -> Any:
        """The answer for ``key``: from the cache when allowed, else ``fetch(offline_hint)``.

        ``offline_hint`` (e.g. "from data 20 min old") is set when an expired entry
        exists, so a slow request can suggest --offline.
        """
        full_key = (self.endpoint, *key)
        entry = self.cache.get(full_key)
        if entry is not None and (self.offline or self.cache.is_fresh(entry)):
            self.ages.append(self.cache.age(entry))
            return entry.value
        if self.offline:
            raise OfflineError(
                f"Offline, and the metadata cache holds no answer for {describe} from {self.endpoint}.",
                hint="Run the same command once online to cache it, or drop --offline/HF_HUB_OFFLINE.",
            )
        hint = f"from data {describe_age(self.cache.age(entry))} old" if entry is not None else None
        value = fetch(hint)
        self.cache.put(full_key, value, immutable=immutable)
        return value

    def store(self, key: Key, value: Any, *, immutable: bool) -> None:
        """Store an answer learnt on the side (e.g. the same info under its commit id)."""
        self.cache.put((self.endpoint, *key), value, immutable=immutable)

    def age_note(self) -> str | None:
        """"data N min old" for the oldest cached answer used, or None if none was."""
        return f"data {describe_age(max(self.ages))} old" if self.ages else None
