"""Helpers for the Xet tests: the real client with hf_xet on, model-like bytes, raw CAS calls."""

from __future__ import annotations

import json
import os
import struct
import urllib.error
import urllib.request

from huggingface_hub import constants

from hfsync.sandbox import xet_format as xf

MIB = 1024 * 1024


def xet_off(monkeypatch) -> None:
    """The legacy client (HF_HUB_DISABLE_XET=1) for the rest of the test."""
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)


def xet_active() -> bool:
    """Whether the client takes the Xet path in this run (the default) or legacy LFS."""
    return not constants.HF_HUB_DISABLE_XET


def safetensors_like(size: int, seed: int = 0) -> bytes:
    """A safetensors-shaped file of ``size`` bytes: JSON header, then float32-like data
    (a constant exponent byte, which byte grouping compresses), random bytes, zeros."""
    header = json.dumps({"__metadata__": {"seed": str(seed)}, "w": {"dtype": "F32"}}).encode()
    body = bytearray(os.urandom(max(size - 8 - len(header), 0)))
    third = len(body) // 3
    body[3 : third : 4] = b"\x3f" * len(range(3, third, 4))
    body[2 * third : 2 * third + third // 4] = bytes(third // 4)
    return (struct.pack("<Q", len(header)) + header + bytes(body))[:size]


def cas_token(sandbox, repo_id: str, scope: str = "write") -> tuple[str, str]:
    """(CAS URL, access token) from the Hub's token endpoint, as hf_xet gets them."""
    request = urllib.request.Request(
        f"{sandbox.url}/api/models/{repo_id}/xet-{scope}-token/main",
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    with urllib.request.urlopen(request) as response:
        body = json.loads(response.read())
        assert response.headers["X-Xet-Access-Token"] == body["accessToken"]
    return body["casUrl"], body["accessToken"]


def cas_call(url: str, token: str | None, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def make_xorb(chunks: list[bytes]) -> tuple[str, bytes]:
    """(hash hex, body) of a xorb holding ``chunks`` uncompressed."""
    body = b"".join(
        bytes([0]) + len(c).to_bytes(3, "little") + bytes([0]) + len(c).to_bytes(3, "little") + c for c in chunks
    )
    leaves = [(xf.chunk_hash(c), len(c)) for c in chunks]
    return xf.to_hex(xf.merkle_root(leaves)), body


def make_shard(files: list[tuple[list[bytes], list[tuple[str, int, int]], bytes | None]],
               xorbs: list[tuple[str, list[bytes]]]) -> bytes:
    """A shard for upload (no footer). ``files``: (all chunk bytes of the file, terms
    as (xorb hex, start, end) over those chunks' xorbs, sha256 or None); ``xorbs``:
    (xorb hex, its chunks) for the CAS section."""
    out = bytearray(xf.SHARD_TAG + struct.pack("<QQ", 2, 0))
    for chunks, terms, sha in files:
        leaves = [(xf.chunk_hash(c), len(c)) for c in chunks]
        flags = xf.FILE_WITH_VERIFICATION | (xf.FILE_WITH_METADATA_EXT if sha else 0)
        out += xf.file_hash(leaves) + struct.pack("<II8x", flags, len(terms))
        verification = []
        position = 0
        for xorb, start, end in terms:
            term_leaves = leaves[position : position + end - start]
            position += end - start
            out += xf.from_hex(xorb) + struct.pack("<IIII", 0, sum(s for _, s in term_leaves), start, end)
            verification.append(xf.range_hash([h for h, _ in term_leaves]))
        for h in verification:
            out += h + bytes(16)
        if sha:
            out += xf.from_hex(sha.hex()) + bytes(16)
    out += xf.BOOKEND + bytes(16)
    for xorb, chunks in xorbs:
        out += xf.from_hex(xorb) + struct.pack("<IIII", 0, len(chunks), sum(map(len, chunks)), 0)
        start = 0
        for c in chunks:
            out += xf.chunk_hash(c) + struct.pack("<IIII", start, len(c), 0, 0)
            start += len(c)
    out += xf.BOOKEND + bytes(16)
    return bytes(out)
