"""Start-up cost: wall time of `hfsync validate` and of a no-op `hfsync plan`, over Python's own start.

    python bench/bench_startup.py [--repeat 15]

pre-commit runs `validate` on every commit and CI runs `plan` on every push, so a command must
import only what it uses. Measured in the same run, each the best of --repeat runs (the machine
is shared: the minimum is the least disturbed run). The budgets are on wall time; the CPU time
(user + system) is printed beside it, with the load average, because on a busy machine the wall
time also counts waiting for a core:

    python -c pass                                   Python's own start
    hfsync validate  (a 10-target manifest)           budget: <= 0.15 s over Python's start
    hfsync plan      (one unchanged target, sandbox)  budget: <= 0.25 s over Python's start

The plan is measured warm, as CI's second push finds it: the apply that published the target
and one plan before the timed runs left the digests of its files and the verdicts on its values
in hfsync's cache. Also printed, not budgeted: the same plan with an empty hfsync cache (the first
plan on a fresh machine: it hashes the files and loads detect-secrets to judge the card metadata),
and `import huggingface_hub.hf_api` over Python's start, which a no-op plan no longer pays (its
reads go through hub.reads; apply still loads the client). `python -X importtime -m hfsync ...`
shows where the time goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from _publish_common import TMP, sandbox

BUDGETS = {"validate": 0.15, "plan": 0.25}


class Took(NamedTuple):
    wall: float  # seconds, what the budgets are on
    cpu: float  # user + system seconds of the process: less swayed by other work on the machine


def best_of(command: list[str], repeat: int, cwd: Path, env: dict[str, str], expect: int = 0,
            cold: bool = False) -> Took:
    """The least wall and CPU times of ``repeat`` runs; ``cold``: each run with an empty hfsync cache."""
    wall = cpu = float("inf")
    for run in range(repeat):
        if cold:
            env = {**env, "HFSYNC_CACHE_DIR": str(TMP / f"cold-{time.monotonic_ns()}-{run}")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != expect:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        wall = min(wall, elapsed)
        cpu = min(cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return Took(wall, cpu)


def project(root: Path, targets: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(targets):
        source = root / f"m{i}"
        source.mkdir(exist_ok=True)
        (source / "config.json").write_text(f'{{"n": {i}}}\n')
        entries.append(f"  - id: sandbox/startup-{i}\n    source: {{path: m{i}}}\n"
                       "    card: {metadata: {license: mit}}\n")
    (root / "hfsync.yaml").write_text("version: 1\nrepos:\n" + "".join(entries))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="runs per measurement; the best is kept")
    args = parser.parse_args()

    python = sys.executable
    hfsync = [python, "-m", "hfsync"]
    many = project(TMP / "validate", 10)
    one = project(TMP / "plan", 1)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop("HF_TOKEN", None)
    # As on a user's machine: modules are byte-compiled once (pip does it at install), not on
    # every start. A checkout run with PYTHONDONTWRITEBYTECODE=1 recompiles hfsync every time.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with sandbox() as hub:
        env |= {"HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token}
        applied = subprocess.run([*hfsync, "apply", "--auto-approve"], cwd=one, env=env, capture_output=True,
                                 text=True)
        if applied.returncode != 0:
            raise SystemExit(applied.stdout + applied.stderr)
        # Warm the digest cache and the OS caches: the bench measures start-up, not first reads.
        best_of([*hfsync, "plan", "--detailed-exitcode"], 1, one, env)
        best_of([*hfsync, "validate"], 1, many, env)
        base = best_of([python, "-c", "pass"], args.repeat, one, env)
        # The floor under any command that reaches the Hub: importing huggingface_hub's client.
        floor = best_of([python, "-c", "import huggingface_hub.hf_api"], args.repeat, one, env)
        times = {
            "validate": best_of([*hfsync, "validate"], args.repeat, many, env),
            "plan": best_of([*hfsync, "plan", "--detailed-exitcode"], args.repeat, one, env),
        }
        cold = best_of([*hfsync, "plan", "--detailed-exitcode"], args.repeat, one, env, cold=True)

    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}; best of {args.repeat} runs each; cpu = user + system")
    print(f"python -c pass: {base.wall:.3f} s (cpu {base.cpu:.3f} s)")
    print(f"python -c 'import huggingface_hub.hf_api': {floor.wall:.3f} s = python + {floor.wall - base.wall:.3f} s "
          f"(cpu + {floor.cpu - base.cpu:.3f} s; huggingface_hub's client, which a no-op plan does without)")
    failed = False
    for name, took in times.items():
        over, budget = took.wall - base.wall, BUDGETS[name]
        verdict = "ok" if over <= budget else "OVER BUDGET"
        failed |= over > budget
        what = "validate, 10 targets" if name == "validate" else "plan, 1 unchanged target (no-op)"
        print(f"hfsync {what}: {took.wall:.3f} s = python + {over:.3f} s (cpu + {took.cpu - base.cpu:.3f} s; "
              f"budget {budget:.2f} s): {verdict}")
    print(f"hfsync plan, 1 unchanged target, empty hfsync cache: {cold.wall:.3f} s = python + "
          f"{cold.wall - base.wall:.3f} s (cpu + {cold.cpu - base.cpu:.3f} s; not budgeted: the first plan on a "
          "fresh machine)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
