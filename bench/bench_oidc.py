"""Publishing through Trusted Publishers against a personal token: a 20-target apply.

    python bench/bench_oidc.py [--targets 20] [--repeat 3]

Each run is `hfsync apply --auto-approve` in a process of its own, as CI runs it, against a
sandbox Hub in another process, every target changed since the run before (one commit each).
The personal run has HF_TOKEN; the Trusted Publishers run has none and a fake GitHub runtime
whose id tokens the test issuer signs, so hfsync exchanges one token per target. Printed: the
Hub requests of each (the added ones should be one exchange per target; the id token comes
from GitHub, not the Hub, and is counted apart) and the wall time ratio, best of --repeat runs
each, alternated. Target: at most 1.1x.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _publish_common import TMP, sandbox_process  # puts the repository on sys.path

from tests.oidc_issuer import Issuer


def _manifest(root: Path, targets: list[str]) -> Path:
    lines = ["version: 1", "repos:"]
    for repo_id in targets:
        name = repo_id.split("/")[1]
        lines += [f"  - id: {repo_id}", f"    source: {{path: {name}}}", "    card: {generate: false}"]
        for index in range(3):
            path = root / name / f"part-{index}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('{"x": 0}\n')
    manifest = root / "hfsync.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def _change(root: Path, targets: list[str], run: int) -> None:
    for repo_id in targets:
        (root / repo_id.split("/")[1] / "part-0.json").write_text(f'{{"run": {run}}}\n')


def _apply(manifest: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hfsync", "apply", "-f", str(manifest), "--auto-approve"],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"apply failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from huggingface_hub import HfApi

    root = TMP / "oidc-project"
    targets = [f"sandbox/oidc-bench-{i:02}" for i in range(args.targets)]
    manifest = _manifest(root, targets)
    base = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "GITHUB_ACTIONS")}
    base["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    with sandbox_process() as hub, Issuer() as issuer:
        owner = HfApi(endpoint=hub.url, token=hub.token)
        for repo_id in targets:
            owner.create_repo(repo_id)
        issuer.trust(hub, repos=[("model", r) for r in targets])
        personal = {**base, "HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token}
        trusted = {**base, "HF_ENDPOINT": hub.url, **issuer.github_env()}
        times: dict[str, list[float]] = {"personal": [], "trusted": []}
        requests: dict[str, int] = {}
        run = 0
        for repeat in range(args.repeat):
            pair = [("personal", personal), ("trusted", trusted)]
            for name, env in pair if repeat % 2 == 0 else pair[::-1]:  # neither side always goes first
                run += 1
                _change(root, targets, run)
                hub.reset_stats()
                minted = len(issuer.minted)
                times[name].append(_apply(manifest, env))
                stats = hub.stats()
                requests[name] = stats["requests"]
                if name == "trusted":
                    exchanges = stats["routes"].get("POST oauth-token", {}).get("requests", 0)
                    id_tokens = len(issuer.minted) - minted
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    best = {name: min(values) for name, values in times.items()}
    print(f"{os.cpu_count()} cores, load average {load}; {args.targets} targets, 1 commit each; best of "
          f"{args.repeat} runs each, alternated; hfsync apply in a process of its own, the sandbox in another")
    print(f"personal token: {requests['personal']} Hub requests, {best['personal']:.2f} s")
    print(f"trusted publishers: {requests['trusted']} Hub requests (+{requests['trusted'] - requests['personal']}: "
          f"{exchanges} token exchanges), {id_tokens} id token from GitHub, {best['trusted']:.2f} s")
    ratio = best["trusted"] / best["personal"]
    print(f"wall time ratio trusted/personal: {ratio:.2f}x (target <= 1.10x): {'ok' if ratio <= 1.10 else 'OVER'}")


if __name__ == "__main__":
    main()
