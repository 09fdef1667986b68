"""What pulled files take room on this machine, and which of them may go.

Two layouts hold pulled files: the plain ``dest`` folders of the manifests' pulls (one
item per file) and the Hugging Face cache, HF_HUB_CACHE (one item per cached revision;
huggingface_hub's ``scan_cache_dir`` reads it and its delete strategy removes revisions
without breaking blobs another revision shares).

An item is *pinned* when a lock file of the given manifests pins it (that file of that
pull; that commit of that repo), and *protected* when it belongs to a base model that a
kept adapter names (``adapter_config.json`` base_model_name_or_path, or the card's
``base_model``). Pruning evicts the least recently used of the rest first (by access
time), and never a pinned or protected item. Protection is recomputed after every
eviction: a base model loses it only when the last adapter naming it goes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from huggingface_hub import constants
from huggingface_hub.utils import CacheNotFound, HFCacheInfo, scan_cache_dir

from hfsync.errors import HfsyncError
from hfsync.inspect.bounded import Exceeded, load_json, load_yaml
from hfsync.lock.layout import Layout
from hfsync.lock.lockfile import read_lock
from hfsync.manifest.model import Manifest
from hfsync.model.discover import Item
from hfsync.model.lock import LockedPull

_AGE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhdw])")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_READ_LIMIT = 1 << 20  # adapter configs and cards are small; never read a weight file by mistake


def parse_age(text: str) -> float:
    """``90s``, ``45m``, ``12h``, ``30d``, ``2w`` (or ``1d12h``) -> seconds."""
    parts = _AGE.findall(text.strip().lower())
    if not parts or _AGE.sub("", text.strip().lower()).strip():
        raise HfsyncError(f"not an age: {text!r}", hint="Write it like 30d, 12h, 45m, 90s or 2w.")
    return sum(float(number) * _AGE_UNITS[unit] for number, unit in parts)


@dataclass
class Inventory:
    """What pulled files take room on this machine, and the lock files that protect some."""

    items: list[Item]
    hf_cache: HFCacheInfo | None
    locks: list[Path] = field(default_factory=list)
    unlocked: list[Path] = field(default_factory=list)  # manifests with pulls but no lock file

    @property
    def size(self) -> int:
        files = sum(i.size for i in self.items if i.kind == "file")
        return files + (self.hf_cache.size_on_disk if self.hf_cache else 0)


def _read_small(path: Path) -> str | None:
    # O_NOATIME: looking inside must not make an item look recently used.
    flags = os.O_RDONLY | getattr(os, "O_NOATIME", 0)
    try:
        try:
            fd = os.open(path, flags)
        except PermissionError:
            fd = os.open(path, os.O_RDONLY)  # O_NOATIME needs ownership of the file
        with os.fdopen(fd, "rb") as handle:
            return handle.read(_READ_LIMIT).decode("utf-8", errors="replace")
    except OSError:
        return None


def bases_named(adapter_config: Path | None, card: Path | None) -> tuple[str, ...]:
    """Base models an adapter names: adapter_config.json, else the card's ``base_model``."""
    names: list[str] = []
    if adapter_config is not None and (text := _read_small(adapter_config)):
        try:
            value = load_json(text).get("base_model_name_or_path")
        except (ValueError, AttributeError):
            value = None
        if isinstance(value, str) and value:
            names.append(value)
    if card is not None and (text := _read_small(card)):
        match = re.match(r"\A\ufeff?---\s*\n(.*?)\n---\s*(\n|\Z)", text, re.DOTALL)
        try:
            front = load_yaml(match.group(1)) if match else None
        except (yaml.YAMLError, Exceeded):
            front = None
        declared = front.get("base_model") if isinstance(front, dict) else None
        for value in declared if isinstance(declared, list) else [declared]:
            if isinstance(value, str) and value and value not in names:
                names.append(value)
    return tuple(names)


def _last_used(stat: os.stat_result) -> float:
    # On noatime mounts the access time never moves; the write time is then the best clue.
    return max(stat.st_atime, stat.st_mtime)


def _dest_items(manifest: Manifest, pins: dict[tuple[str, str], LockedPull], lock_name: str) -> list[Item]:
    items = []
    for pull in manifest.pulls:
        if pull.dest is None or not pull.dest.is_dir():
            continue
        entry = pins.get((pull.type, pull.id)) or LockedPull(pull.id, pull.type, "", "", "", ())
        pinned = {f.path for f in entry.files}
        root = Path(os.path.abspath(pull.dest))
        found = []
        for relative in Layout(pull, entry).present():
            path = root / relative
            try:
                stat = path.lstat()
            except OSError:
                continue
            found.append(Item("file", pull.type, pull.id, path, stat.st_size, _last_used(stat), root=root,
                              pinned_by=lock_name if relative in pinned else None))
        # The adapter's naming lives on the file that says it, so it lasts as long as that file.
        config, card = root / "adapter_config.json", root / "README.md"
        names = bases_named(config if config.is_file() else None, card if card.is_file() else None)
        for item in found:
            if item.path in (config, card):
                item.names_bases = names
        items.extend(found)
    return items


