"""`hfsync import`: manifest entries for repos that already exist on the Hub.

The entries carry the repos' current settings and card metadata (and keep the Hub's
card rather than generating one), so that a plan right after the import shows no
setting or card change. Files are not listed: the
source folder starts empty and, without prune, an empty source deletes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from hfsync.errors import HubError
from hfsync.hub.client import http_status
from hfsync.hub.collections import read as read_collection
from hfsync.hub.publish import Publisher
from hfsync.hubfacts import download_command
from hfsync.model.remote import MISSING

MODELINE = "# yaml-language-server: $schema=hfsync.schema.json\n"
# Card keys that are settings in a manifest entry, not card metadata.
_SPACE_KEYS = {"sdk": None, "short_description": None}


def entry(publisher: Publisher, repo_id: str, repo_type: str) -> dict[str, Any]:
    """One `repos:` entry describing ``repo_id`` as the Hub has it now."""
    try:
        space_type = repo_type == "space"
        remote = publisher.read(repo_id, repo_type, "main", files=False, variables=space_type, secrets=space_type,
                                access=True)
    except HubError as error:
        if "/" in repo_id or http_status(error.__cause__) != 404:
            raise
        remote = MISSING  # the Hub's 404 for an id with no namespace says no more than this
    if not remote.exists and "/" not in repo_id:
        raise HubError(f"import {repo_id}: repository not found; a repo id needs its namespace, "
                       f"as in acme/{repo_id}.")
    if not remote.exists:
        raise HubError(f"import {repo_id}: no {repo_type} with this id is visible with this token.")
    item: dict[str, Any] = {"id": repo_id, "type": repo_type}
    if remote.private is not None:
        item["private"] = remote.private
    item["gated"] = remote.gated or False
    if remote.gated == "manual":
        item["access"] = {"users": sorted(remote.granted or ())}
    metadata = dict(remote.card_data)
    if repo_type == "space":
        if metadata.get("short_description"):
            item["description"] = metadata["short_description"]
        space: dict[str, Any] = {"sdk": remote.sdk or metadata.get("sdk") or "static"}
        if remote.hardware:
            space["hardware"] = remote.hardware
        if remote.sleep_time is not None:
            space["sleep_time"] = remote.sleep_time
        if remote.paused:
            space["paused"] = True
        if remote.variables:
            space["variables"] = dict(sorted(remote.variables.items()))
        if remote.secrets:  # by name: each value is read, at apply, from the variable of the same name
            space["secrets"] = {name: {"env": name} for name in sorted(remote.secrets)}
        item["space"] = space
        metadata = {k: v for k, v in metadata.items() if k not in _SPACE_KEYS}
    item["source"] = {"path": repo_id.split("/", 1)[1]}
    # The repo's card is on the Hub already: keep it (merging metadata) rather than
    # generating one from an empty source folder.
    item["card"] = {"generate": False, **({"metadata": metadata} if metadata else {})}
    return item


def collection_entry(publisher: Publisher, slug: str) -> dict[str, Any]:
    """One `collections:` entry describing the collection ``slug`` as the Hub has it now."""
    remote = read_collection(publisher.hub, slug)
    if remote is None:
        raise HubError(f"import --collection {slug}: no collection with this slug is visible with this token.",
                       hint="A slug reads namespace/title-id, as in the collection's address on the Hub.")
    found: dict[str, Any] = {"title": remote.title, "namespace": remote.namespace, "slug": remote.slug}
    if remote.description:
        found["description"] = remote.description
    found.update(private=remote.private, theme=remote.theme)
    found["items"] = [{item.type: item.id, **({"note": item.note} if item.note else {})} for item in remote.items]
    return found


def _typed(repo_id: str, repo_type: str) -> tuple[str, str]:
    """``space:acme/app`` names its own type (as hfsync names targets); a bare id takes ``repo_type``."""
    kind, sep, rest = repo_id.partition(":")
    if not sep:
        return repo_id, repo_type
    if kind not in ("model", "dataset", "space"):
        raise HubError(f"import {repo_id}: unknown repo type {kind!r}; write model:, dataset: or space: "
                       "before the id, or none for --type.")
    return rest, kind


def import_repos(publisher: Publisher, repo_ids: Sequence[str], repo_type: str = "model",
                 collections: Sequence[str] = ()) -> str:
    """A manifest (YAML) with one entry per repo in ``repo_ids`` (each ``ID`` or ``TYPE:ID``) and per
    collection slug."""
    typed = [_typed(repo_id, repo_type) for repo_id in repo_ids]
    entries = [entry(publisher, repo_id, kind) for repo_id, kind in typed]
    document: dict[str, Any] = {"version": 1, **({"repos": entries} if entries else {})}
    if collections:
        document["collections"] = [collection_entry(publisher, slug) for slug in collections]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    # A plan needs each source folder; the files the Hub holds are the ones a plan then finds unchanged.
    fill = [f"#   {download_command(e['id'], e['type'], e['source']['path'])}\n" for e in entries]
    secrets = sorted({env["env"] for e in entries for env in e.get("space", {}).get("secrets", {}).values()})
    if secrets:
        fill.append("# The Hub never returns a secret's value: set these environment variables before `hfsync "
                    f"plan`: {', '.join(secrets)}\n")
    # The schema file beside the manifest, written by `hfsync schema > hfsync.schema.json`.
    head = "# Fill the source folders before `hfsync plan`:\n" if entries else ""
    return MODELINE + head + "".join(fill) + body
