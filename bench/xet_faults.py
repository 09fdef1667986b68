"""The Xet fault matrix: every fault on every Xet route, during `hfsync apply` and `hfsync pull`.

Usage: PYTHONPATH=. python bench/xet_faults.py [--persistent] [--only apply|pull] [--size-kb 1536]

A sandbox Hub runs in this process; `hfsync` runs as a user runs it, in a child process
with the client's defaults (hf_xet on, no HF_HUB_DISABLE_XET). For each command, each Xet
route it uses and each fault (429 with Retry-After, 500, connection reset, truncated body,
corrupted body) the sandbox injects the fault, the command runs, and the run is judged:

- converged: exit 0, and the bytes on the Hub (apply) or on disk (pull) are the source's;
- clean failure: exit non-zero with one sentence on stderr, no traceback, and a rerun
  without faults converges;
- VIOLATION otherwise, or when a check below fails after any run:
  * pull: nothing at a final path but the pinned bytes (no corrupt or unverified file);
  * apply: every xorb named by the reconstruction of a file in any commit is in the CAS;
  * the fault reached its route (the sandbox took it).

Faults are transient by default (a status twice, a broken body once: the client should
ride them out); ``--persistent`` makes them last (the run must fail cleanly, after the
retries, which takes minutes). The table goes to stdout; exit 1 on any violation.

This is a script rather than a test because the full matrix takes minutes (30 child
processes, real Retry-After waits); tests/cli/test_xet_faults.py runs a few of its cases in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Route: the request the fault matches (method, path regex), and the commands that use it.
ROUTES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "xet token": ("GET", r"/xet-(read|write)-token/", ("apply", "pull")),
    "xorb upload": ("POST", r"^/v1/xorbs/", ("apply",)),
    "shard upload": ("POST", r"^/v[12]/shards$", ("apply",)),
    "reconstruction": ("GET", r"^/v[12]/reconstructions", ("pull",)),
    "xorb range": ("GET", r"^/sandbox-xet/xorb/", ("pull",)),
}
FAULTS: dict[str, dict] = {
    "429 Retry-After": {"action": "status", "status": 429, "retry_after": 1, "times": 2},
    "500": {"action": "status", "status": 500, "times": 2},
    "reset": {"action": "reset", "after_bytes": 0, "rst": True, "times": 1},
    "truncated": {"action": "truncate", "after_bytes": 7, "times": 1},
    "corrupted": {"action": "corrupt", "after_bytes": 100, "times": 1},
}
CONVERGED, CLEAN, VIOLATION, UNUSED = "converged", "clean failure", "VIOLATION", "not used"


@dataclass
class Outcome:
    verdict: str
    detail: str = ""
    seconds: float = 0.0


def safetensors(size: int) -> bytes:
    """A valid safetensors file of about ``size`` bytes, random (model-like) contents."""
    count = max(size - 128, 8)
    header = json.dumps({"w": {"dtype": "U8", "shape": [count], "data_offsets": [0, count]}}).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + os.urandom(count)


def clean_message(stderr: str) -> str | None:
    """The problem with a failure's stderr, or None when it is one clear message."""
    if "Traceback" in stderr:
        return "traceback on stderr"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "nothing on stderr"
    errors = [line for line in lines if line.startswith(("Error", "error"))]
    if len(errors) > 1:
        return f"{len(errors)} error messages"
    for line in lines:
        for word in ("Exception", "exception", "RuntimeError", "OSError", "hf_xet::", "panicked"):
            if word in line:
                return f"raw error text: {line.strip()[:120]}"
    return None


