"""The state record: what `hfsync pull` verified on this machine, beside each destination.

The lock pins the Hub's digests; reading a file back against them (sha256, git blob
sha1) is slow. So when a pull installs or finds a file, it records, per repo path,
the file's size, mtime_ns and inode, the lock digest it matched, and its blake3
(computed while the bytes streamed). With it:

- a later ``pull`` skips a file whose (size, mtime_ns, inode) and pinned digest are
  unchanged, without reading it;
- ``verify`` rehashes with blake3 (fast, multi-threaded) against the record, and checks
  that the record answers the current lock (a record of an older pin is stale).

The record is a JSON file written atomically, with a checksum of its own content so a
hand edit reads as one. It vouches for this machine's history, not against someone who
can rewrite both a file and its record: ``verify --deep`` checks the lock's own digests.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hfsync.errors import VerifyError
from hfsync.model.lock import LockedFile
from hfsync.paths import atomic_write

VERSION = 1


@dataclass(frozen=True)
class Recorded:
    """One file as a pull left it: its stat key, the pinned digest it matched, its blake3."""

    size: int
    mtime_ns: int
    inode: int
    digest: str  # LockedFile.digest: "sha256:..." or "git:..."
    blake3: str
    xet_hash: str | None = None  # the pin's Xet hash: a later pull reuses this copy's chunks without hashing it

    def answers(self, file: LockedFile) -> bool:
        """Whether this was recorded for ``file``'s pinned content (not an older pin's)."""
        return self.digest == file.digest and self.size == file.size

    def refutes(self, file: LockedFile) -> bool:
        """Whether this was recorded for other content than ``file``'s, by a digest of the same kind
        (so the file, if unchanged since, need not be read to know it is not ``file``)."""
        kind = self.digest.split(":", 1)[0]
        return not self.answers(file) and file.digest.startswith(f"{kind}:")

    def unchanged(self, stat: os.stat_result) -> bool:
        """Whether the file on disk still has the stat key recorded (so was not rewritten)."""
        return (stat.st_size, stat.st_mtime_ns, stat.st_ino) == (self.size, self.mtime_ns, self.inode)


def recorded(stat: os.stat_result, file: LockedFile, blake3: str) -> Recorded:
    """What to record for a file verified as ``file``'s content, at ``stat``."""
    return Recorded(stat.st_size, stat.st_mtime_ns, stat.st_ino, file.digest, blake3, file.xet_hash)


@dataclass
class StateRecord:
    """The record of one pull's destination: its pull, the commit pulled, and its files by repo path."""

    path: Path
    pull: str
    commit: str
    files: dict[str, Recorded] = field(default_factory=dict)


def _checksum(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _invalid(path: Path, what: str) -> VerifyError:
    return VerifyError(
        f"{path}: the record of what was pulled {what}",
        hint="Run `hfsync verify --deep` to check the files against the lock's own digests "
        "(it writes a new record), or `hfsync pull` to restore them.",
    )


def read_state(path: Path) -> StateRecord | None:
    """The record at ``path``; None if there is none; VerifyError when it is damaged or was edited."""
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise _invalid(path, f"cannot be read ({error})") from None
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        raise _invalid(path, f"is not a version {VERSION} record")
    checksum = raw.pop("checksum", None)
    if checksum != _checksum(raw):
        raise _invalid(path, "was changed since hfsync wrote it (its checksum does not match)")
    try:
        files = {name: Recorded(**entry) for name, entry in raw["files"].items()}
        return StateRecord(path, str(raw["pull"]), str(raw["commit"]), files)
    except (KeyError, TypeError, AttributeError):
        raise _invalid(path, "is malformed") from None


def write_state(record: StateRecord) -> None:
    """Write ``record`` atomically (sorted, with its checksum)."""
    body = {
        "version": VERSION,
        "pull": record.pull,
        "commit": record.commit,
        "files": {name: {k: v for k, v in asdict(entry).items() if v is not None}
                  for name, entry in sorted(record.files.items())},
    }
    body["checksum"] = _checksum(body)
    atomic_write(record.path, json.dumps(body, indent=1, sort_keys=False) + "\n")
