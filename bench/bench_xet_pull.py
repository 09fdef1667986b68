"""Pull over Xet against huggingface_hub's own Xet download, on the sandbox, in the same run.

Usage: PYTHONPATH=. python bench/bench_xet_pull.py [--size-mb 1024] [--changed 0.01]
           [--files 4 --file-mb 256] [--repeat N]

1. Next revision: a safetensors file of --size-mb is pulled; one tensor (--changed of the
   file, in place) is rewritten and pushed; the machine moves to the new pin. Bytes the
   sandbox served for `hfsync pull --locked` (goal <= 5% of the file) and its time against
   `hf_hub_download` of the new revision through Xet onto a cache holding the old one
   (goal: not slower, ratio >= 1.0).
2. Full pull of --files x --file-mb through Xet: `hfsync pull --locked` against
   `snapshot_download(local_dir=...)` through Xet (goal >= 1.0x).

Defaults are small (64 MB, 4 x 32 MB) so the bench runs in a minute; pass the sizes above
for the issue's figures. The sandbox runs as a child process on loopback and is stopped
by its handle; both clients run in child processes with the client's defaults (Xet on).
Each hfsync run includes its Python start-up, as each peer run includes its own.
``--repeat N`` times each side N times from the same starting state (the machine holding
the previous revision is restored from hard links; a full pull starts from empty folders)
and keeps each side's best time: on a shared machine the best run is the least disturbed.
The peak RSS of each hfsync pull is read from the kernel (wait4), to show that memory does
not grow with the file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_xet import _make_file, _rewrite, _serve

MIB = 1024 * 1024
SERVED = ("GET xorb-range", "GET reconstruction", "GET resolve", "GET lfs-download")


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "HF_HOME": str(home), "HF_XET_CACHE": str(home / "xet"), "HF_HUB_DISABLE_PROGRESS_BARS": "1",
           "HF_HUB_DISABLE_TELEMETRY": "1", "HFSYNC_CACHE_DIR": str(home / "hfsync-cache")}
    env.pop("HF_HUB_DISABLE_XET", None)
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


def _hfsync(hub, home: Path, *args: str) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, "-m", "hfsync", "--endpoint", hub.url, "--token",
                           hub.token, "--no-progress", *args], env=_env(home), check=True,
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


def full_pull(hub, root: Path, files: int, file_size: int, repeat: int) -> None:  # type: ignore[no-untyped-def]
    src = root / "full-src"
    src.mkdir()
    for i in range(files):
        _make_file(src / f"model-{i:05d}.safetensors", file_size)
    _upload(hub, root / "up", "sandbox/full", src)
    project = root / "full-project"
    project.mkdir()
    (project / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: sandbox/full\n    dest: vendor\n")
    manifest = str(project / "hfsync.yaml")
    _hfsync(hub, root / "full-ours", "lock", "-f", manifest)
    seconds, peer_seconds = [], []
    for _ in range(repeat):
        shutil.rmtree(project / "vendor", ignore_errors=True)
        seconds.append(_hfsync(hub, root / "full-ours", "pull", "--locked", "-f", manifest))
        for folder in ("full-theirs", "full-theirs-dir"):
            shutil.rmtree(root / folder, ignore_errors=True)
        peer_seconds.append(_timed_peer(hub, root / "full-theirs",
                                        "import sys; from huggingface_hub import snapshot_download\n"
                                        "snapshot_download('sandbox/full', endpoint=sys.argv[1], token=sys.argv[2], "
                                        "local_dir=sys.argv[3])", str(root / "full-theirs-dir")))
    best, peer_best = min(seconds), min(peer_seconds)
    total = files * file_size
    print(f"full pull of {files} x {file_size / MIB:.0f} MiB through Xet (best of {repeat}):")
    print(f"  hfsync pull:       {best:.2f} s ({total / MIB / best:.0f} MiB/s)  (runs: {_runs(seconds)})")
    print(f"  snapshot_download: {peer_best:.2f} s ({total / MIB / peer_best:.0f} MiB/s)  "
          f"(runs: {_runs(peer_seconds)})")
    print(f"  ratio (snapshot_download time / hfsync time): {peer_best / best:.2f}x (goal >= 1.0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--file-mb", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1, help="time each side this many times, keep the best")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="hfsync-bench-xet-pull-") as tmp:
        root = Path(tmp)
        process, hub = _serve(root / "hub")
        try:
            next_revision(hub, root, args.size_mb * MIB, args.changed, args.repeat)
            full_pull(hub, root, args.files, args.file_mb * MIB, args.repeat)
            print(f"peak RSS of an hfsync run: {PEAK_RSS[0] / MIB:.0f} MiB; "
                  f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
