"""The repo info objects of /api/{types}/{id} and of the listing endpoints."""

from __future__ import annotations

from hfsync.sandbox.cards import front_matter, tags_for
from hfsync.sandbox.repos import Repo, iso
from hfsync.sandbox.runtime import stage

# Fields a compact listing item carries (what the Hub sends without full/expand).
COMPACT = {
    "model": [
        "likes",
        "trendingScore",
        "private",
        "downloads",
        "tags",
        "pipeline_tag",
        "library_name",
        "createdAt",
    ],
    "dataset": [
        "author",
        "disabled",
        "gated",
        "lastModified",
        "likes",
        "trendingScore",
        "private",
        "sha",
        "description",
        "downloads",
        "tags",
        "createdAt",
    ],
    "space": [
        "author",
        "lastModified",
        "likes",
        "trendingScore",
        "private",
        "sdk",
        "tags",
        "createdAt",
    ],
}


def runtime(meta: dict) -> dict:
    """A Space's runtime (``stage`` is required by the client). Nothing runs in the
    sandbox: requested hardware is current at once, and the stage is the runtime script's
    (sandbox.runtime): RUNNING when there is none, unless paused."""
    hardware = meta.get("hardware") or "cpu-basic"
    paused = bool(meta.get("paused"))
    now, error = stage(meta)
    return {
        "stage": now,
        **({"errorMessage": error} if error else {}),
        "hardware": {"current": None if paused else hardware, "requested": hardware},
        "gcTimeout": meta.get("sleepTime"),
        "storage": None,
        "replicas": {"current": 1, "requested": 1},
        "devMode": False,
    }


def card_data(repo: Repo, commit: str) -> dict | None:
    readme = repo.read_file(commit, "README.md")
    return front_matter(readme.decode(errors="replace")) if readme is not None else None


def full_info(repo: Repo, commit: str, blobs: bool = False) -> dict:
    """Every field the sandbox knows for ``repo`` at ``commit``."""
    meta = repo.meta
    snap = repo.snapshot(commit)
    card = card_data(repo, commit)
    info: dict = {
        "_id": meta["_id"],
        "id": repo.id,
        "author": repo.namespace,
        "sha": commit,
        "lastModified": iso(meta["lastModified"]),
        "createdAt": iso(meta["createdAt"]),
        "private": bool(meta.get("private")),
        "gated": meta.get("gated") or False,
        "disabled": bool(meta.get("disabled")),
        "likes": meta.get("likes", 0),
        "trendingScore": meta.get("trendingScore", 0),
        "tags": tags_for(card, repo.type),
        "usedStorage": sum(e.size for e in snap.files.values()),
    }
    if repo.type in ("model", "dataset"):
        info["downloads"] = meta.get("downloads", 0)
        info["downloadsAllTime"] = meta.get("downloadsAllTime", meta.get("downloads", 0))
    if repo.type == "model":
        info["modelId"] = repo.id
        info["library_name"] = (card or {}).get("library_name")
        info["pipeline_tag"] = (card or {}).get("pipeline_tag")
    if repo.type == "dataset":
        info["description"] = meta.get("description")
    if repo.type == "space":
        sdk = (card or {}).get("sdk") or meta.get("sdk")
        info["sdk"] = sdk
        info["subdomain"] = repo.id.replace("/", "-").lower()
        info["host"] = f"https://{info['subdomain']}.hf.space"
        info["runtime"] = runtime(meta)
    if card is not None:
        info["cardData"] = card
    info["siblings"] = [_sibling(e, blobs) for e in sorted(snap.files.values(), key=lambda e: e.path)]
    return info


def _sibling(entry, blobs: bool) -> dict:
    item: dict = {"rfilename": entry.path}
    if blobs:
        item["size"] = entry.size
        item["blobId"] = entry.oid
        if entry.lfs:
            item["lfs"] = {
                "sha256": entry.lfs[0],
                "size": entry.lfs[1],
                "pointerSize": entry.lfs[2],
            }
    return item


def select(info: dict, expand: list[str]) -> dict:
    """Only the expanded properties (plus ids), as the Hub answers ``expand=``."""
    out = {"_id": info["_id"], "id": info["id"]}
    for key in expand:
        if key == "xetEnabled":
            out[key] = True
        elif key in info:
            out[key] = info[key]
    return out


def listing_item(repo: Repo, commit: str, full: bool, with_card: bool, expand: list[str]) -> dict:
    info = full_info(repo, commit)
    if expand:
        return select(info, expand)
    if full:
        if not with_card:
            info.pop("cardData", None)
        return info
    item = select(info, COMPACT[repo.type])
    if repo.type == "model":
        item["modelId"] = repo.id
    if with_card and "cardData" in info:
        item["cardData"] = info["cardData"]
    return item