def _cache_items(info: HFCacheInfo, pins: dict[tuple[str, str], dict[str, str]]) -> list[Item]:
    items = []
    for repo in info.repos:
        for revision in repo.revisions:
            by_name = {f.file_path.relative_to(revision.snapshot_path).as_posix(): f for f in revision.files}
            config, card = by_name.get("adapter_config.json"), by_name.get("README.md")
            items.append(Item(
                "revision", repo.repo_type, repo.repo_id, revision.snapshot_path, revision.size_on_disk,
                max((f.blob_last_accessed for f in revision.files), default=revision.last_modified),
                commit=revision.commit_hash,
                pinned_by=pins.get((repo.repo_type, repo.repo_id), {}).get(revision.commit_hash),
                names_bases=bases_named(config.file_path if config else None, card.file_path if card else None),
            ))
    return items


def inventory(manifests: Sequence[Manifest], hf_cache: Path | None = None) -> Inventory:
    """Every item in the manifests' dest folders and in the HF cache, with its pins."""
    items: list[Item] = []
    cache_pins: dict[tuple[str, str], dict[str, str]] = {}
    locks: list[Path] = []
    unlocked: list[Path] = []
    for manifest in manifests:
        lock = read_lock(manifest.lock_path)
        entries = {(p.type, p.id): p for p in lock.pulls} if lock else {}
        if lock is None and manifest.pulls:
            unlocked.append(manifest.path)
        if lock is not None:
            locks.append(lock.path)
            for entry in lock.pulls:
                cache_pins.setdefault((entry.type, entry.id), {})[entry.commit] = str(lock.path)
        items.extend(_dest_items(manifest, entries, str(manifest.lock_path)))
    try:
        info: HFCacheInfo | None = scan_cache_dir(hf_cache or constants.HF_HUB_CACHE)
    except CacheNotFound:
        info = None
    if info is not None:
        items.extend(_cache_items(info, cache_pins))
    items.sort(key=lambda i: (i.last_used, i.label))
    return Inventory(items, info, locks, unlocked)


def _protect(items: Iterable[Item], evicted: set[int]) -> None:
    """Mark the items of every base model a kept adapter names."""
    guards: dict[str, str] = {}
    for item in items:
        if id(item) not in evicted:
            for base in item.names_bases:
                if base != item.repo_id:
                    guards.setdefault(base, item.repo_id)
    for item in items:
        item.protected_by = guards.get(item.repo_id) if item.repo_type == "model" else None


@dataclass
class Choice:
    """What prune evicts, and the bytes that frees."""

    evict: list[Item]
    freed: int
    left_over: int  # bytes still above --max-size when nothing else may go


def choose(inv: Inventory, *, max_size: int | None = None, older_than: float | None = None,
           now: float) -> Choice:
    """Which items to evict, least recently used first, never pinned or protected ones."""
    evict: list[Item] = []
    evicted: set[int] = set()

    def freed() -> int:
        files = sum(i.size for i in evict if i.kind == "file")
        commits = [i.commit for i in evict if i.kind == "revision" and i.commit]
        return files + (inv.hf_cache.delete_revisions(*commits).expected_freed_size if commits and inv.hf_cache else 0)

    while True:
        _protect(inv.items, evicted)
        over = max_size is not None and inv.size - freed() > max_size  # once per round: freed() scans the cache
        candidate = next((i for i in inv.items if id(i) not in evicted and not i.pinned_by and not i.protected_by
                          and (over or (older_than is not None and i.last_used <= now - older_than))), None)
        if candidate is None:
            break
        evict.append(candidate)
        evicted.add(id(candidate))
    total = freed()
    left = max(0, inv.size - total - max_size) if max_size is not None else 0
    return Choice(evict, total, left)


def choose_from_options(inv: Inventory, max_size: str | None, older_than: str | None, now: float) -> Choice:
    """``choose`` with the CLI's texts: ``--max-size 50GB``, ``--older-than 30d``."""
    from hfsync.manifest.build import parse_size

    if max_size is None and older_than is None:
        raise HfsyncError("cache prune needs --max-size or --older-than.",
                          hint="For example `hfsync cache prune --max-size 50GB --dry-run`.")
    try:
        limit = parse_size(max_size) if max_size is not None else None
    except ValueError:
        raise HfsyncError(f"--max-size: not a size: {max_size!r}",
                          hint="Write it like 50GB, 512MiB or 1000000 (bytes).") from None
    return choose(inv, max_size=limit, older_than=parse_age(older_than) if older_than else None, now=now)


def delete(inv: Inventory, choice: Choice) -> None:
    """Remove the chosen items: files (and folders they leave empty), then cache revisions."""
    for item in choice.evict:
        if item.kind != "file":
            continue
        item.path.unlink(missing_ok=True)
        folder = item.path.parent
        while item.root is not None and folder != item.root and folder.is_relative_to(item.root):
            try:
                folder.rmdir()  # only succeeds while empty
            except OSError:
                break
            folder = folder.parent
    commits = [i.commit for i in choice.evict if i.kind == "revision" and i.commit]
    if commits and inv.hf_cache is not None:
        inv.hf_cache.delete_revisions(*commits).execute()




def listing(manifests: Sequence[Manifest], now: float) -> Inventory:
    """`hfsync cache ls`: every item, with the base models that kept adapters protect marked."""
    inv = inventory(manifests)
    choose(inv, now=now)
    return inv


def prune(manifests: Sequence[Manifest], max_size: str | None, older_than: str | None, *, dry_run: bool,
          now: float) -> tuple[Inventory, Choice]:
    """`hfsync cache prune`: choose what to evict (``choose_from_options``) and, unless ``dry_run``, delete it."""
    inv = inventory(manifests)
    choice = choose_from_options(inv, max_size, older_than, now)
    if not dry_run:
        delete(inv, choice)
    return inv, choice
