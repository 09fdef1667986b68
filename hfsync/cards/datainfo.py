"""What a generated dataset card says of the data: ``configs`` derived from the folder
layout (the Hub's conventions, written out so the viewer and ``datasets`` need not guess),
and ``dataset_info``: the features with their types and each split's ``num_examples``
and ``num_bytes``, from the files' descriptions (cards.describe) and row counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hfsync.cards.check import file_rows
from hfsync.cards.datafiles import format_of, formats_of, infer_splits, matches
from hfsync.cards.describe import Described, describable, describe
from hfsync.errors import HfsyncError

# Arrow's type names as ``datasets`` writes them in a card's features.
_DTYPES = {"double": "float64", "float": "float32", "halffloat": "float16", "large_string": "string",
           "date32[day]": "date32", "date64[ms]": "date64"}
_SIMPLE = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
           "float64", "string", "binary", "large_binary", "date32", "date64", "null"}


def _pattern(name: str, split: list[str], data: list[str]) -> list[str] | str:
    """The shortest glob naming exactly the files of split ``name`` among ``data``, else the files."""
    if len(split) == 1:
        return split[0]
    folder = os.path.commonpath(split)
    # The common start of the names, cut back to a separator: data/train-0000 -> data/train-.
    start = re.sub(r"[A-Za-z0-9]+$", "", os.path.commonprefix(split))  # noqa: RUF071 (names, not folders)
    candidates = [f"data/{name}-*", f"{folder}/*" if folder else "*", f"{folder}/**" if folder else "**"]
    if start.startswith(f"{folder}/" if folder else "") and "/" not in start[len(folder) + 1:]:
        candidates.append(f"{start}*")
    for candidate in candidates:
        if not re.search(r"[?\[\]]", candidate.replace("*", "")) and set(matches(candidate, data)) == set(split):
            return candidate
    return sorted(split)


def derived_configs(files: Sequence[str]) -> list[dict[str, Any]]:
    """``configs`` for a card that declares none: one ``default`` config whose splits are
    the ones the Hub's layout conventions give (empty when there is no data file, or when
    the splits mix formats: no config the viewer reads would hold them)."""
    splits = infer_splits(sorted(files))
    if not splits or len(formats_of(f for members in splits.values() for f in members)) > 1:
        return []
    data = [f for f in files if format_of(f) is not None]
    return [{"config_name": "default",
             "data_files": [{"split": name, "path": _pattern(name, sorted(members), data)}
                            for name, members in splits.items()]}]


def _feature(name: str, arrow: str) -> dict[str, Any] | None:
    dtype = _DTYPES.get(arrow, arrow)
    if dtype in _SIMPLE or dtype.startswith(("timestamp[", "time32[", "time64[", "decimal")):
        return {"name": name, "dtype": dtype}
    if dtype.startswith(("list<", "large_list<")) and dtype.endswith(">"):
        inner = _DTYPES.get(dtype.split(": ", 1)[-1][:-1], dtype.split(": ", 1)[-1][:-1])
        return {"name": name, "sequence": inner} if inner in _SIMPLE else None
    return None


def _rows(root: Path, path: str, described: Described) -> int | None:
    return described.rows if described.rows is not None else file_rows(root / path)


def dataset_info(root: Path, configs: list[dict[str, Any]], files: Sequence[str]) -> dict[str, Any] | None:
    """``dataset_info`` of the first config (features, splits with num_examples and num_bytes,
    download and dataset sizes), from the files under ``root``; None when a file cannot be
    described (a format hfsync does not read, a type with no simple feature)."""
    if not configs:
        return None
    splits = infer_splits(sorted(files))
    every = [f for members in splits.values() for f in members]
    if not all(describable(f) for f in every):
        return None
    try:
        found = describe(root, every)
    except (OSError, HfsyncError):  # HfsyncError: pyarrow missing (the plan names the extra)
        return None
    if any(d.problem for d in found.values()):
        return None
    first = found[every[0]].columns
    features = [f for n, t in first.items() if (f := _feature(n, "string" if t == "null" else t)) is not None]
    if len(features) != len(first):
        return None
    described = []
    for name, members in splits.items():
        rows = [_rows(root, m, found[m]) for m in members]
        if None in rows:
            return None
        described.append({"name": name, "num_bytes": sum(found[m].nbytes for m in members),
                          "num_examples": sum(r for r in rows if r is not None)})
    download = sum((root / f).stat().st_size for members in splits.values() for f in members)
    return {"features": features or [], "splits": described, "download_size": download,
            "dataset_size": sum(s["num_bytes"] for s in described)}


def total_rows(info: dict[str, Any] | None) -> int | None:
    """Rows in every split ``info`` describes."""
    return sum(s["num_examples"] for s in info["splits"]) if info else None
