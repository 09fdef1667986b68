"""Benchmark: what content diffs cost a plan, and how big the PR comment gets.

    python bench/bench_plan_diff.py [--full] [--repeat 3]

1. A 16-shard safetensors model where 2 shards were retyped (F32 -> BF16) and 3 JSON
   files edited: `plan --diff summary` against `plan --diff none` on the same sandbox,
   requests and wall time (target: <= 1.3x the time), the best of --repeat runs each,
   first with no added latency, then with --latency ms added to every request (both the
   Hub's and the CDN's). The sandbox runs as a process of its own, as the Hub is another
   machine: its work is not counted in the plan's. Default: small shards (about 1 MB,
   64 tensors each); --full: about 32 MB and 256 tensors each.
2. The markdown of a 500-file change with a text diff on every file: its size in
   GitHub's units against the 65,536-character comment limit.
"""

from __future__ import annotations

import argparse
import json
import os

from _publish_common import TMP, manifest, sandbox_process, timed

SHARDS = 16


def shard(tensors: int, each: int, dtype: str, index: int) -> bytes:
    import struct

    bits = {"F32": 4, "BF16": 2}[dtype]
    header, offset = {}, 0
    for t in range(tensors):
        size = each * bits
        span = [offset, offset + size]
        header[f"model.layers.{index}.t{t}.weight"] = {"dtype": dtype, "shape": [each], "data_offsets": span}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"\x01" * offset


def write_model(root, tensors: int, each: int, retyped: set[int], edited: bool) -> None:  # type: ignore[no-untyped-def]
    root.mkdir(parents=True, exist_ok=True)
    weight_map = {}
    for i in range(SHARDS):
        name = f"model-{i + 1:05}-of-{SHARDS:05}.safetensors"
        (root / name).write_bytes(shard(tensors, each, "BF16" if i in retyped else "F32", i))
        weight_map.update({f"model.layers.{i}.t{t}.weight": name for t in range(tensors)})
    (root / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    labels = 3 if edited else 2
    (root / "config.json").write_text(json.dumps({"num_labels": labels, "hidden_size": each}, indent=2))
    (root / "generation_config.json").write_text(json.dumps({"max_new_tokens": 64 * labels}, indent=2))
    (root / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 512 * labels}, indent=2))


def plan_cost(args: argparse.Namespace) -> None:
    from huggingface_hub import HfApi

    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.manifest.load import load
    from hfsync.publish.planner import make_plan

    tensors, each = (256, 32_000) if args.full else (64, 4_000)
    source = TMP / "model"
    write_model(source, tensors, each, set(), edited=False)
    with sandbox_process() as hub:
        HfApi(endpoint=hub.url, token=hub.token).create_repo("sandbox/bench-diff")
        HfApi(endpoint=hub.url, token=hub.token).upload_folder(folder_path=source, repo_id="sandbox/bench-diff")
        write_model(source, tensors, each, {3, 11}, edited=True)
        publisher = Publisher(Hub(hub.url, hub.token))
        workspace = load([manifest(TMP, "sandbox/bench-diff", source)])
        cache = DigestCache()
        make_plan(workspace, publisher, cache=cache)  # hash once: both measured plans read digests from the cache
        for latency in (0, args.latency):
            times: dict[str, float] = {}
            requests: dict[str, int] = {}
            received: dict[str, int] = {}
            for mode in ("none", "summary"):
                best = float("inf")
                for _ in range(args.repeat):
                    hub.clear_faults()
                    if latency:  # every request waits, as across the internet to the Hub
                        hub.add_faults([{"action": "delay", "seconds": latency / 1000, "times": 10_000}])
                    hub.reset_stats()
                    with timed(times, mode):
                        plan = make_plan(workspace, publisher, cache=cache, diff=mode)
                    best = min(best, times[mode])
                    stats = hub.stats()
                    requests[mode], received[mode] = stats["requests"], stats["bytes_out"]
                times[mode] = best
            hub.clear_faults()
            files = plan.targets[0].files
            print(f"plan of a {SHARDS}-shard model ({tensors} tensors per shard), 2 shards retyped, 3 JSON files "
                  f"edited ({len(files)} changed files), {latency} ms added to every request:")
            for mode in ("none", "summary"):
                print(f"  --diff {mode:<8} {times[mode] * 1000:8.1f} ms  {requests[mode]:4d} requests  "
                      f"{received[mode]:>9,} bytes from the Hub")
            ratio = times["summary"] / times["none"]
            extra = requests["summary"] - requests["none"]
            print(f"  ratio summary/none: {ratio:.2f}x time (target <= 1.3x), +{extra} requests "
                  f"({extra / len(files):.1f} per changed file)")
        model = next(f for f in plan.targets[0].files if f.diff is not None and f.diff.scope)
        print(f"  {model.path}: {model.diff.scope}; first entries: "
              + "; ".join(f"{e.key} {e.old} -> {e.new}" for e in model.diff.entries[:3]))


def markdown_size() -> None:
    from hfsync.inspect.compare import compare
    from hfsync.model.plan import Action, FileChange, Plan, TargetChange
    from hfsync.render.plan import render
    from hfsync.render.plan_markdown import LIMIT
    from hfsync.units import utf16_length

    old = "".join(f"setting_{i} = {i}\n" for i in range(60)).encode()
    new = "".join(f"setting_{i} = {i * 2}\n" for i in range(60)).encode()
    diff = compare("params.txt", old, new)
    files = tuple(FileChange(f"configs/part-{i:04}/params.txt", Action.UPDATE, len(new), False, "a" * 64, "b" * 40,
                             "c" * 64, remote_oid="d" * 40, remote_size=len(old), diff=diff) for i in range(500))
    target = TargetChange("acme/big", "acme/big", "model", "main", Action.UPDATE, head="1" * 40, files=files)
    plan = Plan("0.1.0", "https://hub.example", {}, (target,))
    text = render(plan, "markdown")
    whole = sum(len(f.diff.lines) for f in files)
    print(f"markdown of a 500-file change ({whole:,} diff lines in the plan): {utf16_length(text):,} characters "
          f"(limit {LIMIT:,}); cut note present: {'Cut to fit' in text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="larger shards (about 32 MB, 256 tensors each)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--latency", type=int, default=50, help="ms added to every request in the second run")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    plan_cost(args)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    markdown_size()


if __name__ == "__main__":
    main()
