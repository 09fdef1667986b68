"""Benchmark: planning a source of many small files, cold and warm, against a directory
walk plus the Hub's own listing of the same repo, measured in the same run.

    python bench/bench_plan_100k.py [--files 100000] [--changed 100] [--repeat 3]

The source is ``--files`` small JSON files in 20 folders (20 x 5,000 at the default). Each
plan runs in a child process of its own (its peak memory is its own, from getrusage):

- new repo: the Hub does not have it yet, so every file is to be uploaded: the cold plan
  (empty hfsync cache) hashes and secret-scans every file; the warm one reuses the cache.
- published repo: the sandbox Hub holds the same files (committed through huggingface_hub,
  one commit per folder), then ``--changed`` local files are edited: the plan lists the
  whole remote tree and compares it, hashing only what changed (warm) or everything (cold).

The peers, on the same tree and the same repo in the same run:

- in-process: ``os.walk`` + ``stat`` (this process) plus ``HfApi.list_repo_tree(recursive=True)``
  consumed whole (timed inside a child process, after its imports), against the time
  ``make_plan`` takes in its child;
- command against command: ``find -type f -printf '%s %T@'`` plus a ``python -c`` that
  lists the tree with ``list_repo_tree``, against the ``hfsync plan`` command (wall times).

Targets at 100,000 files: cold plan <= 15 s, warm re-plan <= 3x the walk plus the listing,
peak memory <= 300 MB. The sandbox runs in a process of its own (the Hub is another machine);
the list_repo_tree peer shows its share.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FOLDERS = 20

LIST_TREE = """
import sys, time
start = time.perf_counter()
from huggingface_hub import HfApi
api = HfApi(endpoint=sys.argv[1], token=sys.argv[2])
imported = time.perf_counter()
n = sum(1 for _ in api.list_repo_tree(sys.argv[3], recursive=True))
print(n, time.perf_counter() - imported, time.perf_counter() - start)
"""


def item(i: int, edit: int = 0) -> str:
    return f'{{"index": {i}, "label": "item {i}", "weight": 0.{i % 997}, "edit": {edit}}}\n'


def make_tree(root: Path, files: int) -> list[Path]:
    """``files`` small JSON files in FOLDERS folders."""
    paths = []
    for i in range(files):
        folder = root / f"folder-{i * FOLDERS // files:02}"
        if not paths or paths[-1].parent != folder:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"item-{i:06}.json"
        path.write_text(item(i))
        paths.append(path)
    return paths


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
        env=env, capture_output=True, text=True,
    )
    if out.returncode:
        raise RuntimeError(f"the plan failed:\n{out.stderr[:3000]}\n...\n{out.stderr[-1500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wall(command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode not in ok:
        raise RuntimeError(f"{command[:4]} exited {out.returncode}: {out.stderr[-2000:]}")
    return seconds, out.stdout


def seed(url: str, token: str, repo_id: str, source: Path) -> float:
    """The tree as the Hub's copy of it, through huggingface_hub: one commit per folder."""
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(endpoint=url, token=token)
    start = time.perf_counter()
    api.create_repo(repo_id)
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        operations = [CommitOperationAdd(f"{folder.name}/{p.name}", p) for p in sorted(folder.iterdir())]
        api.create_commit(repo_id, operations, commit_message=f"add {folder.name}")
    return time.perf_counter() - start


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000, help="files in the tree (20 folders)")
    parser.add_argument("--changed", type=int, default=100, help="files edited after publishing")
    parser.add_argument("--repeat", type=int, default=3, help="warm re-plans and peer runs; the best is kept")
    parser.add_argument("--child", nargs=3, metavar=("ENDPOINT", "TOKEN", "MANIFEST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    sys.path.insert(0, str(HERE))
    from _publish_common import TMP, manifest, sandbox_process

    source = TMP / "tree"
    start = time.perf_counter()
    paths = make_tree(source, args.files)
    print(f"tree: {args.files} files in {FOLDERS} folders under {source} (made in {time.perf_counter() - start:.1f} s)")
    new, published = "sandbox/bench-plan-new", "sandbox/bench-plan-100k"
    new_manifest, manifest_path = manifest(TMP, new, source), manifest(TMP, published, source)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    repeat = max(1, args.repeat)
    results: dict[str, dict] = {}
    with sandbox_process() as hub:
        print(f"[{load()}] new repo: every file to upload")
        new_env = {**env, "HFSYNC_CACHE_DIR": str(TMP / "cache-new")}
        results["cold plan, new repo"] = run_child(hub.url, hub.token, new_manifest, new_env)
        results["warm re-plan, new repo"] = run_child(hub.url, hub.token, new_manifest, new_env)
        print(f"[{load()}] publishing the tree to the sandbox ({published})")
        print(f"  seeded in {seed(hub.url, hub.token, published, source):.1f} s")
        step = max(1, len(paths) // max(1, args.changed))
        for i in range(0, len(paths), step)[: args.changed]:
            paths[i].write_text(item(i, edit=1))
        print(f"[{load()}] published repo, {args.changed} files edited since")
        published_env = {**env, "HFSYNC_CACHE_DIR": str(TMP / "cache-published")}
        results["cold plan, published"] = run_child(hub.url, hub.token, manifest_path, published_env)
        results["warm re-plan, published"] = min(
            (run_child(hub.url, hub.token, manifest_path, published_env) for _ in range(repeat)),
            key=lambda r: r["seconds"])
        walked = min(walk_and_stat(source)[0] for _ in range(repeat))
        listings = []
        for _ in range(repeat):
            seconds, out = wall([sys.executable, "-c", LIST_TREE, hub.url, hub.token, published], env)
            count, inside, _whole = out.split()
            listings.append((float(inside), seconds, int(count)))
        listed, listed_command, entries = min(listings)
        found = min(wall(["find", str(source), "-type", "f", "-printf", "%s %T@\n"], env)[0] for _ in range(repeat))
        command = [sys.executable, "-m", "hfsync", "--endpoint", hub.url, "--token", hub.token, "--no-progress",
                   "--no-color", "plan", "-f", str(manifest_path), "--detailed-exitcode"]
        planned_command = min(wall(command, published_env, ok=(2,))[0] for _ in range(repeat))
        after = load()

    for name, r in results.items():
        print(f"{name:<26} {r['seconds']:7.2f} s  peak {r['peak_mb']:5.0f} MB  files to upload {r['files']:>6}  "
              f"hashed {r['hashed']:>6}  errors {r['errors']}")
    print(f"{'os.walk+stat':<26} {walked:7.2f} s  ({args.files} files)")
    print(f"{'list_repo_tree':<26} {listed:7.2f} s  ({entries} entries, in-process; "
          f"{listed_command:.2f} s as a command)")
    print(f"{'find -printf size,mtime':<26} {found:7.2f} s  (command)")
    print(f"{'hfsync plan':<26} {planned_command:7.2f} s  (command, published repo, warm)")
    warm = results["warm re-plan, published"]["seconds"]
    cold = max(results["cold plan, new repo"]["seconds"], results["cold plan, published"]["seconds"])
    peak = max(r["peak_mb"] for r in results.values())
    print(f"[{after}]")
    print(f"in-process: warm re-plan / (os.walk+stat + list_repo_tree) = {warm / (walked + listed):.2f}x "
          "(target <= 3x)")
    print(f"command:    hfsync plan / (find + list_repo_tree command) = "
          f"{planned_command / (found + listed_command):.2f}x (target <= 3x)")
    print(f"cold plan {cold:.2f} s at worst (target <= 15 s); peak memory {peak:.0f} MB (target <= 300 MB)")


if __name__ == "__main__":
    try:
        main()
    finally:
        if "--child" not in sys.argv:  # 100,000 files are not left behind in the temp folder
            sys.path.insert(0, str(HERE))
            from _publish_common import TMP

            shutil.rmtree(TMP, ignore_errors=True)
