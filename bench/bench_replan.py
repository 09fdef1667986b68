"""Benchmark 1: re-plan of an unchanged tree vs the first plan and vs upload_folder's no-op.

    python bench/bench_replan.py [--files 1000] [--mb 1000]

The second plan reads no file content (digest cache) and lists the remote tree once;
huggingface_hub's upload_folder rehashes every file before learning that nothing
changed. Target: re-plan >= 10x faster than the upload_folder no-op.
"""

from __future__ import annotations

import argparse

from _publish_common import TMP, drop_page_cache_hint, make_tree, manifest, sandbox, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--mb", type=int, default=1000, help="total size of the tree in MB")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    args = parser.parse_args()

    from huggingface_hub import HfApi

    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.manifest.load import load
    from hfsync.publish.apply import apply_plan
    from hfsync.publish.planner import make_plan

    source = TMP / "tree"
    make_tree(source, args.files, args.mb * 1_000_000)
    with sandbox() as hub:
        publisher = Publisher(Hub(hub.url, hub.token))
        api = HfApi(endpoint=hub.url, token=hub.token)
        workspace = load([manifest(TMP, "sandbox/bench-replan", source)])
        times: dict[str, float] = {}
        requests: dict[str, int] = {}
        with timed(times, "first plan"):
            plan = make_plan(workspace, publisher, cache=DigestCache())
        assert not apply_plan(plan, publisher).failures
        # Best of --repeat: the machine is shared, the minimum is the least disturbed run.
        for name in ("re-plan, unchanged", "  of which Hub reads", "upload_folder no-op"):
            best = float("inf")
            for _ in range(args.repeat):
                hub.reset_stats()
                with timed(times, name):
                    if name.startswith("re-plan"):
                        cache = DigestCache()
                        again = make_plan(workspace, publisher, cache=cache)
                        assert not again.has_changes and cache.misses == 0
                    elif name.endswith("Hub reads"):
                        publisher.read("sandbox/bench-replan", "model", "main")
                    else:
                        api.upload_folder(folder_path=source, repo_id="sandbox/bench-replan")
                best = min(best, times[name])
                requests[name] = hub.stats()["requests"]
            times[name] = best
    print(f"tree: {args.files} files, {args.mb} MB {drop_page_cache_hint()}")
    for key, value in times.items():
        print(f"  {key:<22} {value:8.2f} s")
    print(f"  requests: re-plan {requests['re-plan, unchanged']}, upload_folder no-op "
          f"{requests['upload_folder no-op']}")
    print(f"ratio upload_folder no-op / re-plan: {times['upload_folder no-op'] / times['re-plan, unchanged']:.1f}x"
          " (target >= 10x)")
    local = times["re-plan, unchanged"] - times["  of which Hub reads"]
    print(f"ratio upload_folder no-op / re-plan's own work (Hub reads excluded): "
          f"{times['upload_folder no-op'] / max(local, 1e-3):.0f}x")
    print(f"ratio first plan / re-plan:         {times['first plan'] / times['re-plan, unchanged']:.1f}x")


if __name__ == "__main__":
    main()