class Matrix:
    """One sandbox, one work folder, and the child-process runs of hfsync against them."""

    def __init__(self, work: Path, size: int, persistent: bool) -> None:
        from hfsync.sandbox.server import SandboxServer
        from hfsync.sandbox.testing import SandboxHandle

        self.work = work
        self.size = size
        self.persistent = persistent
        self.server = SandboxServer(work / "hub").start()
        self.hub = SandboxHandle(self.server.url, self.server.token, self.server.data_dir, self.server)
        self.count = 0

    def close(self) -> None:
        self.server.stop()

    def env(self, home: Path) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_TOKEN": self.hub.token, "HF_HOME": str(home / "hf"),
               "HF_XET_CACHE": str(home / "xet"), "HFSYNC_CACHE_DIR": str(home / "hfsync"),
               "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
        env.pop("HF_HUB_DISABLE_XET", None)  # the client's defaults: Xet on
        return env

    def hfsync(self, home: Path, *args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "hfsync", "--endpoint", self.hub.url, "--no-progress", *args]
        return subprocess.run(command, env=self.env(home), capture_output=True, text=True, timeout=900)

    def fault(self, route: str, fault: str) -> dict:
        method, path, _ = ROUTES[route]
        rule = {"method": method, "path": path, **FAULTS[fault]}
        if self.persistent:
            rule["times"] = 1000
        return rule

    # -- apply --------------------------------------------------------------------------

    def apply_case(self, route: str, fault: str) -> Outcome:
        self.count += 1
        case = self.work / f"apply-{self.count}"
        repo = f"sandbox/apply-{self.count}"
        source = case / "model"
        source.mkdir(parents=True)
        files = {"model.safetensors": safetensors(self.size), "config.json": b'{"layers": 2}\n'}
        for name, data in files.items():
            (source / name).write_bytes(data)
        manifest = case / "hfsync.yaml"
        manifest.write_text(f"version: 1\nrepos:\n  - id: {repo}\n    source: {{path: model}}\n")
        args = ("apply", "-f", str(manifest), "--auto-approve")
        self.hub.reset_stats()
        self.hub.add_faults([self.fault(route, fault)])
        start = time.monotonic()
        run = self.hfsync(case / "home", *args)
        outcome = self.judge(run, time.monotonic() - start)
        pending = self.pending()
        if outcome.verdict == CLEAN:
            rerun = self.hfsync(case / "home", *args)
            if rerun.returncode != 0:
                outcome = Outcome(VIOLATION, f"rerun failed: {rerun.stderr.strip()[:200]}", outcome.seconds)
        if outcome.verdict != VIOLATION:
            problem = self.hub_bytes_differ(repo, files)
            if problem:
                outcome = Outcome(VIOLATION, problem, outcome.seconds)
        dangling = self.dangling_xorbs()
        if dangling:
            outcome = Outcome(VIOLATION, dangling, outcome.seconds)
        if pending and outcome.verdict != VIOLATION:
            outcome = Outcome(VIOLATION, "the fault never reached the route", outcome.seconds)
        shutil.rmtree(case, ignore_errors=True)
        return outcome

    def hub_bytes_differ(self, repo: str, files: dict[str, bytes]) -> str | None:
        import urllib.request

        for name, data in files.items():
            url = f"{self.hub.url}/{repo}/resolve/main/{name}"
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.hub.token}"})
            try:
                with urllib.request.urlopen(request) as response:
                    got = response.read()
            except OSError as error:
                return f"{name} not on the Hub after the run ({error})"
            if got != data:
                return f"{name} on the Hub differs from the source"
        return None

    def dangling_xorbs(self) -> str | None:
        """A committed file whose reconstruction names a xorb the CAS does not hold, if any."""
        hub = self.server.hub
        for repo in hub.repos.all("model"):
            commits = {c for ref in repo.git.list_refs("refs/heads/").values() for c in repo.history(ref)}
            for commit in sorted(commits):
                for path, entry in repo.snapshot(commit).files.items():
                    if entry.lfs is None:
                        continue
                    record = hub.cas.file_for_sha256(entry.lfs[0])
                    if record is None:
                        if hub.lfs.size(entry.lfs[0]) is None:
                            return f"{repo.id}@{commit[:8]}:{path} names content neither in the CAS nor in LFS"
                        continue
                    missing = [x for x, *_ in record.terms if not hub.cas.has_xorb(x)]
                    if missing:
                        return f"{repo.id}@{commit[:8]}:{path} names xorb {missing[0][:12]}, not in the CAS"
        return None

    # -- pull ---------------------------------------------------------------------------

    def pull_setup(self) -> None:
        """One repo with a Xet-stored file and a config, and a locked manifest pulling it."""
        from huggingface_hub import HfApi

        self.pulled = {"model.safetensors": safetensors(self.size), "config.json": b'{"layers": 3}\n'}
        folder = self.work / "pull-source"
        folder.mkdir()
        for name, data in self.pulled.items():
            (folder / name).write_bytes(data)
        api = HfApi(endpoint=self.hub.url, token=self.hub.token)
        api.create_repo("sandbox/pulled")
        api.upload_folder(folder_path=folder, repo_id="sandbox/pulled")
        self.pulled[".gitattributes"] = Path(api.hf_hub_download("sandbox/pulled", ".gitattributes",
                                                                 cache_dir=self.work / "dl")).read_bytes()
        self.project = self.work / "pull-project"
        self.project.mkdir()
        (self.project / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: sandbox/pulled\n    dest: vendor\n")
        run = self.hfsync(self.work / "pull-home", "lock", "-f", str(self.project / "hfsync.yaml"))
        if run.returncode != 0:
            raise SystemExit(f"hfsync lock failed: {run.stderr}")

    def pull_case(self, route: str, fault: str) -> Outcome:
        self.count += 1
        dest = self.project / "vendor"
        shutil.rmtree(dest, ignore_errors=True)
        home = self.work / f"pull-home-{self.count}"
        args = ("pull", "--locked", "-f", str(self.project / "hfsync.yaml"))
        self.hub.reset_stats()
        self.hub.add_faults([self.fault(route, fault)])
        start = time.monotonic()
        run = self.hfsync(home, *args)
        outcome = self.judge(run, time.monotonic() - start)
        pending = self.pending()
        problem = self.final_paths_wrong(dest, complete=outcome.verdict == CONVERGED)
        if problem:
            outcome = Outcome(VIOLATION, problem, outcome.seconds)
        elif outcome.verdict == CLEAN:
            rerun = self.hfsync(home, *args)
            problem = self.final_paths_wrong(dest, complete=True)
            if rerun.returncode != 0 or problem:
                outcome = Outcome(VIOLATION, problem or f"rerun failed: {rerun.stderr.strip()[:200]}",
                                  outcome.seconds)
        if pending and outcome.verdict != VIOLATION:
            outcome = Outcome(VIOLATION, "the fault never reached the route", outcome.seconds)
        shutil.rmtree(home, ignore_errors=True)
        return outcome

    def final_paths_wrong(self, dest: Path, complete: bool) -> str | None:
        """What is wrong at the final paths: a file with other bytes, a stray file, or (when
        the run succeeded) a missing file; None when all is right."""
        present = {p.relative_to(dest).as_posix(): p for p in dest.rglob("*")
                   if p.is_file() and ".hfsync" not in p.relative_to(dest).parts} if dest.exists() else {}
        for name, path in present.items():
            if name not in self.pulled:
                return f"stray file at a final path: {name}"
            if path.read_bytes() != self.pulled[name]:
                return f"{name} at its final path is not the pinned bytes"
        if complete and set(present) != set(self.pulled):
            return f"missing after success: {sorted(set(self.pulled) - set(present))}"
        return None

    # -- shared -------------------------------------------------------------------------

    def pending(self) -> bool:
        pending = bool(self.hub._admin("GET", "/_sandbox/faults")["faults"])
        self.hub.clear_faults()
        return pending and not self.persistent

    def judge(self, run: subprocess.CompletedProcess, seconds: float) -> Outcome:
        if run.returncode == 0:
            return Outcome(CONVERGED, seconds=seconds)
        problem = clean_message(run.stderr)
        if problem:
            return Outcome(VIOLATION, f"exit {run.returncode}, {problem}: {run.stderr.strip()[-300:]}", seconds)
        message = " ".join(line.strip() for line in run.stderr.splitlines() if line.strip())
        return Outcome(CLEAN, message[:200], seconds)


def run_matrix(size: int, persistent: bool, commands: tuple[str, ...], routes: tuple[str, ...] = tuple(ROUTES),
               faults: tuple[str, ...] = tuple(FAULTS)) -> dict[tuple[str, str, str], Outcome]:
    results: dict[tuple[str, str, str], Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="xet-faults-") as tmp:
        matrix = Matrix(Path(tmp), size, persistent)
        try:
            if "pull" in commands:
                matrix.pull_setup()
            for command in commands:
                for route, (_, _, used_by) in ROUTES.items():
                    for fault in FAULTS:
                        if command not in used_by or route not in routes or fault not in faults:
                            results[route, fault, command] = Outcome(UNUSED)
                            continue
                        case = matrix.apply_case if command == "apply" else matrix.pull_case
                        results[route, fault, command] = outcome = case(route, fault)
                        print(f"  {command:5} {route:15} {fault:16} {outcome.verdict:14} {outcome.seconds:5.1f}s "
                              f"{outcome.detail[:150]}", file=sys.stderr, flush=True)
        finally:
            matrix.close()
    return results


def table(results: dict[tuple[str, str, str], Outcome], commands: tuple[str, ...]) -> str:
    header = ["route", "fault", *commands]
    rows = [header, ["---"] * len(header)]
    for route in ROUTES:
        for fault in FAULTS:
            rows.append([route, fault, *(results[route, fault, c].verdict for c in commands)])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persistent", action="store_true", help="faults that never stop (slow: retries)")
    parser.add_argument("--only", choices=("apply", "pull"), help="one command only")
    parser.add_argument("--route", action="append", choices=tuple(ROUTES), help="only this route (repeatable)")
    parser.add_argument("--fault", action="append", choices=tuple(FAULTS), help="only this fault (repeatable)")
    parser.add_argument("--size-kb", type=int, default=1536, help="size of the Xet-stored file")
    args = parser.parse_args()
    commands = (args.only,) if args.only else ("apply", "pull")
    start = time.monotonic()
    results = run_matrix(args.size_kb * 1024, args.persistent, commands, tuple(args.route or ROUTES),
                         tuple(args.fault or FAULTS))
    print(table(results, commands))
    counts: dict[str, int] = {}
    for outcome in results.values():
        if outcome.verdict != UNUSED:
            counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
    print(f"\n{sum(counts.values())} runs ({'persistent' if args.persistent else 'transient'} faults, "
          f"{time.monotonic() - start:.0f}s): {summary}")
    for (route, fault, command), outcome in results.items():
        if outcome.verdict == VIOLATION:
            print(f"VIOLATION {command} / {route} / {fault}: {outcome.detail}")
    return 1 if counts.get(VIOLATION) else 0


if __name__ == "__main__":
    sys.exit(main())
