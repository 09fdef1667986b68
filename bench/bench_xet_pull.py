"""Pulls against huggingface_hub's own download, on the sandbox, command against command, in the same run.

Usage: PYTHONPATH=. python bench/bench_xet_pull.py [--only first|next] [--repeat 5]
           [--files 3 --file-mb 150] [--small-files 300 --small-kb 100] [--size-mb 1024 --changed 0.01]

1. Next revision: a safetensors file of --size-mb MiB is pulled; one tensor (--changed of
   the file, in place) is rewritten and pushed; the machine moves to the new pin. Bytes the
   sandbox served for `hfsync pull --locked` (goal <= 5% of the file) and its time against
   `hf_hub_download` of the new revision through Xet onto a cache holding the old one
   (goal: not slower, ratio >= 1.0); each side's best of --repeat.
2. First pull onto an empty machine, four rows: --files x --file-mb MB and --small-files x
   --small-kb kB of safetensors (float-like data, as weights are), each over Xet and over
   legacy LFS (HF_HUB_DISABLE_XET=1 on both sides): the `hfsync pull --locked` command against
   the `hf download --local-dir` command, each run with a fresh HF_HOME (so hf_xet's caches
   serve nothing from disk) and a fresh hfsync cache, start-up included on both sides; the
   median of --repeat runs, the order alternating between rounds, and the load average.
   Over Xet a third command is timed: hf_xet fetches the files (snapshot_download) and one
   pass over each file computes what hfsync checks and records (sha256 and blake3), the
   alternative to hfsync's own Xet reader. The goal over Xet is a ratio >= 1.3.

The sandbox runs as a child process on loopback and is stopped by its handle; every client
runs in a child process with the client's defaults (Xet on unless the row says LFS), with
HF_HUB_DISABLE_TELEMETRY=1 on both sides. hfsync is byte-compiled first, as pip leaves an
installed package. The peak RSS of hfsync is read from the kernel (wait4) on one more,
untimed, run per row, to show that memory does not grow with the file.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hfsync

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_xet import _make_file, _rewrite, _serve

MIB = 1024 * 1024
SERVED = ("GET xorb-range", "GET reconstruction", "GET resolve", "GET lfs-download")


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "HF_HOME": str(home), "HF_XET_CACHE": str(home / "xet"), "HF_HUB_DISABLE_PROGRESS_BARS": "1",
           "HF_HUB_DISABLE_TELEMETRY": "1", "HFSYNC_CACHE_DIR": str(home / "hfsync-cache")}
    env.pop("HF_HUB_DISABLE_XET", None)
    return env


def _leg_env(home: Path, xet: bool) -> dict[str, str]:
    env = _env(home)
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    return env


def _python(code: str, home: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-c", code, *args], env=_env(home), check=True)


PEAK_RSS = [0]  # the largest peak RSS of an hfsync run, in bytes
# A forked child's peak RSS starts at its parent's: hfsync is started from this small
# launcher, which reports the peak of the hfsync process alone (wait4) on its last line.
_LAUNCHER = ("import os, sys\npid = os.fork()\n"
             "if pid == 0:\n    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
             "_, status, usage = os.wait4(pid, 0)\nprint(usage.ru_maxrss, file=sys.stderr)\n"
             "sys.exit(os.waitstatus_to_exitcode(status))")


def _hfsync(hub, home: Path, *args: str, xet: bool = True) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, "-m", "hfsync", "--endpoint", hub.url, "--token",
                           hub.token, "--no-progress", *args], env=_leg_env(home, xet), check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    PEAK_RSS[0] = max(PEAK_RSS[0], int(done.stderr.split()[-1]) * 1024)
    return seconds


def _linked_copy(source: Path, target: Path) -> None:
    """``source`` again at ``target``, files hard-linked: same inodes and mtimes, no bytes copied
    (both clients replace files by renaming, never writing into them)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=os.link, symlinks=True)


