"""Which files of a dataset repo a ``data_files`` pattern names, as the Hub's viewer and
``datasets`` resolve it, and what format each file is; the split layout the Hub infers
when a card declares no ``configs``.

Glob semantics are fsspec's (what ``datasets`` resolves patterns with): ``*`` and ``?``
stay within one path segment, ``**`` alone as a segment spans any number of folders, and
``[...]`` is a character class. A file inside a hidden folder (or hidden itself, a name
starting with ``.``) or inside a ``__special__`` folder is matched only by a pattern that
names as many such parts; README.md and the other files ``datasets`` never reads as data
are matched only by a pattern naming them. Pure: file lists in, file lists out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

# datasets.data_files.FILES_TO_IGNORE.
IGNORED = frozenset({"README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip",
                     "dataset_dict.json"})
# datasets.naming._split_re: a split names a cache file.
SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")

_COMPRESSED = frozenset({"gz", "bz2", "xz", "zst", "lz4", "zstd"})
_FOLDER_KINDS = {
    "imagefolder": "png jpg jpeg gif bmp tif tiff webp",
    "audiofolder": "wav mp3 flac ogg opus m4a aiff",
    "videofolder": "mp4 mov avi mkv webm",
    "pdffolder": "pdf",
}
# The builder ``datasets`` picks for a file by its extension (tsv is csv with another
# separator: a different builder configuration, so a format of its own here).
FORMATS: dict[str, str] = {
    "csv": "csv", "tsv": "tsv", "json": "json", "jsonl": "json", "ndjson": "json", "parquet": "parquet",
    "geoparquet": "parquet", "gpq": "parquet", "arrow": "arrow", "txt": "text", "tar": "webdataset",
    "xml": "xml", "h5": "hdf5", "hdf5": "hdf5", "lance": "lance", "eval": "eval",
    **{ext: kind for kind, exts in _FOLDER_KINDS.items() for ext in exts.split()},
}
# Beside the media of a folder-based dataset, the file holding their labels.
_METADATA = re.compile(r"(^|/)metadata\.(csv|jsonl|parquet)$")

# datasets.data_files' split conventions, tried in this order.
SPLIT_KEYWORDS = {"train": ("train", "training"), "validation": ("validation", "valid", "dev", "val"),
                  "test": ("test", "testing", "eval", "evaluation")}
_SEP = "[-._ 0-9]"
SHARDED = re.compile(r"^data/(?P<split>[^/]+?)-\d{5}-of-\d{5}[^/]*\.[^/]*$")


def format_of(path: str) -> str | None:
    """The builder the viewer reads ``path`` with (csv, json, parquet, imagefolder, ...), or None."""
    name = path[path.rfind("/") + 1:]
    dot = name.rfind(".")
    ext = name[dot + 1:].lower() if dot > 0 else ""
    if ext in _COMPRESSED:  # data.csv.gz is csv
        name = name[:dot]
        dot = name.rfind(".")
        ext = name[dot + 1:].lower() if dot > 0 else ""
    return FORMATS.get(ext)


def formats_of(files: Iterable[str]) -> dict[str, list[str]]:
    """The files by format (files of no data format left out; the label file of a
    folder-based dataset counted as part of it)."""
    found: dict[str, list[str]] = {}
    for path in files:
        kind = format_of(path)
        if kind is not None:
            found.setdefault(kind, []).append(path)
    if any(k.endswith("folder") for k in found):
        for kind in [k for k in found if not k.endswith("folder")]:
            found[kind] = [f for f in found[kind] if not _METADATA.search(f)]
            if not found[kind]:
                del found[kind]
    return found


def _segment(part: str) -> str:
    out, i = "", 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[" and (end := part.find("]", i + 2 if part[i + 1:i + 2] in ("!", "^") else i + 1)) != -1:
            body = part[i + 1:end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out += "[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]"
            i = end
        else:
            out += re.escape(char)
        i += 1
    return out


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    parts = pattern.split("/")
    out = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            out += ".+" if last else "(?:[^/]+/)*"
        else:
            out += _segment(part) + ("" if last else "/")
    try:
        return re.compile(out)
    except re.error:
        return re.compile(re.escape(pattern))  # a class the regex engine refuses: literal, as glob does


def _hidden(parts: Sequence[str]) -> int:
    return sum(1 for p in parts if p.startswith(".") and set(p) != {"."})


def _special(parts: Sequence[str]) -> int:
    return sum(1 for p in parts if p.startswith("__"))


def _counts(path: str) -> tuple[int, int]:
    """(hidden parts, __special__ folders) of ``path``; most paths have neither, said at once."""
    if not path.startswith((".", "_")) and "/." not in path and "/_" not in path:
        return 0, 0
    parts = path.split("/")
    return _hidden(parts), _special(parts[:-1])


def matches(pattern: str, files: Iterable[str]) -> list[str]:
    """The files ``pattern`` names, as ``datasets.data_files.resolve_pattern`` resolves it;
    ValueError for a pattern fsspec refuses (``**`` within a path component)."""
    pattern = pattern.removeprefix("./")
    if any("**" in part and part != "**" for part in pattern.split("/")):
        raise ValueError(f"'{pattern}': '**' can only be an entire path component (write 'data/**' or "
                         "'data/train-*')")
    match = _compiled(pattern).fullmatch
    wanted = _counts(pattern)
    base = pattern.rsplit("/", 1)[-1]
    out = []
    for path in files:
        if not match(path):
            continue
        name = path.rsplit("/", 1)[-1]
        if (name in IGNORED and name != base) or _counts(path) != wanted:
            continue
        out.append(path)
    return out


def _visible(path: str) -> bool:
    """Whether ``**`` names ``path`` (not hidden, not __special__, not a file never read as data)."""
    return _counts(path) == (0, 0) and path.rsplit("/", 1)[-1] not in IGNORED


# A split keyword as a folder name, or in a file name, delimited by non-word characters.
_IN_DIR = {split: re.compile(rf"(?:^|/)(?:[^/]*{_SEP})?(?:{'|'.join(words)})(?:{_SEP}[^/]*)?/")
           for split, words in SPLIT_KEYWORDS.items()}
_IN_NAME = {split: re.compile(rf"(?:^|/)(?:[^/]*{_SEP})?(?:{'|'.join(words)}){_SEP}[^/]*$")
            for split, words in SPLIT_KEYWORDS.items()}


def infer_splits(files: Sequence[str]) -> dict[str, list[str]]:
    """Split -> files, as the Hub lays out a dataset whose card declares no ``configs``:
    ``data/<split>-00000-of-00003.*`` shards, else folders or file names holding a split
    keyword (``train/``, ``test.csv``, ``my_valid_1.jsonl``), else every data file as train.
    Files of no data format are left out; empty when there is no data file."""
    data = [f for f in files if format_of(f) is not None and _visible(f)]
    sharded: dict[str, list[str]] = {}
    for path in data:
        if (found := SHARDED.match(path)) is not None:
            sharded.setdefault(found.group("split"), []).append(path)
    if sharded:
        order = [s for s in SPLIT_KEYWORDS if s in sharded] + sorted(set(sharded) - set(SPLIT_KEYWORDS))
        return {split: sharded[split] for split in order}
    for patterns in (_IN_DIR, _IN_NAME):
        found_splits = {split: [f for f in data if pattern.search(f)] for split, pattern in patterns.items()}
        found_splits = {split: members for split, members in found_splits.items() if members}
        if found_splits:
            return found_splits
    return {"train": data} if data else {}
