"""Benchmark: search and info through the metadata cache, against huggingface_hub on the same sandbox.

    python bench/bench_discover.py [--repos 200] [--latency 0.05]

The sandbox answers every Hub request after ``--latency`` seconds (a delay fault), as
a remote Hub would. Peers, measured in the same run:
- info: huggingface_hub's ``model_info(files_metadata=True)`` on each call, versus
  ``hfsync info`` cold (first call) and warm (metadata cache, within the TTL).
- search with a client-side filter (``--min-likes``, sorted by likes, 10 results):
  huggingface_hub's ``list_models(sort="likes")`` filtered in Python (it cannot page by
  less than the whole listing without a limit), versus hfsync's early stop; and the
  same search again from the cache.
Prints ratios (peer time / hfsync time) and request counts; no absolute claims.
"""

from __future__ import annotations

import argparse
import time

from _publish_common import sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    from huggingface_hub import CommitOperationAdd, HfApi

    from hfsync.discover.info import repo_report
    from hfsync.discover.search import SearchQuery, run_search
    from hfsync.discover.session import Lookup

    with sandbox("discover") as hub:
        api = HfApi(endpoint=hub.url, token=hub.token)
        for i in range(args.repos):
            repo_id = f"sandbox/m{i:04}"
            api.create_repo(repo_id)
            api.create_commit(repo_id, [CommitOperationAdd("README.md", b"---\nlicense: mit\n---\nA model.\n"),
                                        CommitOperationAdd("config.json", b"{}")], commit_message="seed")
            hub.seed("model", repo_id, likes=i)
        hub.add_faults([{"path": ".*", "action": "delay", "seconds": args.latency, "times": 1_000_000}])

        def timed(fn):  # type: ignore[no-untyped-def]
            hub.reset_stats()
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start, hub.stats()["requests"]

        calls = 5
        peer_info, peer_info_requests = timed(
            lambda: [api.model_info("sandbox/m0007", files_metadata=True) for _ in range(calls)])
        lookup = Lookup.open(hub.url)
        cold, cold_requests = timed(lambda: repo_report(lookup, "model", "sandbox/m0007"))
        warm, warm_requests = timed(
            lambda: [repo_report(Lookup.open(hub.url), "model", "sandbox/m0007") for _ in range(calls)])
        ours_info = cold + warm * (calls - 1) / calls
        print(f"info x{calls}: huggingface_hub {peer_info:.2f}s ({peer_info_requests} requests); "
              f"hfsync {ours_info:.2f}s (cold {cold_requests} requests, then {warm_requests}); "
              f"ratio {peer_info / ours_info:.1f}x")

        floor = args.repos - 30
        query = SearchQuery("model", author="sandbox", min_likes=floor, sort="likes", limit=10)
        peer, peer_requests = timed(lambda: [m for m in api.list_models(author="sandbox", sort="likes")
                                             if (m.likes or 0) >= floor][:10])
        ours, ours_requests = timed(lambda: run_search(Lookup.open(hub.url), query))
        again, again_requests = timed(lambda: run_search(Lookup.open(hub.url), query))
        print(f"search (min likes, 10 results of {args.repos} repos): huggingface_hub {peer:.2f}s "
              f"({peer_requests} requests); hfsync {ours:.2f}s ({ours_requests}), ratio {peer / ours:.1f}x; "
              f"from the cache {again * 1000:.1f}ms ({again_requests}), ratio {peer / again:.0f}x")


if __name__ == "__main__":
    main()
