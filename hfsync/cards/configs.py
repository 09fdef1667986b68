"""A dataset card's viewer ``configs``, checked against the files the repo will hold.

The grammar is the Hub's (datasets-manual-configuration) as ``datasets`` reads it
(``MetadataConfigs``): a list of mappings, each with a ``config_name``; ``data_files`` a
pattern, a list of patterns, or a list of ``{split, path}`` where ``path`` is a pattern
or a list of them; ``data_dir`` the folder they are relative to; ``default: true`` on at
most one. Checked: types, every pattern matching at least one file (cards.datafiles'
glob semantics), split names valid and unique per config, one file format per config,
one default, config names unique, no pattern leaving the repo.

Each problem carries the key path inside the ``configs`` value it is about, for the
caller to locate (a README's front matter line, or the manifest's). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hfsync.cards.datafiles import SPLIT_NAME, formats_of, infer_splits, matches
from hfsync.units import few

Key = tuple[str | int, ...]
# BuilderConfig refuses these in a name (it names a cache folder).
_BAD_NAME = re.compile(r"[<>:/\\|?*]")


@dataclass(frozen=True)
class Config:
    """One config resolved: its splits and the files each holds."""

    name: str
    default: bool
    splits: dict[str, list[str]]


@dataclass
class Checked:
    """What the check found: the configs it could resolve, problems and warnings, each at a key path."""

    configs: list[Config] = field(default_factory=list)
    problems: list[tuple[Key, str]] = field(default_factory=list)
    warnings: list[tuple[Key, str]] = field(default_factory=list)


def _outside(pattern: str) -> str | None:
    if "://" in pattern:
        return None
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", pattern):
        return f"'{pattern}' is an absolute path; data_files are relative to the repo"
    if ".." in re.split(r"[\\/]", pattern):
        return f"'{pattern}' contains '..'; data_files name files inside the repo"
    return None


def _patterns(value: Any, key: Key, checked: Checked) -> dict[str, list[tuple[Key, str]]] | None:
    """Split -> (key, pattern) of one config's ``data_files``; None when its type is wrong."""
    expected = ("data_files must be a pattern, a list of patterns, or a list of {split, path} "
                "(path: a pattern or a list of patterns)")
    if isinstance(value, str):
        return {"train": [(key, value)]}
    if not isinstance(value, list) or not value:
        checked.problems.append((key, f"{expected}; got {_kind(value)}"))
        return None
    if all(isinstance(v, str) for v in value):
        return {"train": [((*key, i), v) for i, v in enumerate(value)]}
    splits: dict[str, list[tuple[Key, str]]] = {}
    ok = True
    for index, item in enumerate(value):
        at = (*key, index)
        if not isinstance(item, dict) or set(item) != {"split", "path"}:
            got = sorted(map(str, item)) if isinstance(item, dict) else _kind(item)
            checked.problems.append((at, f"{expected}; a list item must be {{split, path}} and nothing else, "
                                         f"got {got}"))
            ok = False
            continue
        split, path = item["split"], item["path"]
        if not isinstance(split, str) or not SPLIT_NAME.match(split):
            checked.problems.append(((*at, "split"), f"split name {split!r} is not valid: a split name is "
                                     "letters, digits and underscores, parts joined by dots (train, test_2, "
                                     "train.clean)"))
            ok = False
            continue
        if split in splits:
            checked.problems.append(((*at, "split"), f"split '{split}' appears twice in this config"))
            ok = False
            continue
        paths = [path] if isinstance(path, str) else path
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            checked.problems.append(((*at, "path"), f"path must be a pattern or a non-empty list of patterns; "
                                     f"got {_kind(path)}"))
            ok = False
            continue
        splits[split] = [((*at, "path") if isinstance(path, str) else (*at, "path", i), p)
                         for i, p in enumerate(paths)]
    return splits if ok else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ('{value}')"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    return "a mapping" if isinstance(value, dict) else type(value).__name__


