"""Benchmark: content diffs stay bounded in time and memory on hostile files.

    python bench/bench_diff_bounds.py [--only NAME ...] [--seconds 5] [--mb 300]

Each case of tests/inspect/hostile.py (100,000 columns, 100,000 levels of nesting, a
50 MB line, a GGUF count of 2**60, YAML alias bombs, lines that defeat difflib, ...) is
a repo on a sandbox Hub (in a process of its own, as the Hub is another machine) holding
the old file, and a local folder holding the new one. `hfsync plan --detailed-exitcode`
runs on it as a user runs it, in a subprocess: first cold (it hashes and secret-scans the
upload, and fills the caches of both), then warm, and warm with `--diff none` (the same
plan without content diffs). Recorded: each plan's wall time and peak RSS, and what the
diffs add to the time (warm minus warm without diffs), beside the honest case of the
same reader (a normal-size diff) as a ratio. Bounds (default 5 s and 300 MB): what the
diffs add to the time (the cold plan's time also holds the upload's hashing and secret
scan, the same with or without diffs), and the peak RSS of every run. The line the plan
shows for the file is printed.
Exits 1 when a case is past a bound, crashes (exit 3, a traceback) or is not 0/2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from _publish_common import TMP, sandbox_process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.inspect import hostile  # noqa: E402

# (case, the honest case of the same reader it is measured against)
CASES = [
    ("json_good", "json_good"), ("json_deep", "json_good"), ("json_deep_object", "json_good"),
    ("json_long_paths", "json_good"),
    ("card_good", "card_good"), ("yaml_bomb", "card_good"), ("yaml_deep", "card_good"),
    ("yaml_deep_block", "card_good"), ("yaml_self", "card_good"),
    ("csv_good", "csv_good"), ("csv_wide", "csv_good"), ("tsv_wide", "csv_good"), ("csv_big_field", "csv_good"),
    ("csv_many_rows", "csv_good"),
    ("jsonl_good", "jsonl_good"), ("jsonl_long_line", "jsonl_good"), ("jsonl_deep", "jsonl_good"),
    ("weights_good", "weights_good"), ("safetensors_huge_claim", "weights_good"),
    ("safetensors_deep_metadata", "weights_good"), ("safetensors_many_values", "weights_good"),
    ("gguf_good", "gguf_good"), ("gguf_huge_count", "gguf_good"), ("gguf_nested_arrays", "gguf_good"),
    ("gguf_many_values", "gguf_good"), ("gguf_long_string", "gguf_good"),
    ("parquet_good", "parquet_good"), ("parquet_many_chunks", "parquet_good"), ("parquet_wide", "parquet_good"),
    ("parquet_deep", "parquet_good"), ("parquet_lying_count", "parquet_good"),
    ("text_good", "text_good"), ("text_long_line", "text_good"), ("text_long_lines", "text_good"),
    ("text_no_common", "text_good"), ("text_many_lines", "text_good"), ("text_repeats", "text_good"),
]


def prepare(url: str, token: str, name: str, into: str) -> None:
    """The repo sandbox/NAME holding the case's old file; the folder INTO/NAME with the new one and
    its manifest (run in a process of its own: a plan started from this one would inherit its
    peak memory, which building the cases raises)."""
    from huggingface_hub import HfApi

    case = getattr(hostile, name)()
    repo = f"sandbox/{name.replace('_', '-')}"
    api = HfApi(endpoint=url, token=token)
    # The Hub refuses such a card from the client; a card already there (written before the
    # Hub checked, or by another tool) is what a plan reads: skip the client's check.
    api._validate_yaml = lambda *args, **kwargs: None  # type: ignore[method-assign]
    api.create_repo(repo)
    if case.old is not None:
        api.upload_file(path_or_fileobj=case.old, path_in_repo=case.path, repo_id=repo)
    folder = Path(into) / name
    (folder / "src").mkdir(parents=True)
    (folder / "src" / case.path).write_bytes(case.new)
    (folder / "hfsync.yaml").write_text(f"version: 1\nrepos:\n  - id: {repo}\n    source: {{path: src}}\n"
                                        "    card: {generate: false}\n")


def run_plan(hub, manifest: Path, kill: float, *extra: str) -> tuple[int, float, float, str]:  # type: ignore[no-untyped-def]
    """(exit code, wall seconds, peak RSS in MB, output) of one `hfsync plan`, stopped after ``kill`` s."""
    out = manifest.parent / "out.txt"
    command = [sys.executable, "-m", "hfsync", "--endpoint", hub.url, "--token", hub.token, "--no-progress",
               "plan", "-f", str(manifest), "--detailed-exitcode", *extra]
    start = time.perf_counter()
    with open(out, "w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
        timer = threading.Timer(kill, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, wall, usage.ru_maxrss / 1024, out.read_text()


def shown(output: str, path: str) -> str:
    """The plan's first line about the file's content, after its own line."""
    lines = output.splitlines()
    for number, line in enumerate(lines):
        if f'file "{path}"' in line and number + 1 < len(lines):
            return " ".join(lines[number + 1].split())[:100]
    return " ".join(output.split())[-100:]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="case names (default: all)")
    parser.add_argument("--seconds", type=float, default=5.0, help="wall-time bound per plan")
    parser.add_argument("--mb", type=float, default=300.0, help="peak RSS bound per plan")
    parser.add_argument("--kill", type=float, default=120.0, help="seconds after which a plan is stopped")
    parser.add_argument("--prepare", nargs=4, metavar=("URL", "TOKEN", "NAME", "INTO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(*args.prepare)
        shutil.rmtree(TMP)  # this process's own, unused
        return 0
    wanted = [c for c in CASES if not args.only or c[0] in args.only or c[1] in args.only]
    results: dict[str, tuple[int, float, float, str]] = {}
    undiffed: dict[str, float] = {}
    cold: dict[str, tuple[float, float]] = {}
    paths: dict[str, str] = {}
    failed = []
    with sandbox_process() as hub:
        for name in dict.fromkeys(n for case in wanted for n in case):
            subprocess.run([sys.executable, __file__, "--prepare", hub.url, hub.token, name, str(TMP)],
                           check=True)
            cold[name] = run_plan(hub, TMP / name / "hfsync.yaml", args.kill)[1:3]  # fills the caches
            undiffed[name] = run_plan(hub, TMP / name / "hfsync.yaml", args.kill, "--diff", "none")[1]
            results[name] = run_plan(hub, TMP / name / "hfsync.yaml", args.kill)
            paths[name] = next((TMP / name / "src").iterdir()).name
    print(f"bounds: what the diffs add to the wall time <= {args.seconds:.1f} s; peak RSS <= {args.mb:.0f} MB")
    print("first plan (cold: hashes and secret-scans the upload too), then again with caches warm, against the warm")
    print("plan with --diff none (diffs s: the difference) and the honest case of the same reader (x good)")
    print(f"{'case':<26} {'exit':>4} {'cold s':>6} {'cold MB':>7} {'warm s':>6} {'diffs s':>7} {'x good':>6} "
          f"{'RSS MB':>6} {'x good':>6}  plan says")
    for name, peer in wanted:
        code, wall, rss, output = results[name]
        added = wall - undiffed[name]
        bad = []
        if code not in (0, 2) or "Traceback" in output or "Internal error" in output:
            bad.append(f"exit {code}")
        if added > args.seconds:
            bad.append("time")
        if max(rss, cold[name][1]) > args.mb:
            bad.append("memory")
        failed += [f"{name}: {', '.join(bad)}"] if bad else []
        print(f"{name:<26} {code:>4} {cold[name][0]:>6.2f} {cold[name][1]:>7.0f} {wall:>6.2f} {added:>7.2f} "
              f"{wall / results[peer][1]:>6.2f} {rss:>6.0f} {rss / results[peer][2]:>6.2f}  "
              f"{shown(output, paths[name])[:80]}{'  <-- ' + ', '.join(bad) if bad else ''}")
    shutil.rmtree(TMP)
    if failed:
        print("\npast a bound: " + "; ".join(failed))
        return 1
    print(f"\nall {len(wanted)} cases within bounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
