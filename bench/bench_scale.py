"""Benchmark: publish N small files through the Hub's commit limit, hfsync vs huggingface_hub's upload_folder.

    python bench/bench_scale.py [--files 20000] [--limit 100]

Each tool publishes the same fresh folder (N files of 64 bytes in folders of 1,000) to its
own sandbox Hub, which refuses commits of more than --limit operations. Measured: wall time,
commits on main, requests the Hub saw. hfsync plans and applies in batches of --limit files
through a pull request and main moves once. huggingface_hub 2.x folded upload_large_folder
into upload_folder: with hf_xet installed it commits in adaptive batches (20 to 1,000 files,
split on failure) straight to main, so readers see each batch land.
Target: hfsync time <= 1.0x upload_folder's, with main moving once.
"""

from __future__ import annotations

import argparse
import os
import shutil

from _publish_common import TMP, sandbox, timed

MANIFEST = "version: 1\nrepos:\n  - {id: sandbox/scale, type: dataset, source: {path: tree}, card: {generate: false}}\n"


def make_small_tree(root, files: int) -> None:
    for i in range(files):
        if i % 1000 == 0:
            (root / f"part-{i // 1000:03}").mkdir(parents=True)
        (root / f"part-{i // 1000:03}" / f"{i:06}.txt").write_bytes(os.urandom(32).hex().encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()

    from huggingface_hub import HfApi

    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.manifest.load import load
    from hfsync.publish.apply import apply_plan
    from hfsync.publish.planner import make_plan

    source = TMP / "tree"
    make_small_tree(source, args.files)
    times: dict[str, float] = {}
    commits: dict[str, int] = {}
    requests: dict[str, int] = {}
    for tool in ("hfsync", "upload_folder"):
        with sandbox(tool) as hub:
            hub.settings(max_commit_operations=args.limit)
            api = HfApi(endpoint=hub.url, token=hub.token)
            api.create_repo("sandbox/scale", repo_type="dataset")
            hub.reset_stats()
            with timed(times, tool):
                if tool == "hfsync":
                    (TMP / "m.yaml").write_text(MANIFEST)
                    publisher = Publisher(Hub(hub.url, hub.token))
                    plan = make_plan(load([TMP / "m.yaml"]), publisher, cache=DigestCache())
                    result = apply_plan(plan, publisher)
                    assert not result.failures, result.failures
                else:
                    api.upload_folder(repo_id="sandbox/scale", folder_path=source, repo_type="dataset")
            stats = hub.stats()
            requests[tool] = stats["requests"]
            commits[tool] = len(api.list_repo_commits("sandbox/scale", repo_type="dataset")) - 1
            files = len(api.list_repo_files("sandbox/scale", repo_type="dataset"))
            assert files >= args.files, (tool, files)
        shutil.rmtree(source / ".cache", ignore_errors=True)  # the client's resume state, if any
    print(f"{args.files} files of 64 bytes, sandbox commit limit {args.limit} operations")
    for tool in times:
        print(f"  {tool:<20} {times[tool]:7.2f} s  commits on main {commits[tool]:>4}  requests {requests[tool]:>6}")
    print(f"ratio time hfsync / upload_folder: {times['hfsync'] / times['upload_folder']:.2f}x "
          f"(target <= 1.0x, main moving once: {commits['hfsync'] == 1})")


if __name__ == "__main__":
    main()
