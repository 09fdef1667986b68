"""What a pull pins: a revision resolved to its commit, and the files at that commit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from hfsync.errors import HubError
from hfsync.hub.client import Hub, refusal, translate_errors
from hfsync.hub.metacache import CachedReads
from hfsync.hub.reads import Reader, card_data
from hfsync.hubfacts import base_models_of, license_of
from hfsync.model.lock import LockedFile

COMMIT = re.compile(r"^[0-9a-f]{40}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
@dataclass(frozen=True)
class PinFacts:
    """What a pin takes from repo info: the commit, and from the card the license and base models."""

    commit: str
    license: str | None
    base_models: tuple[str, ...] = ()


def _card(info: dict, repo_type: str) -> tuple[str | None, tuple[str, ...]]:
    tags = info.get("tags")
    tags = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    card = card_data(info.get("cardData"), repo_type)
    return license_of(card, tags), base_models_of(card, tags)


def pin_facts(hub: Hub, repo_id: str, repo_type: str, revision: str) -> PinFacts:
    """The commit ``revision`` of a repo points at now, with its card's license and base models."""
    operation = f"resolve {repo_type} {repo_id}@{revision}"
    # Only what a pin needs: the full answer lists every file, which the tree gives anyway.
    with translate_errors("resolve revision of", repo_id):
        info = hub.part(Reader).repo_info(repo_id, repo_type, revision, ["sha", "cardData", "tags"])
    commit = info.get("sha") if isinstance(info, dict) else None
    if not isinstance(commit, str) or not COMMIT.match(commit):
        raise HubError(f"{operation}: the Hub answered without a commit id (got {commit!r})")
    return PinFacts(commit, *_card(info, repo_type))


def resolve_pin(hub: Hub, repo_id: str, repo_type: str, revision: str) -> tuple[str, str | None]:
    """(the commit ``revision`` of a repo points at now, the repo's license id or None)."""
    facts = pin_facts(hub, repo_id, repo_type, revision)
    return facts.commit, facts.license


def model_card_facts(hub: Hub, repo_id: str) -> tuple[str | None, tuple[str, ...]] | None:
    """A model's license and base models as its card says now; None when the Hub has no such
    model (or does not show it to this token)."""
    try:
        with translate_errors("read the card of", repo_id):
            info = hub.part(Reader).repo_info(repo_id, "model", None, ["cardData", "tags"])
    except HubError as error:
        if refusal(error.__cause__) in ("repo", "gated"):
            return None
        raise
    return _card(info if isinstance(info, dict) else {}, "model")


def list_files(hub: Hub, repo_id: str, repo_type: str, commit: str) -> list[LockedFile]:
    """Every file of the repo at ``commit`` with its size, Hub digest and Xet hash (when given).

    Metadata only, one request per 1,000 entries: no file content is read.
    """

    path = f"/api/{repo_type}s/{repo_id}/tree/{quote(commit, safe='')}"

    def listing() -> list[LockedFile]:
        # The tree's JSON as it comes (huggingface_hub's list_repo_tree builds an object per
        # entry, which costs more than the request for a large repo).
        files = []
        pages = hub.part(Reader).pages(path, [("recursive", "true"), ("expand", "false")], repo=(repo_type, repo_id))
        for entry in pages:
            if not isinstance(entry, dict) or entry.get("type") != "file":
                continue
            path_, lfs, xet = entry.get("path"), entry.get("lfs"), entry.get("xetHash")
            digest = lfs.get("oid") if isinstance(lfs, dict) else entry.get("oid")
            size = lfs.get("size") if isinstance(lfs, dict) else entry.get("size")
            # Digests name cache blobs: anything but plain hex would be a path.
            if not isinstance(digest, str) or not (SHA256 if lfs is not None else COMMIT).match(digest):
                raise HubError(f"list files of {repo_id}: the Hub gave {path_!r} a malformed digest {digest!r}")
            if xet is not None and not (isinstance(xet, str) and SHA256.match(xet)):
                raise HubError(f"list files of {repo_id}: the Hub gave {path_!r} a malformed Xet hash {xet!r}")
            if not isinstance(path_, str) or type(size) is not int or size < 0:
                raise HubError(f"list files of {repo_id}: the Hub listed a file as {path_!r} of size {size!r}")
            if lfs is not None:
                files.append(LockedFile(path_, size, sha256=digest, xet_hash=xet))
            else:
                files.append(LockedFile(path_, size, git_oid=digest, xet_hash=xet))
        return files

    with translate_errors("list files of", repo_id):
        return listing()  # each page's request is retried by the reader


def files_at_commit(hub: Hub, repo_id: str, repo_type: str, commit: str) -> list[LockedFile]:
    """The files of a repo at a commit (hub.repofiles.list_files), through the metadata cache.

    A commit's tree never changes, so the entry never expires: re-locking a pull whose
    revision did not move lists nothing again.
    """
    reads = CachedReads(hub.cache, hub.endpoint)
    listed: list[list[LockedFile]] = []

    def fetch(hint: object) -> list[dict]:
        listed.append(list_files(hub, repo_id, repo_type, commit))
        return [vars(f) for f in listed[0]]  # asdict is slow

    raw = reads.read(
        ("files", repo_type, repo_id, commit),  # "tree" entries of older versions carried blake3
        f"the files of {repo_type} {repo_id}@{commit[:12]}",
        fetch,
        immutable=True,
    )
    return listed[0] if listed else [LockedFile(**entry) for entry in raw]
