"""`plan --changed-since` in a monorepo: one target changed among many.

    python bench/bench_changed_since.py [--targets 100] [--files 5]

Publishes every target to an in-process sandbox, commits, changes one file, then measures
in the same run: the full plan vs the plan with --changed-since HEAD (wall time and Hub
requests), and the git work --changed-since adds vs `git diff` + `git status` run by git
itself (the floor for learning what changed).
"""

from __future__ import annotations

import argparse
import subprocess
import time

from _publish_common import TMP, sandbox, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--files", type=int, default=5, help="small files per target")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    args = parser.parse_args()

    import git

    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.manifest.load import load
    from hfsync.publish.apply import apply_plan
    from hfsync.publish.changed_since import changed_since
    from hfsync.publish.planner import make_plan, plan_manifests

    root = TMP / "monorepo"
    lines = ["version: 1", "defaults: {namespace: sandbox}", "repos:"]
    for t in range(args.targets):
        for f in range(args.files):
            path = root / "models" / f"m{t:04}" / f"file-{f}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f'{{"target": {t}, "file": {f}}}\n')
        lines += [f"  - id: m{t:04}", f"    source: {{path: models/m{t:04}}}", "    card: {generate: false}"]
    manifest = root / "hfsync.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    repo = git.Repo.init(root)
    repo.git.add(A=True)
    me = git.Actor("bench", "bench@example.com")
    repo.index.commit("monorepo", author=me, committer=me)

    with sandbox() as hub:
        publisher = Publisher(Hub(hub.url, hub.token))
        cache = DigestCache()
        apply_plan(make_plan(load([manifest]), publisher, cache=cache, parallelism=8), publisher, parallelism=8)
        (root / "models" / "m0042" / "file-0.json").write_text('{"changed": true}\n')

        times: dict[str, float] = {}
        requests: dict[str, int] = {}
        for name, since in (("full plan", None), ("--changed-since", "HEAD")):
            best = float("inf")
            for _ in range(args.repeat):
                hub.reset_stats()
                start = time.perf_counter()
                result = plan_manifests([manifest], publisher, changed_since=since)
                best = min(best, time.perf_counter() - start)
                requests[name] = hub.stats()["requests"]
            times[name] = best
            changed = [t.key for t in result.targets if t.has_changes]
            print(f"{name:>16}: {best * 1000:8.1f} ms, {requests[name]:5} Hub requests, "
                  f"{len(result.targets)} planned, changed: {changed}")

        workspace = load([manifest])
        for name, work in (
            ("changed_since", lambda: changed_since(workspace, "HEAD")),
            ("git diff+status", lambda: [
                subprocess.run(["git", "-C", str(root), *command], capture_output=True, check=True)
                for command in (["diff", "--name-only", "HEAD"], ["status", "--porcelain"])
            ]),
        ):
            best = float("inf")
            for _ in range(args.repeat):
                with timed(times, name):
                    work()
                best = min(best, times[name])
            times[name] = best

    print()
    print(f"{args.targets} targets x {args.files} files, one file changed:")
    print(f"  full plan / --changed-since plan, wall time: {times['full plan'] / times['--changed-since']:.1f}x")
    print(f"  full plan / --changed-since plan, Hub requests: "
          f"{requests['full plan'] / max(1, requests['--changed-since']):.1f}x")
    print(f"  changed_since() / git diff+status: {times['changed_since'] / times['git diff+status']:.2f}x "
          f"({times['changed_since'] * 1000:.1f} ms vs {times['git diff+status'] * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
