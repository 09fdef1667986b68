"""A minimal bare git repository: loose objects, trees, commits and refs.

The sandbox writes real git objects so that commit ids, tree ids and blob ids are the
ones git (and the Hub) would compute, and ``git --git-dir=<repo>.git log`` reads the data.
Only loose objects are written (never packs): each object is a zlib file written to a
temporary name and moved into place with ``os.replace``, and refs are plain files
replaced the same way, so a ``kill -9`` at any point leaves either the old or the new
state, never a torn one. fsync is skipped on purpose: the sandbox must survive a killed
process, not a power cut, and fsync would dominate commit time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

FILE_MODE = "100644"
TREE_MODE = "40000"


def atomic_write(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half;
    ``durable`` also flushes it to disk first, so a kill -9 of the machine keeps it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def blob_oid(data: bytes) -> str:
    """The git blob id of ``data`` (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    name: str
    oid: str

    @property
    def is_tree(self) -> bool:
        return self.mode == TREE_MODE


@dataclass(frozen=True)
class Commit:
    oid: str
    tree: str
    parents: tuple[str, ...]
    author: str
    timestamp: int
    message: str

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def body(self) -> str:
        parts = self.message.split("\n", 1)
        return parts[1].lstrip("\n") if len(parts) > 1 else ""


class GitStore:
    """One bare repository on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def init(cls, path: Path) -> GitStore:
        """Create the bare layout git expects (HEAD, config, objects/, refs/)."""
        for sub in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        atomic_write(path / "HEAD", b"ref: refs/heads/main\n")
        atomic_write(
            path / "config",
            b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n",
        )
        return cls(path)

    # -- objects ---------------------------------------------------------------

    def _object_path(self, oid: str) -> Path:
        return self.path / "objects" / oid[:2] / oid[2:]

    def write_object(self, kind: str, data: bytes) -> str:
        raw = f"{kind} {len(data)}\0".encode() + data
        oid = hashlib.sha1(raw).hexdigest()
        path = self._object_path(oid)
        if not path.exists():
            atomic_write(path, zlib.compress(raw, 1))
        return oid

    def read_object(self, oid: str) -> tuple[str, bytes]:
        raw = zlib.decompress(self._object_path(oid).read_bytes())
        header, _, data = raw.partition(b"\0")
        kind, _, _size = header.decode().partition(" ")
        return kind, data

    def has_object(self, oid: str) -> bool:
        return len(oid) == 40 and self._object_path(oid).exists()

    def expand_oid(self, prefix: str) -> str | None:
        """Full object id for an abbreviated one (at least 4 hex), if unique."""
        prefix = prefix.lower()
        if len(prefix) == 40:
            return prefix if self.has_object(prefix) else None
        folder = self.path / "objects" / prefix[:2]
        if len(prefix) < 4 or not folder.is_dir():
            return None
        found = [prefix[:2] + n for n in os.listdir(folder) if n.startswith(prefix[2:])]
        return found[0] if len(found) == 1 else None

    def write_blob(self, data: bytes) -> str:
        return self.write_object("blob", data)

    def read_blob(self, oid: str) -> bytes:
        return self.read_object(oid)[1]

    def write_tree(self, entries: list[TreeEntry]) -> str:
        # git sorts tree entries by name, comparing a directory as if it ended in "/".
        def key(e: TreeEntry) -> bytes:
            return e.name.encode() + (b"/" if e.is_tree else b"")

        data = b"".join(f"{e.mode} {e.name}\0".encode() + bytes.fromhex(e.oid) for e in sorted(entries, key=key))
        return self.write_object("tree", data)

    def read_tree(self, oid: str) -> list[TreeEntry]:
        _, data = self.read_object(oid)
        entries, i = [], 0
        while i < len(data):
            space = data.index(b" ", i)
            nul = data.index(b"\0", space)
            mode = data[i:space].decode()
            name = data[space + 1 : nul].decode()
            entries.append(TreeEntry(mode, name, data[nul + 1 : nul + 21].hex()))
            i = nul + 21
        return entries

    def write_commit(self, tree: str, parents: list[str], message: str, author: str, timestamp: int) -> str:
        who = f"{author} <{author}@users.noreply.huggingface.co> {timestamp} +0000"
        lines = [f"tree {tree}", *[f"parent {p}" for p in parents]]
        lines += [f"author {who}", f"committer {who}", "", message]
        return self.write_object("commit", "\n".join(lines).encode())

    def read_commit(self, oid: str) -> Commit:
        kind, data = self.read_object(oid)
        if kind == "tag":  # annotated tag: peel to the commit it names
            return self.read_commit(data.split(b"\n", 1)[0].split()[1].decode())
        head, _, message = data.decode().partition("\n\n")
        tree, parents, author, ts = "", [], "", 0
        for line in head.split("\n"):
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "author":
                author = value.split(" <", 1)[0]
                ts = int(value.rsplit(" ", 2)[1])
        return Commit(oid, tree, tuple(parents), author, ts, message)

    def write_tag(self, target: str, name: str, message: str, author: str, ts: int) -> str:
        who = f"{author} <{author}@users.noreply.huggingface.co> {ts} +0000"
        text = f"object {target}\ntype commit\ntag {name}\ntagger {who}\n\n{message}\n"
        return self.write_object("tag", text.encode())

    def peel(self, oid: str) -> str:
        """The commit an oid names (tags are peeled)."""
        kind, data = self.read_object(oid)
        if kind == "tag":
            return self.peel(data.split(b"\n", 1)[0].split()[1].decode())
        return oid

    # -- refs ------------------------------------------------------------------

    def get_ref(self, ref: str) -> str | None:
        try:
            return (self.path / ref).read_text().strip() or None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def set_ref(self, ref: str, oid: str) -> None:
        atomic_write(self.path / ref, oid.encode() + b"\n")

    def delete_ref(self, ref: str) -> None:
        (self.path / ref).unlink(missing_ok=True)

    def list_refs(self, prefix: str) -> dict[str, str]:
        """Refs under ``prefix`` (e.g. ``refs/heads/``) as {short name: oid}."""
        root = self.path / prefix
        found: dict[str, str] = {}
        if not root.is_dir():
            return found
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                full = Path(dirpath) / name
                short = full.relative_to(root).as_posix()
                oid = full.read_text().strip()
                if oid:
                    found[short] = oid
        return found
