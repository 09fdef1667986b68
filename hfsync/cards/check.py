"""Card metadata checks, offline: license ids, language codes, tasks, size categories,
base model ids. Each problem names where the value came from: the manifest's
``card.metadata`` (file:line:column) or the source's README.md front matter.

The Hub keeps the final word; plan also asks its /api/validate-yaml when online
(hub.cards.validate_yaml).
"""

from __future__ import annotations

import csv
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from hfsync.environment import cache_dir
from hfsync.errors import Problem
from hfsync.hubfacts import LANGUAGES, LICENSES, SIZE_CATEGORIES, TASKS, is_valid_repo_id, size_category
from hfsync.manifest.model import Manifest, RepoTarget
from hfsync.manifest.yamlpos import read
from hfsync.paths import atomic_write

Path_ = tuple[str | int, ...]
_LANG = re.compile(r"^([a-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*$")
_SIZES = {name for name, _, _ in SIZE_CATEGORIES}
# Counting rows reads the files; beyond this a dataset's size is left to its author.
_COUNT_LIMIT = 256 * 1024 * 1024


def _listed(value: Any) -> list[tuple[int | None, Any]]:
    if isinstance(value, list):
        return list(enumerate(value))
    return [(None, value)]


def _at(key: str, index: int | None) -> Path_:
    return (key,) if index is None else (key, index)


def check_metadata(meta: Mapping[str, Any], repo_type: str, rows: int | None = None) -> list[tuple[Path_, str]]:
    """Problems in card metadata, each with the key path it was found at."""
    problems: list[tuple[Path_, str]] = []
    for index, value in _listed(meta.get("license")) if "license" in meta else []:
        if value not in LICENSES:
            problems.append((_at("license", index), f"unknown license id '{value}'; expected a Hub "
                             "license id such as apache-2.0, mit or cc-by-4.0 (or 'other' with license_name)"))
    for index, value in _listed(meta.get("language")) if "language" in meta else []:
        match = _LANG.match(str(value))
        if not match or match.group(1) not in LANGUAGES:
            problems.append((_at("language", index), f"unknown language code '{value}'; expected an "
                             "ISO 639-1 or 639-3 code such as en, fr or yue"))
    task_key = "task_categories" if repo_type == "dataset" else "pipeline_tag"
    if task_key in meta:
        for index, value in _listed(meta[task_key]):
            if value not in TASKS:
                problems.append((_at(task_key, index), f"unknown task '{value}'; expected a Hub task "
                                 "such as text-classification, text-generation or image-classification"))
    if "size_categories" in meta:
        for index, value in _listed(meta["size_categories"]):
            if value not in _SIZES:
                problems.append((_at("size_categories", index), f"size category '{value}' is not in the "
                                 "Hub's format; expected one of " + ", ".join(n for n, _, _ in SIZE_CATEGORIES)))
            elif rows is not None and value != size_category(rows):
                problems.append((_at("size_categories", index), f"size category '{value}' does not match "
                                 f"the dataset's {rows} rows; expected '{size_category(rows)}'"))
    if "base_model" in meta:
        for index, value in _listed(meta["base_model"]):
            if not (is_valid_repo_id(str(value)) and "/" in str(value)):
                problems.append((_at("base_model", index), f"base_model '{value}' is not a Hub repo id "
                                 "('namespace/name')"))
    return problems


def _csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        dialect = "excel-tab" if path.suffix == ".tsv" else "excel"
        return max(0, sum(1 for _ in csv.reader(handle, dialect=dialect)) - 1)


def _jsonl_rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


