"""Which files are LFS, which are ignored: the Hub's .gitattributes and .gitignore rules.

The Hub's exact algorithm is not public (hub-protocol.md §8.11); this follows the
evidence: a path matching an LFS pattern of the revision's .gitattributes is LFS
whatever its size; otherwise content of 10 MB or more, or with a NUL byte in the
sample the client sends (binary), is LFS.
"""

from __future__ import annotations

import fnmatch
import re

LFS_SIZE_THRESHOLD = 10 * 1000 * 1000

_COMMON = (
    "*.7z *.arrow *.bin *.bz2 *.ckpt *.ftz *.gz *.h5 *.joblib *.lfs.* *.mlmodel *.model "
    "*.msgpack *.npy *.npz *.onnx *.ot *.parquet *.pb *.pickle *.pkl *.pt *.pth *.rar "
    "*.safetensors saved_model/**/* *.tar.* *.tar *.tflite *.tgz *.wasm *.xz *.zip *.zst "
    "*tfevents*"
).split()
_DATASET_EXTRA = (
    "*.lz4 *.mds *.pcm *.sam *.raw *.aac *.flac *.mp3 *.ogg *.wav "
    "*.bmp *.gif *.png *.tiff *.jpg *.jpeg *.webp *.mp4 *.webm"
).split()


def default_gitattributes(repo_type: str) -> bytes:
    """The .gitattributes the Hub seeds a new repo with."""
    patterns = _COMMON + (_DATASET_EXTRA if repo_type == "dataset" else [])
    return "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in patterns).encode()


def _gitattr_escape(path: str) -> str:
    return path.replace(" ", "[[:space:]]")


def lfs_line(path: str) -> str:
    """The line the Hub appends to .gitattributes for an LFS file no pattern covers."""
    return f"{_gitattr_escape(path)} filter=lfs diff=lfs merge=lfs -text\n"


def _compile(pattern: str) -> re.Pattern[str]:
    pattern = pattern.replace("[[:space:]]", " ")
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    # ** crosses folders; fnmatch's * already does, which is close enough here.
    regex = fnmatch.translate(pattern.replace("**/", "*").replace("/**", "/*"))
    if not anchored:
        # A pattern without a slash matches the file name at any depth.
        regex = r"(?:.*/)?" + regex
    return re.compile(regex, re.DOTALL)


def lfs_patterns(gitattributes: bytes | None) -> list[re.Pattern[str]]:
    found = []
    for line in (gitattributes or b"").decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            found.append(_compile(parts[0]))
    return found


def matches_any(path: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(path) for p in patterns)


def upload_mode(path: str, size: int, sample: bytes, patterns: list[re.Pattern[str]]) -> str:
    """ "lfs" or "regular", as the Hub would answer preupload."""
    if size == 0:
        return "regular"
    if matches_any(path, patterns) or size >= LFS_SIZE_THRESHOLD or b"\0" in sample:
        return "lfs"
    return "regular"


def ignore_patterns(gitignore: bytes | None) -> list[tuple[re.Pattern[str], bool]]:
    """(pattern, negated) pairs from a .gitignore (folder patterns match their content)."""
    found = []
    for line in (gitignore or b"").decode(errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line
        folder = line.endswith("/")
        regex = _compile(line.rstrip("/") + "/*" if folder else line)
        found.append((regex, negated))
    return found


def is_ignored(path: str, patterns: list[tuple[re.Pattern[str], bool]]) -> bool:
    ignored = False
    for regex, negated in patterns:
        if regex.fullmatch(path):
            ignored = not negated
    return ignored
