"""Benchmark 2: apply after changing 1% of the bytes: bytes sent / bytes changed, time vs upload_folder.

    python bench/bench_apply_delta.py [--files 1000] [--mb 1000] [--percent 1]

Two repos start identical (one published by hfsync, one by upload_folder); then
--percent of the files (so of the bytes) get new content, and each tool publishes the
change to its repo. Bytes sent are every request body the sandbox received.
Target: bytes sent / bytes changed <= 1.01.
"""

from __future__ import annotations

import argparse
import math
import os

from _publish_common import TMP, make_tree, manifest, sandbox, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--mb", type=int, default=1000)
    parser.add_argument("--percent", type=float, default=1.0)
    args = parser.parse_args()

    from huggingface_hub import HfApi

    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.manifest.load import load
    from hfsync.publish.apply import apply_plan
    from hfsync.publish.planner import make_plan

    source = TMP / "tree"
    paths = make_tree(source, args.files, args.mb * 1_000_000)
    changed = paths[:: max(1, round(100 / args.percent))][: math.ceil(args.files * args.percent / 100)]
    new = {p: os.urandom(p.stat().st_size) for p in changed}
    changed_bytes = sum(len(data) for data in new.values())
    originals = {p: p.read_bytes() for p in changed}
    times: dict[str, float] = {}
    sent: dict[str, int] = {}
    # One sandbox per tool: the Hub's LFS store is shared by its repos, and content one
    # tool uploaded would not be uploaded again by the other.
    for tool in ("hfsync plan + apply", "upload_folder"):
        for path, data in originals.items():
            path.write_bytes(data)
        with sandbox(tool.split()[0]) as hub:
            publisher = Publisher(Hub(hub.url, hub.token))
            api = HfApi(endpoint=hub.url, token=hub.token)
            workspace = load([manifest(TMP, "sandbox/delta", source)])
            if tool.startswith("hfsync"):
                assert not apply_plan(make_plan(workspace, publisher, cache=DigestCache()), publisher).failures
            else:
                api.create_repo("sandbox/delta")
                api.upload_folder(folder_path=source, repo_id="sandbox/delta")
            for path, data in new.items():
                path.write_bytes(data)
            hub.reset_stats()
            with timed(times, tool):
                if tool.startswith("hfsync"):
                    plan = make_plan(workspace, publisher, cache=DigestCache())
                    assert not apply_plan(plan, publisher).failures
                else:
                    api.upload_folder(folder_path=source, repo_id="sandbox/delta")
            sent[tool] = hub.stats()["bytes_in"]
    print(f"tree: {args.files} files, {args.mb} MB; changed {len(changed)} files, {changed_bytes:,} bytes")
    for key in times:
        print(f"  {key:<20} {times[key]:7.2f} s  sent {sent[key]:>13,} bytes "
              f"({sent[key] / changed_bytes:.4f} x bytes changed)")
    ratio = sent["hfsync plan + apply"] / changed_bytes
    print(f"ratio bytes sent / bytes changed (hfsync): {ratio:.4f} (target <= 1.01)")
    print(f"ratio wall time upload_folder / hfsync:   {times['upload_folder'] / times['hfsync plan + apply']:.1f}x")


if __name__ == "__main__":
    main()
