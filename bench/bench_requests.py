"""Benchmark 3: Hub requests per target as the file count grows (10 -> 10,000).

    python bench/bench_requests.py [--counts 10,100,1000,10000]

hfsync plan reads a target with repo info and one recursive tree listing (1000
entries a page), never one request per file. The peer is huggingface_hub's
upload_folder no-op on the same repo (preupload in batches of 256 files).
Target: constant per target, pagination aside.
"""

from __future__ import annotations

import argparse

from _publish_common import TMP, manifest, sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", default="10,100,1000,10000")
    args = parser.parse_args()

    from huggingface_hub import HfApi

    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.manifest.load import load
    from hfsync.publish.apply import apply_plan
    from hfsync.publish.planner import make_plan

    rows = []
    with sandbox() as hub:
        publisher = Publisher(Hub(hub.url, hub.token))
        api = HfApi(endpoint=hub.url, token=hub.token)
        for count in (int(c) for c in args.counts.split(",")):
            source = TMP / f"tree-{count}"
            for i in range(count):
                path = source / f"d{i // 500:03}" / f"f{i:05}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f'{{"i": {i}}}\n')
            repo = f"sandbox/req-{count}"
            workspace = load([manifest(TMP, repo, source)])
            assert not apply_plan(make_plan(workspace, publisher, cache=DigestCache()), publisher).failures
            hub.reset_stats()
            plan = make_plan(workspace, publisher, cache=DigestCache())
            assert not plan.has_changes
            ours = hub.stats()
            hub.reset_stats()
            api.upload_folder(folder_path=source, repo_id=repo)
            theirs = hub.stats()["requests"]
            tree = ours["routes"].get("GET tree", {}).get("requests", 0)
            rows.append((count, ours["requests"], tree, theirs))
    print(f"{'files':>7} {'hfsync plan requests':>21} {'(tree pages)':>13} {'upload_folder no-op':>20} {'ratio':>7}")
    for count, ours, tree, theirs in rows:
        print(f"{count:>7} {ours:>21} {tree:>13} {theirs:>20} {theirs / ours:>6.1f}x")
    print("hfsync requests = 1 repo info + tree pages (ceil(entries / 1000)); no per-file requests.")


if __name__ == "__main__":
    main()
