"""Pull benchmarks: hfsync against its peers, measured in the same run on the same sandbox.

    PYTHONPATH=. python bench/bench_pull.py [--large-mb 1000 --large-files 4]
        [--small-mb 200 --small-files 500] [--memory-mb 2000] [--rounds 3] [--parallelism 8]

1. pull throughput vs huggingface_hub's snapshot_download(local_dir=...) of the same repo:
   a repo of a few large files, and one of many small files (targets >= 1.0x and >= 2x);
2. `hfsync verify` vs `sha256sum -c` over the same pulled files (target >= 2x);
3. `hfsync verify` vs plainly reading the same files (the physical limit): the fraction;
4. peak memory (ru_maxrss) of an `hfsync pull` process fetching one big file (target < 200 MB).

The sandbox Hub runs as its own process on 127.0.0.1 (so it does not share a GIL with
the clients), with data generated in a temporary folder; it is stopped through its PID.
Files are valid .safetensors (a header and random bytes). Pulls are `--locked`: the lock
(metadata only) is made beforehand and not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="hfsync-bench-pull-"))
os.environ.update({
    "HF_HOME": str(TMP / "hf-home"), "HFSYNC_CACHE_DIR": str(TMP / "hfsync-cache"),
    "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
})
sys.path.insert(0, str(ROOT))


def safetensors_file(path: Path, size: int) -> None:
    """A valid .safetensors file of ``size`` bytes: one U8 tensor of random bytes."""
    header = b""
    for _ in range(3):  # the header's length depends on the data size it describes
        data_size = size - 8 - len(header)
        raw = json.dumps({"w": {"dtype": "U8", "shape": [data_size], "data_offsets": [0, data_size]}}).encode()
        header = raw + b" " * (-(len(raw) + 8) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(1 << 20)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(header)) + header)
        left = size - 8 - len(header)
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)


class Sandbox:
    """`hfsync sandbox serve` as a child process."""

    def __init__(self, data: Path) -> None:
        self.log = TMP / "sandbox.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hfsync", "sandbox", "serve", "--data", str(data), "--port", "0"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(400):
            text = self.log.read_text()
            if "Token for user sandbox: " in text:
                self.url = text.split("Sandbox Hub listening on ")[1].split()[0]
                self.token = text.split("Token for user sandbox: ")[1].split()[0]
                return
            time.sleep(0.05)
        raise RuntimeError(f"the sandbox did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def publish(api, repo_id: str, folder: Path) -> None:  # type: ignore[no-untyped-def]
    api.create_repo(repo_id, exist_ok=True)
    api.upload_folder(folder_path=folder, repo_id=repo_id, commit_message="bench data")


def manifest(project: Path, repo_id: str) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    path = project / "hfsync.yaml"
    path.write_text(f"version: 1\npulls:\n  - id: {repo_id}\n    dest: out\n")
    return path


def hfsync(sandbox: Sandbox, *args: str) -> float:
    """Run the CLI in-process (as a user would, minus interpreter start-up); seconds taken."""
    from hfsync.cli.main import run

    start = time.perf_counter()
    code = run(["--endpoint", sandbox.url, "--token", sandbox.token, "-q", "--no-progress", *args])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f"hfsync {' '.join(args)} exited {code}")
    return elapsed


def bench_pull(sandbox: Sandbox, repo_id: str, rounds: int, parallelism: int) -> tuple[float, float, Path]:
    from huggingface_hub import snapshot_download

    project = TMP / f"project-{repo_id.split('/')[1]}"
    path = manifest(project, repo_id)
    hfsync(sandbox, "lock", "-f", str(path))
    ours: list[float] = []
    theirs: list[float] = []

    def pull() -> None:
        shutil.rmtree(project / "out", ignore_errors=True)
        shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)  # nothing counts as already verified
        ours.append(hfsync(sandbox, "pull", "--locked", "--parallelism", str(parallelism), "-f", str(path)))

    def peer() -> None:
        folder = TMP / "peer" / repo_id
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        snapshot_download(repo_id, local_dir=folder, endpoint=sandbox.url, token=sandbox.token)
        theirs.append(time.perf_counter() - start)

    for round_ in range(rounds):  # alternate who goes first: the machine's load drifts
        for step in (pull, peer) if round_ % 2 == 0 else (peer, pull):
            step()
    return min(ours), min(theirs), path


def read_all(files: list[Path]) -> float:
    buffer = bytearray(8 << 20)
    view = memoryview(buffer)
    start = time.perf_counter()
    for file in files:
        with open(file, "rb", buffering=0) as handle:
            while handle.readinto(view):
                pass
    return time.perf_counter() - start


def bench_verify(sandbox: Sandbox, path: Path, rounds: int) -> tuple[float, float, float]:
    files = sorted(p for p in (path.parent / "out").rglob("*") if p.is_file())
    sums = TMP / "SHA256SUMS"
    subprocess.run(["sha256sum", *map(str, files)], stdout=open(sums, "w"), check=True)
    verify, sha, plain = [], [], []
    for _ in range(rounds):
        verify.append(hfsync(sandbox, "verify", "-f", str(path)))
        start = time.perf_counter()
        subprocess.run(["sha256sum", "-c", "--quiet", str(sums)], check=True)
        sha.append(time.perf_counter() - start)
        plain.append(read_all(files))
    return min(verify), min(sha), min(plain)


_MEASURED = """
import sys
from hfsync.cli.main import run
code = run(sys.argv[1:])
status = open("/proc/self/status").read()
print(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")), file=sys.stderr)
sys.exit(code)
"""


def peak_memory(sandbox: Sandbox, repo_id: str) -> float:
    """Peak RSS (MB) of a fresh `hfsync pull --locked` process fetching ``repo_id``.

    Read as VmHWM inside the child: ru_maxrss would also count the pages a forked child
    shares with this (big) benchmark process before it execs.
    """
    project = TMP / "project-memory"
    path = manifest(project, repo_id)
    hfsync(sandbox, "lock", "-f", str(path))
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, "--endpoint", sandbox.url, "-q", "--no-progress", "pull", "--locked",
         "-f", str(path)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": sandbox.token}, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the memory pull failed: {done.stderr}")
    return int(done.stderr.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--large-mb", type=int, default=1000)
    parser.add_argument("--large-files", type=int, default=4)
    parser.add_argument("--small-mb", type=int, default=200)
    parser.add_argument("--small-files", type=int, default=500)
    parser.add_argument("--memory-mb", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()

    from huggingface_hub import HfApi

    data = TMP / "data"
    for i in range(args.large_files):
        safetensors_file(data / "large" / f"model-{i:05}-of-{args.large_files:05}.safetensors",
                         args.large_mb * 10**6 // args.large_files)
    for i in range(args.small_files):
        safetensors_file(data / "small" / f"shard-{i // 100:02}" / f"part-{i:05}.safetensors",
                         args.small_mb * 10**6 // args.small_files)
    safetensors_file(data / "memory" / "big.safetensors", args.memory_mb * 10**6)
    sandbox = Sandbox(TMP / "hub")
    try:
        api = HfApi(endpoint=sandbox.url, token=sandbox.token)
        for name in ("large", "small", "memory"):
            publish(api, f"sandbox/bench-{name}", data / name)
        shutil.rmtree(data)
        print(f"sizes: large {args.large_mb} MB as {args.large_files} files; small {args.small_mb} MB as "
              f"{args.small_files} files; memory {args.memory_mb} MB as 1 file; best of {args.rounds} rounds; "
              f"--parallelism {args.parallelism}")
        ours, theirs, large = bench_pull(sandbox, "sandbox/bench-large", args.rounds, args.parallelism)
        print(f"pull, large files: hfsync {ours:.2f} s ({args.large_mb / ours:.0f} MB/s), snapshot_download "
              f"{theirs:.2f} s ({args.large_mb / theirs:.0f} MB/s): {theirs / ours:.2f}x (target >= 1.0x)")
        ours, theirs, _ = bench_pull(sandbox, "sandbox/bench-small", args.rounds, args.parallelism)
        print(f"pull, small files: hfsync {ours:.2f} s ({args.small_files / ours:.0f} files/s), snapshot_download "
              f"{theirs:.2f} s ({args.small_files / theirs:.0f} files/s): {theirs / ours:.2f}x (target >= 2x)")
        verify, sha, plain = bench_verify(sandbox, large, args.rounds)
        print(f"verify {args.large_mb} MB: hfsync verify {verify:.2f} s, sha256sum -c {sha:.2f} s: "
              f"{sha / verify:.2f}x (target >= 2x); plain read {plain:.2f} s: verify runs at "
              f"{plain / verify:.0%} of reading speed")
        print(f"peak memory pulling a {args.memory_mb} MB file: {peak_memory(sandbox, 'sandbox/bench-memory'):.0f} MB "
              "(target < 200 MB)")
    finally:
        sandbox.stop()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