def _one(raw: dict[str, Any], key: Key, files: Sequence[str], checked: Checked) -> Config | None:
    name = raw.get("config_name")
    if not isinstance(name, str) or not name.strip():
        checked.problems.append(((*key, "config_name") if "config_name" in raw else key,
                                 f"each config needs a config_name (a string); got {_kind(name)}"))
        return None
    if _BAD_NAME.search(name):
        checked.problems.append(((*key, "config_name"), f"config name '{name}' holds one of <>:/\\|?*"))
    default = raw.get("default", False)
    if not isinstance(default, bool):
        checked.problems.append(((*key, "default"), f"default must be true or false; got {_kind(default)}"))
    data_dir = raw.get("data_dir")
    base = ""
    if data_dir is not None:
        if not isinstance(data_dir, str):
            checked.problems.append(((*key, "data_dir"), f"data_dir must be a folder name; got {_kind(data_dir)}"))
            return None
        if (why := _outside(data_dir)) is not None:
            checked.problems.append(((*key, "data_dir"), why))
            return None
        base = data_dir.strip("/").removeprefix("./") + "/" if data_dir.strip("/.") else ""
    inside = [f[len(base):] for f in files if f.startswith(base)] if base else list(files)
    if "data_files" not in raw:
        inferred = infer_splits(inside)
        if not inferred:
            where = f"data_dir '{data_dir}'" if base else "the repo"
            checked.problems.append(((*key, "data_dir") if base else key,
                                     f"config '{name}' declares no data_files and {where} holds no data file"))
            return None
        return Config(name, default is True, {s: [base + f for f in fs] for s, fs in inferred.items()})
    splits = _patterns(raw["data_files"], (*key, "data_files"), checked)
    if splits is None:
        return None
    resolved: dict[str, list[str]] = {}
    for split, patterns in splits.items():
        found: dict[str, None] = {}
        for at, pattern in patterns:
            if (why := _outside(pattern)) is not None:
                checked.problems.append((at, why))
                continue
            if "://" in pattern:
                checked.warnings.append((at, f"'{pattern}' names files outside this repo; not checked"))
                continue
            try:
                hits = matches(pattern, inside)
            except ValueError as error:
                checked.problems.append((at, str(error)))
                continue
            if not hits:
                checked.problems.append((at, _unmatched(name, split, base + pattern, files)))
            found.update(dict.fromkeys(base + h for h in hits))
        resolved[split] = list(found)
    return Config(name, default is True, resolved)


def _unmatched(config: str, split: str, pattern: str, files: Sequence[str]) -> str:
    """What a reviewer needs to fix a pattern that matches nothing: the files it expected."""
    near = _near(pattern, files)
    hint = f"; files near it: {few(near)}" if near else ""
    return (f"data_files pattern '{pattern}' (config '{config}', split '{split}') matches no file the repo "
            f"will hold{hint}")


def _near(pattern: str, files: Sequence[str]) -> list[str]:
    """What the pattern probably meant: the visible files starting as it does (up to its
    first wildcard), else in its folder, else with its extension."""
    visible = matches("**", files)
    literal = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    folder = literal.rsplit("/", 1)[0] + "/" if "/" in literal else ""
    name = pattern.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    tests = [lambda f: f.startswith(literal) if literal else False, lambda f: f.startswith(folder) if folder else False,
             lambda f: f.endswith(suffix) if suffix and not re.search(r"[*?\[]", suffix) else False]
    for test in tests:
        if near := sorted(f for f in visible if test(f)):
            return near
    return []


def check(value: Any, files: Iterable[str]) -> Checked:
    """``configs`` (a card's value) checked against ``files`` (the repo's paths)."""
    checked = Checked()
    paths = sorted(files)
    if not isinstance(value, list):
        checked.problems.append(((), f"configs must be a list of configs (each with config_name and "
                                     f"data_files); got {_kind(value)}"))
        return checked
    names: dict[str, int] = {}
    defaults: list[str] = []
    for index, raw in enumerate(value):
        if not isinstance(raw, dict):
            checked.problems.append(((index,), f"each config must be a mapping with config_name; got {_kind(raw)}"))
            continue
        config = _one(raw, (index,), paths, checked)
        name = raw.get("config_name")
        if isinstance(name, str):
            if name in names:
                checked.problems.append(((index, "config_name"), f"config name '{name}' is declared twice "
                                         f"(first as configs[{names[name]}])"))
            names.setdefault(name, index)
            if name == "default" or raw.get("default") is True:
                defaults.append(name)
        if config is not None:
            checked.configs.append(config)
            _check_formats(config, (index,), checked)
    if len(defaults) > 1:
        checked.problems.append(((), f"more than one default config: {', '.join(defaults)} (a config named "
                                     "'default' is the default one; mark at most one with default: true)"))
    return checked


def _check_formats(config: Config, key: Key, checked: Checked) -> None:
    every = [f for files in config.splits.values() for f in files]
    kinds = formats_of(every)
    if len(kinds) > 1:
        parts = [f"{kind} ({few(sorted(fs))})" for kind, fs in sorted(kinds.items())]
        checked.problems.append(((*key, "data_files"), f"config '{config.name}' mixes file formats: "
                                 + "; ".join(parts) + "; the viewer reads one format per config"))
    known = {f for fs in kinds.values() for f in fs}
    other = sorted(f for f in every if f not in known and not _is_label_file(f, kinds))
    if other:
        checked.warnings.append(((*key, "data_files"), f"config '{config.name}' names {len(other)} file"
                                 f"{'s' if len(other) != 1 else ''} of no data format the viewer reads: "
                                 f"{few(other)}"))


def _is_label_file(path: str, kinds: dict[str, list[str]]) -> bool:
    return any(k.endswith("folder") for k in kinds) and path.rsplit("/", 1)[-1].startswith("metadata.")