def _upload(hub, home: Path, repo: str, folder: Path) -> None:  # type: ignore[no-untyped-def]
    _python("import sys; from huggingface_hub import HfApi\n"
            "api = HfApi(endpoint=sys.argv[1], token=sys.argv[2]); api.create_repo(sys.argv[3], exist_ok=True)\n"
            "api.upload_folder(folder_path=sys.argv[4], repo_id=sys.argv[3])", home, hub.url, hub.token, repo,
            str(folder))


def _served(hub) -> int:  # type: ignore[no-untyped-def]
    routes = hub.stats()["routes"]
    return sum(routes.get(r, {}).get("bytes_out", 0) for r in SERVED)


def _timed_peer(hub, home: Path, code: str, *args: str) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    _python(code, home, hub.url, hub.token, *args)
    return time.perf_counter() - start


def next_revision(hub, root: Path, size: int, changed: float, repeat: int) -> None:  # type: ignore[no-untyped-def]
    src = root / "next-src"
    src.mkdir()
    _make_file(src / "model.safetensors", size)
    _upload(hub, root / "up", "sandbox/next", src)
    project = root / "next-project"
    project.mkdir()
    (project / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: sandbox/next\n    dest: vendor\n")
    manifest = str(project / "hfsync.yaml")
    ours, theirs = root / "next-ours", root / "next-theirs"
    _hfsync(hub, ours, "lock", "-f", manifest)
    _hfsync(hub, ours, "pull", "--locked", "-f", manifest)
    peer = ("import sys; from huggingface_hub import hf_hub_download\n"
            "hf_hub_download('sandbox/next', 'model.safetensors', endpoint=sys.argv[1], token=sys.argv[2])")
    _timed_peer(hub, theirs, peer)
    _rewrite(src / "model.safetensors", changed)
    _upload(hub, root / "up", "sandbox/next", src)
    _hfsync(hub, ours, "lock", "--update", "-f", manifest)
    # The machines as they are before moving to the new revision, to start each run from.
    _linked_copy(project, root / "next-project-before")
    _linked_copy(theirs, root / "next-theirs-before")
    seconds, peer_seconds, served, peer_served = [], [], 0, 0
    for _ in range(repeat):
        _linked_copy(root / "next-project-before", project)
        hub.reset_stats()
        seconds.append(_hfsync(hub, ours, "pull", "--locked", "-f", manifest))
        served = _served(hub)
        assert (project / "vendor" / "model.safetensors").read_bytes() == (src / "model.safetensors").read_bytes()
        _linked_copy(root / "next-theirs-before", theirs)
        hub.reset_stats()
        peer_seconds.append(_timed_peer(hub, theirs, peer))
        peer_served = _served(hub)
    best, peer_best = min(seconds), min(peer_seconds)
    print(f"next revision of a {size / MIB:.0f} MiB file, {changed:.1%} rewritten in place "
          f"(best of {repeat}):")
    print(f"  hfsync pull:              {served / MIB:8.2f} MiB served ({served / size:.2%} of the file), "
          f"{best:.2f} s  (runs: {_runs(seconds)})")
    print(f"  hf_hub_download (Xet):    {peer_served / MIB:8.2f} MiB served ({peer_served / size:.2%}), "
          f"{peer_best:.2f} s  (runs: {_runs(peer_seconds)})")
    print(f"  speed ratio (hf_hub_download time / hfsync time): {peer_best / best:.2f}x (goal >= 1.0)")


def _runs(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in seconds)


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv[:3])} ... exited {done.returncode}:\n{done.stderr}")
    return seconds


BIN = Path(sys.executable).parent

# The alternative to hfsync's own Xet reader: hf_xet fetches the files (as `hf download`
# does), then one pass over each file computes what hfsync needs of it (sha256, checked
# against the lock, and blake3, recorded). Its own command, start-up included.
_FETCH_THEN_HASH = """
import sys
from pathlib import Path
from huggingface_hub import snapshot_download
from hfsync.digests import hash_file
folder = Path(sys.argv[4])
snapshot_download(sys.argv[3], endpoint=sys.argv[1], token=sys.argv[2], local_dir=folder)
for path in sorted(folder.glob("*.safetensors")):
    hash_file(path, git_sha1=False)
"""


