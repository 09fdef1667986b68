"""Where a pull's bytes come from: mirrors and registries in order, the Hub last.

The lock decides what is right, so bytes may come from anywhere: a Hub-protocol mirror
(``https://...``: Artifactory, Nexus, olah, another hfsync sandbox) or an OCI registry
(``oci://host/prefix``, as `hfsync oci push` lays it out). Each file is taken from the
first source that has it and whose bytes verify against the lock; a source that lacks
the file, fails, or serves other bytes is passed over for that file, and said once per
run. A source that fails outright (not "no such file", not "other bytes") is skipped
for the rest of the run. No source ever changes what is pinned, and mirrors are never
sent the Hub token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

from hfsync import environment
from hfsync.errors import ContentError, HfsyncError, Unavailable
from hfsync.hub.client import Credentials, Hub
from hfsync.hub.download import Advance, Downloader, Fetched
from hfsync.hub.partial import Accept
from hfsync.hub.retry import Retry
from hfsync.hub.xetpull import LocalCopy, XetPull
from hfsync.manifest.model import Manifest
from hfsync.model.lock import LockedFile, LockedPull
from hfsync.pull.ocisource import NotInSource, OciSource

# A mirror that fails is passed over quickly: the next source has the same bytes.
MIRROR_ATTEMPTS = 3
MIRROR_MAX_WAIT = 30.0


class SourceError(HfsyncError):
    """A source setting that is not a source."""


@dataclass(frozen=True)
class SourceSpec:
    """One configured source: ``kind`` hub or oci, and its address."""

    kind: str
    url: str

    @property
    def name(self) -> str:
        """The address without credentials or query: what messages and metrics show."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


def parse_sources(values: Sequence[str], where: str) -> tuple[SourceSpec, ...]:
    """The sources ``values`` name; SourceError naming ``where`` and the bad value."""
    specs = []
    for value in values:
        value = value.strip()
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        rest = value.split("://", 1)[1] if "://" in value else ""
        if scheme in ("http", "https") and urlsplit(value).hostname:
            specs.append(SourceSpec("hub", value.rstrip("/")))
        elif scheme in ("oci", "oci+http") and rest and not rest.startswith("/"):
            specs.append(SourceSpec("oci", value.rstrip("/")))
        else:
            raise SourceError(
                f"{where}: {value!r} is not a source; expected a Hub-protocol endpoint "
                "(https://HOST[/PATH]) or an OCI registry (oci://HOST[:PORT]/PREFIX)",
            )
        if urlsplit(value).username or urlsplit(value).password:
            raise SourceError(f"{where}: {specs[-1].name} carries credentials in its address; "
                              "registries read them from ~/.docker/config.json or REGISTRY_AUTH_FILE")
    return tuple(specs)


def sources_for(manifest: Manifest) -> tuple[SourceSpec, ...]:
    """The sources a manifest's pulls use before the Hub: HFSYNC_SOURCES when set (a machine knows
    its nearest mirror), else the manifest's ``sources:``."""
    from_env = environment.sources()
    if from_env is not None:
        return parse_sources(from_env, "HFSYNC_SOURCES")
    return parse_sources(manifest.sources, f"{manifest.path}: sources")


class Source(Protocol):
    name: str

    def fetch(self, entry: LockedPull, file: LockedFile, target: Path, *, partial: Path, label: str,
              advance: Advance, accept: Accept | None) -> Fetched:
        """The verified bytes of ``file`` in ``partial``, bound for ``target``."""

    def close(self) -> None: ...


class HubSource:
    """The Hub, or a mirror speaking its protocol: files resolved by commit."""

    def __init__(self, hub: Hub, name: str | None = None, xet: bool = False) -> None:
        self.name = name or hub.endpoint
        self.downloader = Downloader(hub)
        # The Hub's Xet storage, for the files it stores there.
        self.xet = XetPull(hub, self.downloader.get) if xet else None

    def fetch(self, entry: LockedPull, file: LockedFile, target: Path, *, partial: Path, label: str,
              advance: Advance, accept: Accept | None, previous: LocalCopy | None = None) -> Fetched:
        """``previous``: a local copy of an earlier pin of the file, whose chunks Xet may reuse."""
        url = self.downloader.url(entry.id, entry.type, entry.commit, file.path)
        source = self.xet.source(entry.id, entry.type, entry.commit, file.xet_hash, previous) if self.xet else None
        return self.downloader.fetch(url, file, target, partial=partial, label=label, advance=advance, accept=accept,
                                     source=source, repo=(entry.type, entry.id))

    def close(self) -> None:
        self.downloader.close()


