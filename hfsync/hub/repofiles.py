"""What a pull pins: a revision resolved to its commit, and the files at that commit."""

from __future__ import annotations

import re

from huggingface_hub import RepoFile

from hfsync.errors import HubError
from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.metacache import CachedReads, MetadataCache
from hfsync.hub.retry import Retry
from hfsync.hubfacts import license_of
from hfsync.pull.lockfile import LockedFile

COMMIT = re.compile(r"^[0-9a-f]{40}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def resolve_pin(hub: Hub, retry: Retry, repo_id: str, repo_type: str, revision: str) -> tuple[str, str | None]:
    """(the commit ``revision`` of a repo points at now, the repo's license id or None)."""
    operation = f"resolve {repo_type} {repo_id}@{revision}"
    # Only what a pin needs: the full answer lists every file, which the tree gives anyway.
    expand = ["sha", "cardData", "tags"]
    with translate_errors("resolve revision of", repo_id):
        info = retry.call(
            operation, lambda _: hub.api.repo_info(repo_id, repo_type=repo_type, revision=revision, expand=expand)
        )
    commit = getattr(info, "sha", None)
    if not isinstance(commit, str) or not COMMIT.match(commit):
        raise HubError(f"{operation}: the Hub answered without a commit id (got {commit!r})")
    card = getattr(info, "card_data", None)
    return commit, license_of(card.to_dict() if card is not None else None, getattr(info, "tags", None) or ())


def list_files(hub: Hub, retry: Retry, repo_id: str, repo_type: str, commit: str) -> list[LockedFile]:
    """Every file of the repo at ``commit`` with its size, Hub digest and Xet hash (when given).

    Metadata only, one request per 1,000 entries: no file content is read.
    """

    def listing(_: int) -> list[LockedFile]:
        files = []
        for entry in hub.api.list_repo_tree(repo_id, recursive=True, revision=commit, repo_type=repo_type):
            if not isinstance(entry, RepoFile):
                continue
            lfs = entry.lfs
            digest = lfs.sha256 if lfs is not None else entry.blob_id
            # Digests name cache blobs: anything but plain hex would be a path.
            if not isinstance(digest, str) or not (SHA256 if lfs is not None else COMMIT).match(digest):
                raise HubError(f"list files of {repo_id}: the Hub gave {entry.path!r} a malformed digest {digest!r}")
            xet = getattr(entry, "xet_hash", None)
            if xet is not None and not (isinstance(xet, str) and SHA256.match(xet)):
                raise HubError(f"list files of {repo_id}: the Hub gave {entry.path!r} a malformed Xet hash {xet!r}")
            if lfs is not None:
                files.append(LockedFile(entry.path, int(lfs.size), sha256=digest, xet_hash=xet))
            else:
                files.append(LockedFile(entry.path, int(entry.size), git_oid=digest, xet_hash=xet))
        return files

    with translate_errors("list files of", repo_id):
        return retry.call(f"list files of {repo_type} {repo_id}@{commit[:12]}", listing)


def files_at_commit(hub: Hub, retry: Retry, repo_id: str, repo_type: str, commit: str,
                    cache: MetadataCache | None = None) -> list[LockedFile]:
    """The files of a repo at a commit (hub.repofiles.list_files), through the metadata cache.

    A commit's tree never changes, so the entry never expires: re-locking a pull whose
    revision did not move lists nothing again.
    """
    reads = CachedReads(cache or MetadataCache(), hub.endpoint)
    raw = reads.read(
        ("files", repo_type, repo_id, commit),  # "tree" entries of older versions carried blake3
        f"the files of {repo_type} {repo_id}@{commit[:12]}",
        lambda hint: [vars(f) for f in list_files(hub, retry, repo_id, repo_type, commit)],  # asdict is slow
        immutable=True,
    )
    return [LockedFile(**entry) for entry in raw]
