"""Serve a 1 GB LFS file from the sandbox Hub and from `python -m http.server`; compare.

Usage: PYTHONPATH=. python bench/bench_sandbox_serve.py [--size-mb 1024] [--rounds 2]

Generates its own data in a temporary folder, starts both servers as child processes
(loopback only) and stops them by their handles. Prints throughput of each, the ratio
(sandbox / http.server; the goal is >= 0.5) and the sandbox's peak RSS (VmHWM) before
and after serving, to show that memory stays flat while streaming.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_file(path: Path, size_mb: int) -> None:
    block = os.urandom(CHUNK)
    with open(path, "wb") as f:
        for _ in range(size_mb):
            f.write(block)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _download(url: str) -> tuple[int, float]:
    """GET ``url`` (following one redirect), discard the body; (bytes, seconds)."""
    start = time.perf_counter()
    for _ in range(3):
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.netloc)
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        if response.status in (301, 302, 307):
            url = response.getheader("Location")
            response.read()
            conn.close()
            continue
        total = 0
        while data := response.read(CHUNK):
            total += len(data)
        conn.close()
        return total, time.perf_counter() - start
    raise RuntimeError("too many redirects")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ["HF_HUB_DISABLE_XET"] = "1"  # this bench measures the legacy LFS download route
    with tempfile.TemporaryDirectory(prefix="hfsync-bench-") as tmp:
        root = Path(tmp)
        os.environ["HF_HOME"] = str(root / "hf-home")
        from huggingface_hub import HfApi

        big = root / "www" / "big.safetensors"
        big.parent.mkdir()
        _make_file(big, args.size_mb)
        size = big.stat().st_size

        sandbox = subprocess.Popen(
            [sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(root / "hub")],
            stdout=subprocess.PIPE,
            text=True,
        )
        plain = None
        try:
            url = sandbox.stdout.readline().strip().rsplit(" ", 1)[-1]
            token = sandbox.stdout.readline().strip().rsplit(" ", 1)[-1]
            hub = HfApi(endpoint=url, token=token)
            hub.create_repo("sandbox/bench")
            rss_idle = _peak_rss_mb(sandbox.pid)
            start = time.perf_counter()
            hub.upload_file(path_or_fileobj=str(big), path_in_repo=big.name, repo_id="sandbox/bench")
            upload_s = time.perf_counter() - start
            rss_upload = _peak_rss_mb(sandbox.pid)

            port = _free_port()
            plain = subprocess.Popen(
                [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(big.parent)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(50):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)

            sandbox_url = f"{url}/sandbox/bench/resolve/main/{big.name}"
            plain_url = f"http://127.0.0.1:{port}/{big.name}"
            best = {"sandbox": 0.0, "http.server": 0.0}
            for _ in range(args.rounds):
                for name, target in (("sandbox", sandbox_url), ("http.server", plain_url)):
                    got, seconds = _download(target)
                    assert got == size, (name, got, size)
                    best[name] = max(best[name], size / seconds / 1e6)
            rss_serve = _peak_rss_mb(sandbox.pid)
        finally:
            for process in (plain, sandbox):
                if process is not None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=30)

    ratio = best["sandbox"] / best["http.server"]
    print(f"file: {size / 1e6:.0f} MB LFS, best of {args.rounds} rounds over loopback")
    print(f"upload through huggingface_hub: {size / upload_s / 1e6:.0f} MB/s")
    print(f"sandbox /resolve (302 -> CDN): {best['sandbox']:.0f} MB/s")
    print(f"python -m http.server:         {best['http.server']:.0f} MB/s")
    print(f"ratio sandbox/http.server:     {ratio:.2f}  (goal >= 0.50)")
    print(
        f"sandbox peak RSS: idle {rss_idle:.0f} MB, after upload {rss_upload:.0f} MB, after serving {rss_serve:.0f} MB"
    )


if __name__ == "__main__":
    main()
