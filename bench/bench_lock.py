"""`hfsync lock` reads metadata only: measured on the sandbox against HfApi.list_repo_tree.

    PYTHONPATH=. python bench/bench_lock.py [--full] [--files 1000] [--big-files 4] [--big-mb 2] [--rounds 5]

A repo of ``--files`` files, ``--big-files`` of them large safetensors files (``--big-mb``
each; ``--full``: 4 files of 1,000 MB, so 4 GB). Prints, for `hfsync lock --update`:
- bytes of file content the Hub sent (resolve and CDN routes): target 0;
- requests it made: target <= 3 (repo info, one tree page per 1,000 entries);
- its time against `HfApi.list_repo_tree(recursive=True)` of the same commit: target <= 1.5x,
  measured twice: in this process (hfsync's CLI called as a function, against the call), and
  command against command (`hfsync lock` against `python -c` making that call, each a fresh
  process, so start-up and imports count on both sides).
The metadata cache is cleared before each lock, so every round lists the tree again; rounds
alternate who goes first, and the best of each side is compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

from bench_pull import ROOT, TMP, Sandbox, hfsync, manifest, publish, safetensors_file

PEER = """
import sys
from huggingface_hub import HfApi
listed = list(HfApi(endpoint=sys.argv[1], token=sys.argv[2]).list_repo_tree(sys.argv[3], recursive=True,
                                                                            revision=sys.argv[4]))
"""


def timed(command: list[str]) -> float:
    """Seconds a fresh process running ``command`` takes, start-up included."""
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--big-files", type=int, default=4)
    parser.add_argument("--big-mb", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="4 big files of 1,000 MB (a 4 GB repo)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.full:
        args.big_files, args.big_mb = 4, 1000

    from huggingface_hub import HfApi

    from hfsync.sandbox.testing import SandboxHandle

    sandbox = Sandbox(TMP / "hub")
    try:
        data = TMP / "repo"
        for i in range(args.big_files):
            safetensors_file(data / f"model-{i:05d}-of-{args.big_files:05d}.safetensors", args.big_mb * 1_000_000)
        for i in range(args.files - args.big_files - 1):  # the Hub adds .gitattributes
            path = data / f"shards/{i // 100:02d}/part-{i:04d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f'{{"part": {i}}}\n')
        api = HfApi(endpoint=sandbox.url, token=sandbox.token)
        publish(api, "sandbox/bench-lock", data)
        commit = api.repo_info("sandbox/bench-lock").sha
        total = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        path = manifest(TMP / "project", "sandbox/bench-lock")
        admin = SandboxHandle(sandbox.url, sandbox.token)

        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        ours, theirs = [], []
        for round_ in range(args.rounds):
            def lock() -> None:
                shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)  # no cached tree: list it again
                ours.append(hfsync(sandbox, "lock", "--update", "-f", str(path)))

            def peer() -> None:
                start = time.perf_counter()
                listed = list(api.list_repo_tree("sandbox/bench-lock", recursive=True, revision=commit))
                theirs.append(time.perf_counter() - start)
                assert len([e for e in listed if hasattr(e, "blob_id")]) == args.files

            for step in (lock, peer) if round_ % 2 == 0 else (peer, lock):
                step()

        command_ours, command_theirs = [], []
        for round_ in range(args.rounds):
            def lock_command() -> None:
                shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)
                command_ours.append(timed([sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, "--token",
                                           sandbox.token, "-q", "lock", "--update", "-f", str(path)]))

            def peer_command() -> None:
                command_theirs.append(timed([sys.executable, "-c", PEER, sandbox.url, sandbox.token,
                                             "sandbox/bench-lock", commit]))

            for step in (lock_command, peer_command) if round_ % 2 == 0 else (peer_command, lock_command):
                step()

        shutil.rmtree(TMP / "hfsync-cache", ignore_errors=True)
        admin.reset_stats()
        hfsync(sandbox, "lock", "--update", "-f", str(path))
        stats = admin.stats()
        content = sum(r["bytes_out"] for name, r in stats["routes"].items()
                      if name.split()[1] in ("resolve", "lfs-download"))
        routes = ", ".join(f"{name} {r['requests']}" for name, r in sorted(stats["routes"].items()))
        pinned = (TMP / "project" / "hfsync.lock").read_text().count("- path: ")
        print(f"repo: {args.files} files, {total / 1e9:.2f} GB ({args.big_files} x {args.big_mb} MB safetensors); "
              f"lock pins {pinned} files")
        print(f"lock: content bytes sent by the Hub = {content} (target 0); requests = {stats['requests']} "
              f"(target <= 3: {routes})")
        print(f"in-process: lock {min(ours):.3f} s vs HfApi.list_repo_tree {min(theirs):.3f} s: "
              f"{min(ours) / min(theirs):.2f}x (target <= 1.5x)")
        print(f"commands: `hfsync lock` {min(command_ours):.3f} s vs `python -c` list_repo_tree "
              f"{min(command_theirs):.3f} s: {min(command_ours) / min(command_theirs):.2f}x (target <= 1.5x; "
              f"`python -c pass` {min(timed([sys.executable, '-c', 'pass']) for _ in range(args.rounds)):.3f} s)")

        # An upgrade over a 20-file change: every big safetensors file re-cast, the rest JSON edits.
        changed = 20
        for i in range(args.big_files):
            safetensors_file(data / f"model-{i:05d}-of-{args.big_files:05d}.safetensors",
                             args.big_mb * 1_000_000 + 8)
        for i in range(changed - args.big_files):
            (data / f"shards/{i // 100:02d}/part-{i:04d}.json").write_text(f'{{"part": {i}, "v": 2}}\n')
        publish(api, "sandbox/bench-lock", data)
        admin.reset_stats()
        hfsync(sandbox, "upgrade", "-f", str(path))
        stats = admin.stats()["routes"]
        reads = stats.get("GET resolve", {}).get("requests", 0)
        print(f"upgrade of a {changed}-file change ({args.big_files} safetensors): {reads} header reads "
              f"(Range requests; {stats.get('GET lfs-download', {}).get('requests', 0)} CDN redirects followed) = "
              f"{reads / args.big_files:.1f} per changed safetensors file (target <= 2); "
              f"{stats.get('GET lfs-download', {}).get('bytes_out', 0)} bytes of content")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        sandbox.stop()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
