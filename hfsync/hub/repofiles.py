"""What a pull pins: a revision resolved to its commit, and the files at that commit."""

from __future__ import annotations

import re
from urllib.parse import quote

from huggingface_hub.utils import build_hf_headers, paginate

from hfsync import __version__
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

    hub.session()  # paginate's requests go through huggingface_hub's shared client: retried, traced
    url = f"{hub.endpoint}/api/{repo_type}s/{repo_id}/tree/{quote(commit, safe='')}"
    headers = build_hf_headers(token=hub.token or False, library_name="hfsync", library_version=__version__)

    def listing(_: int) -> list[LockedFile]:
        # The tree's JSON as it comes (huggingface_hub's list_repo_tree builds an object per
        # entry, which costs more than the request for a large repo).
        files = []
        for entry in paginate(url, {"recursive": "true", "expand": "false"}, headers):
            if entry.get("type") != "file":
                continue
            path, lfs, xet = entry.get("path"), entry.get("lfs"), entry.get("xetHash")
            digest = lfs.get("oid") if isinstance(lfs, dict) else entry.get("oid")
            size = lfs.get("size") if isinstance(lfs, dict) else entry.get("size")
            # Digests name cache blobs: anything but plain hex would be a path.
            if not isinstance(digest, str) or not (SHA256 if lfs is not None else COMMIT).match(digest):
                raise HubError(f"list files of {repo_id}: the Hub gave {path!r} a malformed digest {digest!r}")
            if xet is not None and not (isinstance(xet, str) and SHA256.match(xet)):
                raise HubError(f"list files of {repo_id}: the Hub gave {path!r} a malformed Xet hash {xet!r}")
            if not isinstance(path, str) or type(size) is not int or size < 0:
                raise HubError(f"list files of {repo_id}: the Hub listed a file as {path!r} of size {size!r}")
            if lfs is not None:
                files.append(LockedFile(path, size, sha256=digest, xet_hash=xet))
            else:
                files.append(LockedFile(path, size, git_oid=digest, xet_hash=xet))
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
    listed: list[list[LockedFile]] = []

    def fetch(hint: object) -> list[dict]:
        listed.append(list_files(hub, retry, repo_id, repo_type, commit))
        return [vars(f) for f in listed[0]]  # asdict is slow

    raw = reads.read(
        ("files", repo_type, repo_id, commit),  # "tree" entries of older versions carried blake3
        f"the files of {repo_type} {repo_id}@{commit[:12]}",
        fetch,
        immutable=True,
    )
    return listed[0] if listed else [LockedFile(**entry) for entry in raw]
