"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from huggingface_hub import HfApi

BIG = 12 * 1024 * 1024


def api(sandbox, token: str | bool | None = None) -> HfApi:
    """An HfApi on the sandbox; the default user's token unless told otherwise."""
    return HfApi(endpoint=sandbox.url, token=sandbox.token if token is None else token)


def make_folder(root: Path, big: int = BIG) -> dict[str, bytes]:
    """A model folder: a binary of ``big`` bytes, small JSON/text files, a nested file."""
    files = {
        "model.safetensors": os.urandom(big),
        "config.json": b'{"hidden_size": 8}\n',
        "README.md": b"---\nlicense: mit\nlibrary_name: transformers\ntags: [demo]\n---\n# Demo\n",
        "notes/readme.txt": b"hello\n",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