class _RowCounts:
    """Row counts remembered by (path, size, mtime_ns, inode), like the digest cache, so
    a second plan over an unchanged dataset reads none of its files."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, list[int]] = {}
        self._file: Path | None = None

    def _load(self) -> Path:
        target = cache_dir() / "row-counts.json"
        if target != self._file:  # the cache directory moved (HFSYNC_CACHE_DIR)
            try:
                self._known = json.loads(target.read_text())
            except (OSError, ValueError):
                self._known = {}
            self._file = target
        return target

    def get(self, path: Path, count: Callable[[Path], int]) -> int:
        stat = os.stat(path)
        key, stamp = str(path.absolute()), [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        with self._lock:
            self._load()
            found = self._known.get(key)
            if found is not None and found[:3] == stamp:
                return found[3]
        rows = count(path)
        with self._lock:
            target = self._load()
            self._known[key] = [*stamp, rows]
            try:
                atomic_write(target, json.dumps(self._known), durable=False)
            except OSError:
                pass  # a cache that cannot be written only costs a recount
        return rows


_row_counts = _RowCounts()


def file_rows(path: Path) -> int | None:
    """Rows of one CSV, TSV or JSON Lines file (None for another kind), remembered by stat."""
    counter = {".csv": _csv_rows, ".tsv": _csv_rows, ".jsonl": _jsonl_rows}.get(path.suffix)
    return _row_counts.get(path, counter) if counter is not None else None


def count_rows(root: Path, files: Iterable[str]) -> int | None:
    """Rows in a dataset source made of CSV/TSV/JSONL files; None when not countable."""
    counters = {".csv": _csv_rows, ".tsv": _csv_rows, ".jsonl": _jsonl_rows}
    data = [f for f in files if Path(f).suffix in (".csv", ".tsv", ".jsonl", ".json", ".parquet", ".arrow")]
    if not data or any(Path(f).suffix not in counters for f in data):
        return None
    if sum((root / f).stat().st_size for f in data) > _COUNT_LIMIT:
        return None
    return sum(_row_counts.get(root / f, counters[Path(f).suffix]) for f in data)


def _front_matter_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        if (key := re.match(r"^([A-Za-z_][\w-]*)\s*:", line)) is not None:
            lines.setdefault(key.group(1), number)
    return lines


# huggingface_hub.repocard's front matter block (REGEX_YAML_BLOCK).
FRONT_MATTER = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")


def front_matter(text: str) -> dict[str, Any]:
    """A card's metadata as huggingface_hub's ``RepoCard(text).data.to_dict()`` reads it
    (the YAML block between ``---`` lines; keys set to null left out), for reading only:
    importing huggingface_hub's card module costs start-up time. ValueError when the
    block is not YAML, not a mapping, or past the bounds of ``load_yaml`` (nesting, aliases)."""
    match = FRONT_MATTER.search(text)
    if match is None:
        return {}
    return metadata_of(load_yaml(match.group(2)))


def load_yaml(text: str) -> Any:
    """``text`` as YAML's safe loader reads it, parsed by libyaml when it is there (several
    times faster on a large front matter), within the bounds of ``bounded.load_yaml``
    (nesting, aliases); ValueError worded as the pure parser words it."""
    import yaml

    from hfsync.inspect import bounded

    try:
        return bounded.load_yaml(text)
    except yaml.YAMLError:
        pass
    try:
        return bounded.load_yaml(text, yaml.SafeLoader)  # its message is the one users know
    except yaml.YAMLError as error:
        raise ValueError(getattr(error, "problem", None) or " ".join(str(error).split())) from None


def metadata_of(data: Any) -> dict[str, Any]:
    """The metadata of a parsed front matter block (ValueError when it is not a mapping)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("repo card metadata block should be a dict")
    return {key: value for key, value in data.items() if value is not None}


def readme_problems(
    readme: Path, repo_type: str, rows: int | None = None, skip: Iterable[str] = ()
) -> list[Problem]:
    """Problems in a README.md's front matter, located by line; ``skip``: keys overridden."""
    text = readme.read_text(encoding="utf-8", errors="replace")
    if not text.startswith("---"):
        return []
    try:
        meta = front_matter(text)
    except ValueError as error:
        return [Problem(str(readme), 1, None, f"front matter is not valid YAML: {error}")]
    lines = _front_matter_lines(text)
    meta = {k: v for k, v in meta.items() if k not in set(skip)}
    return [Problem(str(readme), lines.get(str(key[0])), None, message)
            for key, message in check_metadata(meta, repo_type, rows)]


def target_problems(manifest: Manifest, index: int, target: RepoTarget, files: list[str]) -> list[Problem]:
    """Problems in the card ``target`` will publish: its declared metadata and README."""
    rows = count_rows(target.source.path, files) if target.type == "dataset" else None
    found: list[Problem] = []
    declared = check_metadata(target.card.metadata, target.type, rows)
    if declared:
        document, _ = read(manifest.path)
        for key, message in declared:
            where: Path_ = ("repos", index, "card", "metadata", *key)
            found.append(document.problem(where, message) if document is not None
                         else Problem(str(manifest.path), target.location.line, None, message))
    readme = target.source.path / "README.md"
    if readme.is_file():
        # Keys the manifest declares override the README's: report only the README's own.
        found += readme_problems(readme, target.type, rows, skip=target.card.metadata)
    return found
