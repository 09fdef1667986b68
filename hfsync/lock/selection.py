"""Which of a repo's files a pull takes: globs, safetensors first, one GGUF variant.

Pure: the listing and the memory budget come in, the selection and its reasons go out.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from huggingface_hub.utils import filter_repo_objects

from hfsync.errors import HfsyncError, HubError, PolicyError
from hfsync.hubfacts import is_pickle_file
from hfsync.manifest.model import Manifest, Pull, Workspace
from hfsync.model.lock import LockedFile, LockedPull, Variant

# The fraction of MemAvailable a model may take: the rest is for the KV cache and the
# process itself. An explicit max_memory is taken as given.
MEMORY_HEADROOM = 0.9

_SHARD = re.compile(r"-\d{5}-of-\d{5}(?=\.gguf$)", re.IGNORECASE)
_QUANT = re.compile(r"(?:^|[-_.])(I?Q\d[A-Z0-9_]*|BF16|F16|F32|FP16|FP32)$", re.IGNORECASE)


@dataclass(frozen=True)
class Selection:
    """The files a pull takes, the pickle files left out for safetensors, the GGUF variant."""

    files: tuple[LockedFile, ...]
    left_out: tuple[str, ...] = ()
    variant: Variant | None = None


# Folders hfsync and huggingface_hub keep in a destination for themselves.
RESERVED = (".hfsync", ".cache")


def unsafe_path_reason(path: str) -> str | None:
    """Why a file path from the Hub cannot be written under a destination (None if it can)."""
    if not path or "\0" in path:
        return "empty or contains NUL"
    if "\\" in path:
        return "contains a backslash"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "is absolute"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' segment"
    if parts[0].casefold() in RESERVED:
        return "is inside a folder hfsync and huggingface_hub keep for themselves"
    return None


def _names_git(pattern: str) -> bool:
    return any(part.casefold() == ".git" for part in pattern.split("/"))




def set_aside(files: Sequence[LockedFile], pull: Pull) -> tuple[list[LockedFile], list[str]]:
    """The listing without what a pull never writes, and the paths left out: paths in the
    folders hfsync and huggingface_hub keep (``.hfsync/``, ``.cache/``), and ``.git/`` folders
    unless an ``include`` pattern names one (a repo's git internals would take over a
    destination inside a git checkout)."""
    asked = any(_names_git(pattern) for pattern in pull.include)
    kept: list[LockedFile] = []
    aside: list[str] = []
    for file in files:
        if file.path.split("/")[0].casefold() not in RESERVED and (asked or not _names_git(file.path)):
            kept.append(file)
        else:
            aside.append(file.path)
    return kept, sorted(aside)


def mem_available(meminfo: str = "/proc/meminfo") -> int | None:
    """MemAvailable in bytes, or None where the kernel does not say."""
    try:
        with open(meminfo, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def select(
    files: Sequence[LockedFile], pull: Pull, *, allow_unsafe: bool, memory: int | None = None
) -> Selection:
    """The files ``pull`` takes from a listing; PolicyError when it would need pickle files.

    ``memory`` is the machine's available memory (for ``variant: auto`` without max_memory).
    """
    chosen = list(
        filter_repo_objects(
            files, allow_patterns=list(pull.include) or None, ignore_patterns=list(pull.exclude) or None,
            key=lambda f: f.path,
        )
    )
    variant = None
    if pull.variant is not None:
        chosen, variant = _pick_variant(chosen, pull, memory)
    left_out: list[str] = []
    pickles = [f.path for f in chosen if is_pickle_file(f.path)]
    if pickles and not allow_unsafe:
        if not any(f.path.endswith(".safetensors") for f in chosen):
            listed = "\n".join(f"  {p}" for p in sorted(pickles))
            raise PolicyError(
                f"pull '{pull.key}' ({pull.location}) needs files that load through pickle and can run "
                f"code when loaded, and no .safetensors weights replace them:\n{listed}",
                hint="Pick a revision or repo with .safetensors weights, exclude these files, or accept "
                "the risk with `allow_unsafe: true` on this pull (or `--allow-unsafe`).",
            )
        left_out = sorted(pickles)
        chosen = [f for f in chosen if f.path not in set(pickles)]
    return Selection(tuple(sorted(chosen, key=lambda f: f.path)), tuple(left_out), variant)


# --- GGUF variants ------------------------------------------------------------------


def _variant_key(path: str) -> str:
    return _SHARD.sub("", path)


def quant_label(path: str) -> str:
    """``models/llama-3-8b-Q4_K_M.gguf`` -> ``Q4_K_M`` (the file stem when there is no label)."""
    stem = PurePosixPath(_variant_key(path)).name.removesuffix(".gguf").removesuffix(".GGUF")
    match = _QUANT.search(stem)
    return match.group(1).upper() if match else stem


def _gib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB"


def _pick_variant(
    files: list[LockedFile], pull: Pull, memory: int | None
) -> tuple[list[LockedFile], Variant]:
    gguf = [f for f in files if f.path.lower().endswith(".gguf")]
    # Projector files of multimodal GGUF repos go with every variant.
    companions = [f for f in gguf if PurePosixPath(f.path).name.lower().startswith("mmproj")]
    groups: dict[str, list[LockedFile]] = {}
    for file in gguf:
        if file not in companions:
            groups.setdefault(_variant_key(file.path), []).append(file)
    if not groups:
        raise PolicyError(
            f"pull '{pull.key}' ({pull.location}) sets variant: {pull.variant}, but the selected files "
            "hold no .gguf file",
            hint="Remove `variant`, or widen `include` to the .gguf files.",
        )
    sizes = {key: sum(f.size for f in members) for key, members in groups.items()}
    listing = ", ".join(f"{quant_label(k)} ({_gib(s)})" for k, s in sorted(sizes.items(), key=lambda kv: -kv[1]))
    if pull.variant == "auto":
        if pull.max_memory is not None:
            budget, source = pull.max_memory, "max_memory"
        elif memory is not None:
            budget, source = int(memory * MEMORY_HEADROOM), f"{MEMORY_HEADROOM:.0%} of this machine's available memory"
        else:
            raise PolicyError(
                f"pull '{pull.key}' ({pull.location}) sets variant: auto, but this machine's available "
                "memory is unknown",
                hint="Set max_memory on the pull (e.g. max_memory: 16GB).",
            )
        fitting = [k for k in sizes if sizes[k] <= budget]
        if not fitting:
            raise PolicyError(
                f"pull '{pull.key}' ({pull.location}): no GGUF variant fits in {_gib(budget)} ({source}); "
                f"variants: {listing}",
                hint="Raise max_memory, or name a variant explicitly.",
            )
        # For one model, more bytes per weight is more precision: the largest that fits wins.
        key = max(fitting, key=lambda k: (sizes[k], k))
        bigger = [k for k in sizes if sizes[k] > sizes[key]]
        reason = (
            f"highest-precision GGUF variant that fits in {_gib(budget)} ({source}): "
            f"{quant_label(key)} ({_gib(sizes[key])})"
        )
        if bigger:
            smallest_bigger = min(bigger, key=lambda k: sizes[k])
            reason += f"; {quant_label(smallest_bigger)} ({_gib(sizes[smallest_bigger])}) does not fit"
    else:
        wanted = pull.variant or ""
        matches = [
            k for k in sizes
            if wanted in (k, PurePosixPath(k).name) or quant_label(k) == wanted.upper() or fnmatch.fnmatch(k, wanted)
        ]
        if len(matches) != 1:
            what = "matches no GGUF variant" if not matches else f"matches {len(matches)} GGUF variants"
            raise PolicyError(
                f"pull '{pull.key}' ({pull.location}): variant '{wanted}' {what}; variants: {listing}",
                hint="Name one variant by its label (e.g. Q4_K_M) or file name, or use variant: auto.",
            )
        key = matches[0]
        reason = f"named in the manifest: {quant_label(key)} ({_gib(sizes[key])})"
    keep = {id(f) for f in groups[key]} | {id(f) for f in companions}
    others = [f for f in files if not f.path.lower().endswith(".gguf")]
    return others + [f for f in gguf if id(f) in keep], Variant(key, reason)


def check_paths(entry: LockedPull, where: str, error: type[HfsyncError] = HubError) -> None:
    """Refuse a pin whose file paths could escape a destination or land in a folder kept
    there for hfsync (a listing's are set aside first, so only a lock can hold those)."""
    bad = [f"  {f.path!r}: {reason}" for f in entry.files if (reason := unsafe_path_reason(f.path))]
    if bad:
        raise error(
            f"{where} lists {len(bad)} file path{'s' if len(bad) != 1 else ''} that cannot be written under the "
            f"destination of '{entry.key}':\n" + "\n".join(bad),
            hint=f"Run `hfsync lock --update {entry.key}`: a fresh pin leaves such paths out."
            if error is not HubError else "This repo cannot be pulled safely; report it to its owner.",
        )


@dataclass(frozen=True)
class Wanted:
    """Which pulls a run is about: those named by id or ``type:id`` key (``--target``, or the IDs
    of lock and upgrade), every pull when none is named."""

    names: tuple[str, ...] = ()

    def pulls(self, manifest: Manifest) -> list[Pull]:
        """The manifest's pulls this names, in the manifest's order."""
        named = set(self.names)
        return [p for p in manifest.pulls if not named or p.key in named or p.id in named]

    def check(self, workspace: Workspace) -> None:
        """Refuse (HfsyncError) a name that is no pull of the workspace."""
        known = {p.key for _, p in workspace.pulls} | {p.id for _, p in workspace.pulls}
        unknown = sorted(set(self.names) - known)
        if unknown:
            raise HfsyncError(
                f"no pull named {', '.join(repr(t) for t in unknown)} in the manifest",
                hint="Pulls are named by id (models) or type:id; see `pulls:` in hfsync.yaml.",
            )
