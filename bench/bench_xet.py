"""Push a large safetensors-like file, rewrite 1% of it in place, push again: bytes the
sandbox receives through Xet against the legacy LFS path, in the same run.

Usage: PYTHONPATH=. python bench/bench_xet.py [--size-mb 1024] [--changed 0.01]

Starts ``hfsync sandbox serve`` as a child process on loopback, makes its own data in a
temporary folder, and pushes with the unmodified huggingface_hub client in child
processes: once with hf_xet on (the client's default), once with HF_HUB_DISABLE_XET=1.
Between the two pushes of each path, one contiguous region (one tensor, ``--changed``
of the file, in the middle) is rewritten. Prints, for the second push, the bytes
received by the storage routes (Xet: xorb and shard uploads; LFS: object and part
uploads) and their ratio to the file size. The goal is <= 3% for Xet (LFS: 100%).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hfsync.sandbox.testing import SandboxHandle

MIB = 1024 * 1024
ROUTES = {
    "xet": ("POST xorb-upload", "POST shard-upload"),
    "lfs": ("PUT lfs-upload", "PUT lfs-upload-part"),
}


def _tensor_bytes(size: int) -> bytes:
    """float32-like data: random mantissas under a constant exponent byte."""
    block = bytearray(os.urandom(size))
    block[3::4] = b"\x3f" * len(range(3, size, 4))
    return bytes(block)


def _make_file(path: Path, size: int) -> None:
    """A valid safetensors file of about ``size`` bytes: one F32 tensor of float-like data."""
    count = (size - 128) // 4
    header = json.dumps({"w": {"dtype": "F32", "shape": [count], "data_offsets": [0, count * 4]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little") + header)
        left = count * 4
        while left > 0:
            piece = min(64 * MIB, left)
            f.write(_tensor_bytes(piece))
            left -= piece


def _rewrite(path: Path, fraction: float) -> None:
    """Rewrite one contiguous region (one tensor) of ``fraction`` of the file, in place,
    on whole float32 values."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(size // 2 // 4 * 4)
        f.write(_tensor_bytes(int(size * fraction) // 4 * 4))


def _serve(data: Path) -> tuple[subprocess.Popen, SandboxHandle]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    token = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    return process, SandboxHandle(url, token)


def _push(hub: SandboxHandle, repo: str, path: Path, xet: bool, home: Path) -> float:
    """One upload_file in a child process with Xet on or off; seconds taken."""
    env = {**os.environ, "HF_HOME": str(home), "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    env.pop("HF_HUB_DISABLE_XET", None)
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    code = (
        "import sys; from huggingface_hub import HfApi\n"
        "HfApi(endpoint=sys.argv[1], token=sys.argv[2]).upload_file("
        "path_or_fileobj=sys.argv[4], path_in_repo='model.safetensors', repo_id=sys.argv[3])\n"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, hub.url, hub.token, repo, str(path)], env=env, check=True)
    return time.perf_counter() - start


def _received(hub: SandboxHandle, mode: str) -> int:
    routes = hub.stats()["routes"]
    return sum(routes.get(name, {}).get("bytes_in", 0) for name in ROUTES[mode])


def run(size: int, fraction: float) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-xet-") as tmp:
        root = Path(tmp)
        process, hub = _serve(root / "hub")
        try:
            from huggingface_hub import HfApi

            for mode in ("xet", "lfs"):
                path = root / f"{mode}.safetensors"
                _make_file(path, size)
                repo = f"sandbox/bench-{mode}"
                HfApi(endpoint=hub.url, token=hub.token).create_repo(repo)
                hub.reset_stats()
                first = _push(hub, repo, path, mode == "xet", root / f"home-{mode}")
                first_bytes = _received(hub, mode)
                _rewrite(path, fraction)
                hub.reset_stats()
                second = _push(hub, repo, path, mode == "xet", root / f"home-{mode}")
                results[mode] = {
                    "first_push_bytes": first_bytes,
                    "first_push_s": first,
                    "changed_push_bytes": _received(hub, mode),
                    "changed_push_s": second,
                }
                path.unlink()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--changed", type=float, default=0.01, help="fraction rewritten (default 0.01)")
    args = parser.parse_args()
    size = args.size_mb * MIB
    results = run(size, args.changed)
    print(f"file: {size:,} bytes; rewritten in place: {args.changed:.1%} ({int(size * args.changed):,} bytes)")
    for mode, label in (("xet", "Xet (hf_xet on)"), ("lfs", "LFS (HF_HUB_DISABLE_XET=1)")):
        r = results[mode]
        print(
            f"{label:28} first push {r['first_push_bytes']:>14,} B in {r['first_push_s']:6.1f} s; "
            f"changed push {r['changed_push_bytes']:>14,} B in {r['changed_push_s']:6.1f} s "
            f"= {r['changed_push_bytes'] / size:.2%} of the file"
        )
    ratio = results["xet"]["changed_push_bytes"] / max(results["lfs"]["changed_push_bytes"], 1)
    print(f"Xet / LFS bytes for the changed push: {ratio:.3f} (goal for Xet alone: <= 3% of the file)")


if __name__ == "__main__":
    main()