def _quick(retry: Retry) -> Retry:
    policy = replace(retry.policy, attempts=min(retry.policy.attempts, MIRROR_ATTEMPTS),
                     max_wait=min(retry.policy.max_wait, MIRROR_MAX_WAIT))
    return Retry(policy, on_wait=retry.on_wait, sleep=retry.sleep, clock=retry.clock, jitter=retry.jitter)


def _lacks(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, NotInSource | EntryNotFoundError | RepositoryNotFoundError | RevisionNotFoundError):
            return True
        seen = seen.__cause__
    return False


class Sources:
    """The ordered sources of one pull run; ``fetch`` takes each file from the first that verifies."""

    def __init__(self, sources: list[Source], note: Callable[[str], None]) -> None:
        self.sources = sources
        self.note = note
        self.down: set[str] = set()
        self.told: set[str] = set()
        self._lock = threading.Lock()

    def fetch(self, entry: LockedPull, file: LockedFile, target: Path, *, partial: Path, label: str,
              advance: Advance, accept: Accept | None,
              rejected: Callable[[str], None] = lambda name: None,
              previous: LocalCopy | None = None) -> tuple[Fetched, str]:
        """(the verified download, the name of the source it came from); ``rejected`` hears each source
        passed over. Raises the source's own error when there is one source, else one naming each."""
        reasons: list[tuple[str, HfsyncError]] = []
        for index, source in enumerate(self.sources):
            if source.name in self.down:
                continue
            last = index == len(self.sources) - 1
            moved = 0

            def counted(n: int) -> None:
                nonlocal moved
                moved += n
                advance(n)

            try:
                where = label if last else f"{label} from {source.name}"
                hint = {"previous": previous} if isinstance(source, HubSource) else {}
                fetched = source.fetch(entry, file, target, partial=partial, label=where, advance=counted,
                                       accept=accept, **hint)
                return fetched, source.name
            except HfsyncError as error:
                advance(-moved)
                rejected(source.name)
                reasons.append((source.name, error))
                if len(self.sources) > 1:
                    # The last source (the Hub) is asked for every file, whatever happened before.
                    fatal = not (last or isinstance(error, ContentError) or _lacks(error))
                    self._passed_over(source.name, error, fatal=fatal)
        if len(reasons) == 1 and len(self.sources) == 1:
            raise reasons[0][1]
        if not reasons:
            raise HfsyncError(f"{label}: every source failed earlier in this run; nothing was written")
        # The last source's failure decides what to do about it, and whether running again may help.
        raise (Unavailable if isinstance(reasons[-1][1], Unavailable) else HfsyncError)(
            f"{label}: no source gave the pinned bytes:\n"
            + "\n".join(f"    {name}: {error.message}" for name, error in reasons),
            hint=reasons[-1][1].hint,
        )

    def _passed_over(self, name: str, error: HfsyncError, *, fatal: bool) -> None:
        with self._lock:
            if fatal:
                self.down.add(name)
            if name in self.told:
                return
            self.told.add(name)
        kind = "failed" if fatal else ("served bytes that do not match the lock" if isinstance(error, ContentError)
                                        else "does not have a pinned file")
        rest = "it is skipped for the rest of this run" if fatal else "taking such files from the next source"
        self.note(f"source {name} {kind} ({error.message.splitlines()[0].rstrip('.')}); {rest}")

    def close(self) -> None:
        for source in self.sources:
            source.close()


def open_sources(specs: Sequence[SourceSpec], hub: Hub | None, retry: Retry, note: Callable[[str], None],
                 ) -> Sources | None:
    """The run's sources: ``specs`` in order (retried by ``retry``, quickly), then ``hub`` (None
    offline); None when there are none."""
    chain: list[Source] = []
    for spec in specs:
        if spec.kind == "hub":
            # A mirror is never sent the Hub's token.
            chain.append(HubSource(Hub(spec.url, credentials=Credentials(None), retry=_quick(retry)), spec.name))
        else:
            chain.append(OciSource(spec.url, _quick(retry)))
    if hub is not None:
        chain.append(HubSource(hub, xet=True))
    return Sources(chain, note) if chain else None