def _publish_shape(hub, root: Path, files: int, size: int) -> tuple[str, Path]:  # type: ignore[no-untyped-def]
    """A repo of ``files`` safetensors files of ``size`` bytes, and a project locked to it."""
    repo = f"sandbox/first-{files}x{size}"
    src = root / repo.replace("/", "-")
    src.mkdir()
    for i in range(files):
        _make_file(src / f"part-{i:05d}.safetensors", size)
    _upload(hub, root / "up", repo, src)
    shutil.rmtree(src)
    project = root / f"{repo.replace('/', '-')}-project"
    project.mkdir()
    (project / "hfsync.yaml").write_text(f"version: 1\npulls:\n  - id: {repo}\n    dest: vendor\n")
    _hfsync(hub, root / "lock-home", "lock", "-f", str(project / "hfsync.yaml"))
    return repo, project


def _first_pull_row(hub, root: Path, repo: str, project: Path, xet: bool,  # type: ignore[no-untyped-def]
                    repeat: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """(hfsync runs, hf download runs, hf_xet-then-hash runs (Xet only), load averages)."""
    manifest = str(project / "hfsync.yaml")
    ours: list[float] = []
    theirs: list[float] = []
    alt: list[float] = []
    loads: list[float] = []

    def fresh(*names: str) -> None:
        for name in names:
            shutil.rmtree(root / name, ignore_errors=True)

    def pull() -> None:
        shutil.rmtree(project / "vendor", ignore_errors=True)
        fresh("ours")
        ours.append(_timed([str(BIN / "hfsync"), "--endpoint", hub.url, "--token", hub.token, "--no-progress", "-q",
                            "pull", "--locked", "-f", manifest], _leg_env(root / "ours", xet)))

    def peer() -> None:
        fresh("theirs", "theirs-dir")
        env = {**_leg_env(root / "theirs", xet), "HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token}
        theirs.append(_timed([str(BIN / "hf"), "download", repo, "--local-dir", str(root / "theirs-dir"), "--quiet"],
                             env))

    def fetch_then_hash() -> None:
        fresh("alt", "alt-dir")
        alt.append(_timed([sys.executable, "-c", _FETCH_THEN_HASH, hub.url, hub.token, repo, str(root / "alt-dir")],
                          _leg_env(root / "alt", True)))

    steps = [pull, peer, fetch_then_hash] if xet else [pull, peer]
    for round_ in range(repeat):
        loads.append(os.getloadavg()[0])
        for step in steps if round_ % 2 == 0 else steps[::-1]:  # the machine's load drifts: alternate
            step()
    # One more, untimed, through the launcher that reads the peak RSS of hfsync alone.
    shutil.rmtree(project / "vendor", ignore_errors=True)
    fresh("ours")
    _hfsync(hub, root / "ours", "pull", "--locked", "-f", manifest, xet=xet)
    return ours, theirs, alt, loads


# One hfsync pull in its own process, where its CPU goes: each thread's CPU time (thread_time,
# user + system) summed by what the thread does, beside the process's wall time.
_PROFILED = """
import collections, json, resource, sys, threading, time
start = time.perf_counter()
spent = collections.Counter()
lock = threading.Lock()
run = threading.Thread.run
def measured(self):
    try:
        run(self)
    finally:
        with lock:
            spent[self.name.split("_")[0]] += time.thread_time()
threading.Thread.run = measured
from hfsync.cli.main import run as cli
code = cli(sys.argv[1:])
spent["MainThread"] += time.thread_time()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"code": code, "wall": time.perf_counter() - start, "user": usage.ru_utime,
                  "system": usage.ru_stime, "threads": spent}))
"""
_ROLES = {"MainThread": "start-up, lock, plan", "hfsync-xorb": "xorb ranges: receive, LZ4, byte regrouping",
          "hfsync-hash": "sha256 and blake3", "ThreadPoolExecutor-0": "transfers: reconstruction, write, hand-off",
          "hfsync-install": "safetensors check, fsync, rename"}


def profile(hub, root: Path, files: int, size: int, repeat: int) -> None:  # type: ignore[no-untyped-def]
    """Where the CPU of a first pull over Xet goes, thread by thread (the median of ``repeat`` runs)."""
    _, project = _publish_shape(hub, root, files, size)
    runs = []
    for _ in range(repeat):
        shutil.rmtree(project / "vendor", ignore_errors=True)
        shutil.rmtree(root / "ours", ignore_errors=True)
        done = subprocess.run([sys.executable, "-c", _PROFILED, "--endpoint", hub.url, "--token", hub.token, "-q",
                               "--no-progress", "pull", "--locked", "-f", str(project / "hfsync.yaml")],
                              env=_leg_env(root / "ours", True), check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.splitlines()[-1]))
    median = statistics.median
    print(f"CPU of one hfsync pull of {files} x {size / 1e6:g} MB over Xet, median of {repeat} runs "
          f"(load {os.getloadavg()[0]:.2f}): wall {median(r['wall'] for r in runs):.2f} s, CPU "
          f"{median(r['user'] + r['system'] for r in runs):.2f} s (system {median(r['system'] for r in runs):.2f} s)")
    for name, role in _ROLES.items():
        print(f"  {role:45} {median(r['threads'].get(name, 0.0) for r in runs):5.2f} s")


def first_pulls(hub, root: Path, shapes: list[tuple[int, int]], repeat: int) -> None:  # type: ignore[no-untyped-def]
    """First pull of each repo shape (files x bytes) onto an empty machine, over Xet and over
    LFS: `hfsync pull --locked` against `hf download --local-dir`, command against command,
    each side with a fresh HF_HOME (and hfsync cache) every run; the median of ``repeat`` runs."""
    repos = [(files, size, *_publish_shape(hub, root, files, size)) for files, size in shapes]
    print(f"first pull onto an empty machine, median of {repeat} runs, each side with a fresh HF_HOME; "
          "ratio = hf download time / hfsync time (goal >= 1.3 over Xet):")
    for xet in (True, False):
        for files, size, repo, project in repos:
            PEAK_RSS[0] = 0
            ours, theirs, alt, loads = _first_pull_row(hub, root, repo, project, xet, repeat)
            mine, peer = statistics.median(ours), statistics.median(theirs)
            line = (f"  {'Xet' if xet else 'LFS'} {f'{files} x {size / 1e6:g} MB':>13}: hfsync {mine:5.2f} s, "
                    f"hf download {peer:5.2f} s, ratio {peer / mine:4.2f}x")
            if alt:
                line += f"; hf_xet fetch then hash {statistics.median(alt):5.2f} s"
            print(f"{line}; hfsync peak RSS {PEAK_RSS[0] / MIB:.0f} MiB; load {statistics.median(loads):.2f}\n"
                  f"      runs: hfsync {_runs(ours)} | hf download {_runs(theirs)}"
                  + (f" | fetch then hash {_runs(alt)}" if alt else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--file-mb", type=int, default=150, help="size of each large file, in MB (10^6 bytes)")
    parser.add_argument("--small-files", type=int, default=300)
    parser.add_argument("--small-kb", type=int, default=100, help="size of each small file, in kB (10^3 bytes)")
    parser.add_argument("--repeat", type=int, default=3, help="time each side this many times")
    parser.add_argument("--only", choices=("first", "next"), help="run one part only")
    parser.add_argument("--profile", action="store_true",
                        help="instead: where the CPU of a first pull of --files x --file-mb over Xet goes")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    # hfsync as pip installs it, byte-compiled, as the peer's packages are (a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would compile hfsync's modules again on every run).
    compileall.compile_dir(Path(hfsync.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="hfsync-bench-xet-pull-") as tmp:
        root = Path(tmp)
        process, hub = _serve(root / "hub")
        try:
            if args.profile:
                profile(hub, root, args.files, args.file_mb * 10**6, args.repeat)
            elif args.only != "first":
                next_revision(hub, root, args.size_mb * MIB, args.changed, args.repeat)
                print(f"peak RSS of an hfsync run: {PEAK_RSS[0] / MIB:.0f} MiB")
            if args.only != "next" and not args.profile:
                first_pulls(hub, root, [(args.files, args.file_mb * 10**6),
                                        (args.small_files, args.small_kb * 10**3)], args.repeat)
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
