"""Benchmark: planning a source tree of many small files, cold and warm, against os.walk + stat.

    python bench/bench_plan_100k.py [--files 100000] [--repeat 1]

A tree of ``--files`` small text files (default 5,000; the target is stated for 100,000)
is planned for a repo the Hub does not have yet, so every file is to be uploaded and so
hashed and secret-scanned. Each plan runs in a child process (so its peak memory is its
own, from ``resource.getrusage``): the cold plan with an empty hfsync cache, then the
warm re-plan of the same unchanged tree with the cache the cold one left. The peer is
``os.walk`` + ``stat`` of the same tree, timed in this process.

Targets at 100,000 files: warm re-plan <= 10 s and <= 20x the walk; peak memory <= 500 MB;
the cold plan bounded by hashing and scanning.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_small_tree(root: Path, files: int) -> None:
    """``files`` small JSON files, 100 to a folder."""
    for i in range(files):
        folder = root / f"part-{i // 100:04}"
        if i % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"item-{i:06}.json").write_text(f'{{"index": {i}, "label": "item {i}", "weight": 0.{i % 997}}}\n')


def walk_and_stat(root: Path) -> tuple[float, int]:
    start = time.perf_counter()
    count = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            os.stat(os.path.join(folder, name))
            count += 1
    return time.perf_counter() - start, count


def child(endpoint: str, token: str, manifest: str) -> None:
    """Plan once (in this process) and print seconds, peak RSS and what the plan holds."""
    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.manifest.load import load
    from hfsync.publish.planner import make_plan

    start = time.perf_counter()
    workspace = load([Path(manifest)])
    cache = DigestCache()
    plan = make_plan(workspace, Publisher(Hub(endpoint, token)), cache=cache)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "files": plan.file_counts()[0],
                      "errors": len(plan.errors), "hashed": cache.misses}))


def run_child(endpoint: str, token: str, manifest: Path, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", endpoint, token, str(manifest)],
        env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000, help="files in the tree (the target is for 100000)")
    parser.add_argument("--repeat", type=int, default=1, help="warm re-plans; the best is kept")
    parser.add_argument("--child", nargs=3, metavar=("ENDPOINT", "TOKEN", "MANIFEST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    sys.path.insert(0, str(HERE))
    from _publish_common import TMP, manifest, sandbox

    source = TMP / "tree"
    start = time.perf_counter()
    make_small_tree(source, args.files)
    print(f"tree: {args.files} files under {source} (made in {time.perf_counter() - start:.1f} s)")
    path = manifest(TMP, "sandbox/bench-plan-100k", source)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    with sandbox() as hub:
        cold = run_child(hub.url, hub.token, path, env)
        warm = min((run_child(hub.url, hub.token, path, env) for _ in range(max(1, args.repeat))),
                   key=lambda r: r["seconds"])
    walk = min(walk_and_stat(source)[0] for _ in range(3))
    for name, result in (("cold plan", cold), ("warm re-plan", warm)):
        print(f"{name:<14} {result['seconds']:8.2f} s  peak {result['peak_mb']:6.0f} MB  "
              f"files {result['files']}  hashed {result['hashed']}  errors {result['errors']}")
    print(f"{'os.walk+stat':<14} {walk:8.2f} s")
    ratio = warm["seconds"] / walk
    print(f"warm re-plan / os.walk+stat = {ratio:.1f}x (target <= 20x); "
          f"warm re-plan {warm['seconds']:.2f} s (target <= 10 s at 100,000 files); "
          f"peak memory {max(cold['peak_mb'], warm['peak_mb']):.0f} MB (target <= 500 MB)")


if __name__ == "__main__":
    main()
